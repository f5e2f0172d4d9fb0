/**
 * Inspect throughput on a large generated backup, as ratios against tools that do the
 * least possible work on the same file in the same run:
 *   zip:    inspect vs `sha256sum` (goal <= 1.3x: members are read selectively)
 *   tar.gz: inspect vs `tar -tzf` (goal <= 1.1x: one inflate pass is the floor)
 * and the peak RSS of the inspecting process (goal < 150 MB whatever the size).
 *
 * BENCH_MB sets the content size of the backup (default 1024; 30% of it compressible
 * text, the rest incompressible like images and video). `--quick` (or QUICK=1): 32 MB and
 * one run of each, a smoke run for CI. Run with `npm run bench`.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { generateTarGz, generateZip } from "./generate-backup.ts";

const quick = process.argv.includes("--quick") || process.env.QUICK === "1";
const megabytes = Number(process.env.BENCH_MB ?? (quick ? 32 : 1024));
const runs = quick ? [0] : [0, 1, 2];
const directory = join(tmpdir(), "coursefed-bench");
mkdirSync(directory, { recursive: true });
const inspector = fileURLToPath(new URL("./inspect-once.ts", import.meta.url));
// Measure with the Node flags the coursefed command runs with (its shebang line).
const cliFlags = (
  readFileSync(
    fileURLToPath(new URL("../../../packages/node/bin/coursefed.js", import.meta.url)),
    "utf8",
  )
    .split("\n")[0]
    ?.split(" node ")[1] ?? ""
)
  .split(" ")
  .filter(Boolean);

function seconds(command: string, args: readonly string[]): number {
  const start = process.hrtime.bigint();
  const result = spawnSync(command, args, {
    stdio: ["ignore", "ignore", "inherit"],
    maxBuffer: 1 << 30,
  });
  if (result.status !== 0)
    throw new Error(`${command} ${args.join(" ")} failed (${result.status})`);
  return Number(process.hrtime.bigint() - start) / 1e9;
}

/** Best of three runs: the machine is shared and the first run warms the page cache. */
function best(command: string, args: readonly string[]): number {
  return Math.min(...runs.map(() => seconds(command, args)));
}

function inspectRun(path: string): { seconds: number; maxRssMb: number } {
  const timed = runs.map(() => {
    const start = process.hrtime.bigint();
    const output = execFileSync(process.execPath, [...cliFlags, inspector, path], {
      encoding: "utf8",
    });
    const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
    return { seconds: elapsed, maxRssMb: JSON.parse(output).maxRssMb as number };
  });
  return {
    seconds: Math.min(...timed.map((run) => run.seconds)),
    maxRssMb: Math.max(...timed.map((run) => run.maxRssMb)),
  };
}

const rows: string[] = [];
for (const format of ["zip", "tar.gz"] as const) {
  const path = join(directory, `generated-${megabytes}MB.${format === "zip" ? "zip" : "tgz"}`);
  if (!existsSync(path)) {
    process.stderr.write(`generating ${path} ...\n`);
    await (format === "zip"
      ? generateZip(path, megabytes * 1024 ** 2)
      : generateTarGz(path, megabytes * 1024 ** 2));
  }
  const size = statSync(path).size;
  const sha = best("sha256sum", [path]);
  const inspect = inspectRun(path);
  const line = [
    `${format}: ${(size / 1024 ** 2).toFixed(0)} MB file`,
    `sha256sum ${sha.toFixed(2)} s`,
  ];
  if (format === "tar.gz") {
    const tar = best("tar", ["-tzf", path]);
    line.push(`tar -tzf ${tar.toFixed(2)} s`, `inspect ${inspect.seconds.toFixed(2)} s`);
    line.push(`ratio vs tar -tzf ${(inspect.seconds / tar).toFixed(2)}x (goal <= 1.1x)`);
  } else {
    line.push(`inspect ${inspect.seconds.toFixed(2)} s`);
  }
  line.push(
    `ratio vs sha256sum ${(inspect.seconds / sha).toFixed(2)}x${format === "zip" ? " (goal <= 1.3x)" : ""}`,
  );
  line.push(`peak RSS ${inspect.maxRssMb.toFixed(0)} MB (goal < 150 MB)`);
  rows.push(line.join(" | "));
}
process.stdout.write(`${rows.join("\n")}\n`);
