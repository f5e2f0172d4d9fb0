/**
 * Start-up of short `coursefed` commands, each run as its own process as a user runs it,
 * against a baseline measured in the same run: `node -e 0` under the same Node (the
 * least any command can cost). Medians of RUNS runs (default 7):
 *   - `coursefed --version` and `coursefed catalog --help`: nothing but the CLI itself;
 *   - `coursefed catalog` against a running node: one API call and its output;
 *   - `coursefed serve --help` and `coursefed restores --help`, whose modules are larger.
 * `--quick` (or QUICK=1): one run each, a smoke run for CI. `npm run bench:cli`.
 */
import { spawn } from "node:child_process";
import { coursefedBin } from "../../support/coursefed-cli.ts";
import { startTestNode } from "../../support/test-node.ts";

const quick = process.argv.includes("--quick") || process.env.QUICK === "1";
const runs = Number(process.env.RUNS ?? (quick ? 1 : 7));

/** Wall time of one process from spawn to exit, in ms; fails if it did not exit with 0. */
function timed(args: readonly string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn(process.execPath, args, { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    child.on("close", (code) => {
      if (code === 0) resolve(performance.now() - start);
      else reject(new Error(`${args.join(" ")} exited with ${code}: ${stderr}`));
    });
  });
}

async function median(args: readonly string[]): Promise<number> {
  await timed(args); // warms the file system cache
  const times: number[] = [];
  for (let i = 0; i < runs; i++) times.push(await timed(args));
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] as number;
}

const node = await startTestNode("univ");
try {
  const baseline = await median(["-e", "0"]);
  const lines = [`baseline node -e 0 (Node ${process.versions.node}): ${baseline.toFixed(0)} ms`];
  const commands: Array<[string, string[]]> = [
    ["coursefed --version", ["--version"]],
    ["coursefed catalog --help", ["catalog", "--help"]],
    [
      "coursefed catalog (a running node)",
      ["catalog", "--node", node.url.href, "--token", node.token],
    ],
    ["coursefed restores --help", ["restores", "--help"]],
    ["coursefed serve --help", ["serve", "--help"]],
  ];
  for (const [name, args] of commands) {
    process.stderr.write(`measuring ${name}\n`);
    const time = await median([coursefedBin, ...args]);
    lines.push(
      `${name}: ${time.toFixed(0)} ms, ${(time / baseline).toFixed(1)}× the baseline, ${(time - baseline).toFixed(0)} ms more`,
    );
  }
  process.stdout.write(`CLI start-up, median of ${runs} runs each\n${lines.join("\n")}\n`);
} finally {
  await node.stop();
}
