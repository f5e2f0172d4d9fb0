/**
 * What a diff of two large backups costs, as a ratio against inspecting the same two
 * backups in the same run (goal: about 1x, since a diff reads each archive once as
 * inspect does), in wall time and in CPU time (which a machine busy with other work does
 * not inflate), and the peak RSS of the diffing process (goal < 250 MB: two streams).
 *
 * The two backups are generated separately, so every content file differs: the diff
 * lists each one as changed, its worst case. BENCH_MB sets each backup's content size
 * (default 1024). `--quick` (CI's smoke run) uses 32 MB, tar.gz only, one run each.
 * Run with `npm run bench:diff`.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { generateTarGz, generateZip } from "./generate-backup.ts";

const quick = process.argv.includes("--quick");
const megabytes = quick ? 32 : Number(process.env.BENCH_MB ?? 1024);
const runs = quick ? 1 : 3;
const formats = quick ? (["tar.gz"] as const) : (["tar.gz", "zip"] as const);
const directory = join(tmpdir(), "coursefed-bench");
mkdirSync(directory, { recursive: true });
const here = (name: string) => fileURLToPath(new URL(name, import.meta.url));
// Measure with the Node flags the coursefed command runs with (its shebang line).
const cliFlags = (
  readFileSync(here("../../../packages/node/bin/coursefed.js"), "utf8")
    .split("\n")[0]
    ?.split(" node ")[1] ?? ""
)
  .split(" ")
  .filter(Boolean);

/** Best time, least CPU time and highest peak RSS of `runs` fresh processes running `script`. */
function measure(
  script: string,
  args: readonly string[],
): { seconds: number; cpuSeconds: number; maxRssMb: number } {
  const results = Array.from({ length: runs }, () => {
    const start = process.hrtime.bigint();
    const output = execFileSync(process.execPath, [...cliFlags, here(script), ...args], {
      encoding: "utf8",
    });
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    const { maxRssMb, cpuSeconds } = JSON.parse(output) as { maxRssMb: number; cpuSeconds: number };
    return { seconds, maxRssMb, cpuSeconds };
  });
  return {
    seconds: Math.min(...results.map((result) => result.seconds)),
    cpuSeconds: Math.min(...results.map((result) => result.cpuSeconds)),
    maxRssMb: Math.max(...results.map((result) => result.maxRssMb)),
  };
}

const rows: string[] = [];
for (const format of formats) {
  const paths = ["older", "newer"].map((which) =>
    join(directory, `diff-${which}-${megabytes}MB.${format === "zip" ? "zip" : "tgz"}`),
  ) as [string, string];
  for (const path of paths) {
    if (existsSync(path)) continue;
    process.stderr.write(`generating ${path} ...\n`);
    await (format === "zip"
      ? generateZip(path, megabytes * 1024 ** 2)
      : generateTarGz(path, megabytes * 1024 ** 2));
  }
  const inspectOlder = measure("./inspect-once.ts", [paths[0]]);
  const inspectNewer = measure("./inspect-once.ts", [paths[1]]);
  const diff = measure("./diff-once.ts", paths);
  const inspectBoth = inspectOlder.seconds + inspectNewer.seconds;
  const inspectBothCpu = inspectOlder.cpuSeconds + inspectNewer.cpuSeconds;
  const sizeMb = (statSync(paths[0]).size + statSync(paths[1]).size) / 1024 ** 2;
  rows.push(
    [
      `${format}: two files, ${sizeMb.toFixed(0)} MB together`,
      `inspect + inspect ${inspectBoth.toFixed(2)} s`,
      `diff ${diff.seconds.toFixed(2)} s`,
      `ratio ${(diff.seconds / inspectBoth).toFixed(2)}x (goal about 1x)`,
      `CPU ${inspectBothCpu.toFixed(2)} s vs ${diff.cpuSeconds.toFixed(2)} s, ratio ${(diff.cpuSeconds / inspectBothCpu).toFixed(2)}x`,
      `peak RSS diff ${diff.maxRssMb.toFixed(0)} MB, inspect ${Math.max(inspectOlder.maxRssMb, inspectNewer.maxRssMb).toFixed(0)} MB (goal < 250 MB)`,
    ].join(" | "),
  );
}
process.stdout.write(`${rows.join("\n")}\n`);
