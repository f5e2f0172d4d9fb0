/** Compares two backups in a fresh process and prints its peak RSS and CPU time, for the benchmarks. */
import { readFileSync } from "node:fs";
import { diffBackups } from "@coursefed/mbz";

const [older, newer] = process.argv.slice(2);
if (!older || !newer) throw new Error("usage: diff-once.ts OLDER NEWER");
const diff = await diffBackups(older, newer);
// CPU time of the whole process (zlib inflates on libuv's threads): unlike wall time, a
// busy machine does not inflate it.
const cpuSeconds = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
};
// VmHWM is this process's own peak; getrusage's maxRSS would include the parent's at fork.
const peakKb = Number(/VmHWM:\s+(\d+)/.exec(readFileSync("/proc/self/status", "utf8"))?.[1]);
process.stdout.write(
  `${JSON.stringify({ filesChanged: diff.files.changed.length, maxRssMb: peakKb / 1024, cpuSeconds: cpuSeconds() })}\n`,
);
