import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../", import.meta.url));

/** Every `npm run bench:*` script in package.json, by name, with the file it runs. */
export function benchScripts(): ReadonlyMap<string, string> {
  const { scripts } = JSON.parse(readFileSync(`${root}package.json`, "utf8")) as {
    scripts: Record<string, string>;
  };
  const benches = new Map<string, string>();
  for (const [name, command] of Object.entries(scripts)) {
    if (!name.startsWith("bench:")) continue;
    const file = /^node (test\/bench\/\S+\.bench\.ts)$/.exec(command)?.[1];
    if (!file) throw new Error(`${name} is not "node test/bench/<file>.bench.ts": ${command}`);
    benches.set(name, file);
  }
  return benches;
}

/**
 * Runs a benchmark's smoke mode (`--quick`) as `npm run` would, from the repository's
 * root; resolves with its exit code and what it printed.
 */
export function runQuickBench(
  file: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [file, "--quick"], {
      cwd: root,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
    });
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, stdout, stderr }));
  });
}
