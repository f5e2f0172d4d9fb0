import { spawn } from "node:child_process";
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
