import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { TestNode } from "./test-node.ts";

export const coursefedBin = fileURLToPath(
  new URL("../../packages/node/bin/coursefed.js", import.meta.url),
);

/**
 * Runs `coursefed` against a test node as its admin (--node, --token). Asynchronous: the
 * node answering the command runs in the test's own process.
 */
export function coursefed(
  peer: TestNode,
  ...args: string[]
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [
      coursefedBin,
      ...args,
      "--node",
      peer.url.href,
      "--token",
      peer.token,
    ]);
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
    });
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/**
 * The flags the launcher's shebang gives Node, as deployments do (deploy/: systemd units,
 * Dockerfile): a process started as `node coursefed.js` must be given them itself.
 */
export function launcherFlags(): string[] {
  const shebang = readFileSync(coursefedBin, "utf8").split("\n")[0] ?? "";
  return (shebang.split(" node ")[1] ?? "").split(" ").filter(Boolean);
}

/**
 * Runs `coursefed serve` as a process of its own (one that can be killed and started again
 * on its data directory); resolves once it listens, with what it printed: on a first start,
 * the admin API token. `nodeFlags` go to Node before the launcher (its shebang's flags are
 * not read when it is started this way).
 */
export function serveNode(
  dataDir: string,
  port: number,
  nodeFlags: readonly string[] = [],
): Promise<{ process: ChildProcess; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [
      ...nodeFlags,
      coursefedBin,
      "serve",
      "--data-dir",
      dataDir,
      "--listen",
      `127.0.0.1:${port}`,
      "--handle",
      "univ",
      "--allow-private-addresses",
    ]);
    let output = "";
    child.stdout.on("data", (chunk) => {
      output += chunk;
      if (
        output.includes("coursefed node running") &&
        (output.includes("Admin API token") || !output.includes("\n\n"))
      ) {
        setTimeout(() => resolve({ process: child, output }), 200);
      }
    });
    child.stderr.on("data", (chunk) => {
      output += chunk;
    });
    child.on("exit", (code) => reject(new Error(`serve exited with ${code}: ${output}`)));
  });
}

/** The admin API token a node's first start printed. */
export function initialAdminToken(output: string): string {
  const token = /Admin API token[^\n]*\n\s+(\S+)/.exec(output)?.[1];
  if (!token) throw new Error(`No admin token in what serve printed: ${output}`);
  return token;
}
