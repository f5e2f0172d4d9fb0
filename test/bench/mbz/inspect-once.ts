/** Inspects one backup in a fresh process and prints its peak RSS, for the benchmark. */
import { inspectBackup } from "@coursefed/mbz";

const path = process.argv[2];
if (!path) throw new Error("usage: inspect-once.ts FILE");
const report = await inspectBackup(path);
process.stdout.write(
  `${JSON.stringify({ files: report.files.count, maxRssMb: process.resourceUsage().maxRSS / 1024 })}\n`,
);
