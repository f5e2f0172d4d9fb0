import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { request } from "node:http";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { eventually } from "../support/eventually.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));
const started: Array<{ dataDir: string; launcher: ChildProcess }> = [];

afterEach(() => {
  // A failed test must not leave a node behind for the next.
  for (const { dataDir } of started.splice(0)) {
    for (const pid of processesNaming(dataDir)) process.kill(pid, "SIGKILL");
    rmSync(dataDir, { recursive: true, force: true });
  }
});

/** Every process whose command line names `text` (Linux's /proc). */
function processesNaming(text: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, "utf8").includes(text)) found.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return found;
}

/**
 * Starts `command args... serve --data-dir D --listen 127.0.0.1:0` from the project's
 * folder, as a user or a supervisor would (no terminal), and waits until it listens.
 */
function serve(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<{
  launcher: ChildProcess;
  dataDir: string;
  port: number;
  token: string;
  output: () => string;
}> {
  const dataDir = mkdtempSync(join(tmpdir(), "coursefed-signals-"));
  const launcher = spawn(
    command,
    [...args, "--data-dir", dataDir, "--listen", "127.0.0.1:0", "--handle", "univ"],
    { cwd: root, env, stdio: ["ignore", "pipe", "pipe"] },
  );
  started.push({ dataDir, launcher });
  return new Promise((resolve, reject) => {
    let output = "";
    const read = (chunk: Buffer) => {
      output += chunk;
      const port = /listening on 127\.0\.0\.1:(\d+)/.exec(output)?.[1];
      const token = /Admin API token[^\n]*\n\s+(\S+)/.exec(output)?.[1];
      if (port && token) {
        resolve({ launcher, dataDir, port: Number(port), token, output: () => output });
      }
    };
    launcher.stdout?.on("data", read);
    launcher.stderr?.on("data", read);
    launcher.on("exit", (code) => reject(new Error(`${command} exited with ${code}: ${output}`)));
  });
}

function exited(child: ChildProcess): Promise<{ code: number | null; signal: string | null }> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  }
  return new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/**
 * Begins an upload and sends the rest of its body only after `beforeEnd`: a request under
 * way when the node is told to stop. Resolves with the node's answer (status and body), or
 * the error that cut it off.
 */
function uploadAcross(
  port: number,
  token: string,
  beforeEnd: () => Promise<void>,
): Promise<string> {
  return new Promise((resolve) => {
    const upload = request({
      host: "127.0.0.1",
      port,
      method: "POST",
      path: "/api/v1/uploads",
      headers: {
        authorization: `Bearer ${token}`,
        "content-type": "application/octet-stream",
        "content-length": "8",
      },
    });
    upload.on("response", (response) => {
      let body = "";
      response.on("data", (chunk) => {
        body += chunk;
      });
      response.on("end", () => resolve(`${response.statusCode} ${body}`));
    });
    upload.on("error", (error) => resolve(`cut off: ${error.message}`));
    upload.write("not a ");
    upload.flushHeaders();
    setTimeout(() => {
      void beforeEnd().then(() => upload.end("zz"));
    }, 300);
  });
}

/**
 * Stops the launcher with `signal` while a request is under way, and checks the node
 * stopped as it should: the request answered, the port closed, no process of it left,
 * the SQLite database closed (its write-ahead log is merged and removed at the close).
 */
async function expectCleanStop(
  { launcher, dataDir, port, token, output }: Awaited<ReturnType<typeof serve>>,
  signal: NodeJS.Signals,
): Promise<{ code: number | null; signal: string | null }> {
  expect(existsSync(join(dataDir, "node.sqlite-wal"))).toBe(true);
  const answer = uploadAcross(port, token, async () => {
    launcher.kill(signal);
    await new Promise((resolve) => setTimeout(resolve, 700));
  });
  // Not a valid backup, so refused; what matters is that it was answered, not cut off.
  const answered = await answer;
  expect(answered, output()).toMatch(/^422 .*invalid_backup/);
  const status = await exited(launcher);
  await eventually(async () => !(await portOpen(port)), 20_000);
  await eventually(() => processesNaming(dataDir).length === 0, 20_000);
  expect(existsSync(join(dataDir, "node.sqlite-wal"))).toBe(false);
  return status;
}

describe("coursefed serve stops on the signal sent to the process the user started", () => {
  it("npx coursefed serve, SIGTERM (docker stop, kill, a supervisor), exits as the node did", async () => {
    const status = await expectCleanStop(await serve("npx", ["coursefed", "serve"]), "SIGTERM");
    expect(status).toEqual({ code: 0, signal: null });
  });

  it("npx coursefed serve, SIGINT, exits as the node did", async () => {
    const status = await expectCleanStop(await serve("npx", ["coursefed", "serve"]), "SIGINT");
    expect(status).toEqual({ code: 0, signal: null });
  });

  it("npx through sh, which keeps the signal from the node: the node stops once npm has gone", async () => {
    const status = await expectCleanStop(
      await serve("npx", ["--script-shell", "sh", "coursefed", "serve"]),
      "SIGTERM",
    );
    // npm ends by the signal it passed on, without waiting for the node, which is why
    // the port and the processes are waited for.
    expect(status).toEqual({ code: null, signal: "SIGTERM" });
  });

  it("npm start, SIGTERM, exits as the node did", async () => {
    const status = await expectCleanStop(await serve("npm", ["start", "--"]), "SIGTERM");
    expect(status).toEqual({ code: 0, signal: null });
  });

  it("npm start, SIGINT, exits as the node did", async () => {
    const status = await expectCleanStop(await serve("npm", ["start", "--"]), "SIGINT");
    expect(status).toEqual({ code: 0, signal: null });
  });

  it("the launcher run by the Node 24 directly, SIGTERM, exits 0", async () => {
    const status = await expectCleanStop(
      await serve(process.execPath, ["packages/node/bin/coursefed.js", "serve"]),
      "SIGTERM",
    );
    expect(status).toEqual({ code: 0, signal: null });
  });
});

/** A Node older than 22.18 on the machine's PATH outside the project, if there is one. */
function olderNode(): string | undefined {
  for (const candidate of ["/usr/bin/node", "/usr/local/bin/node"]) {
    try {
      const version = execFileSync(candidate, ["--version"], { encoding: "utf8" }).trim();
      const [major = 0, minor = 0] = version.slice(1).split(".").map(Number);
      if (major < 22 || (major === 22 && minor < 18)) return candidate;
    } catch {
      // Not there.
    }
  }
  return undefined;
}

const older = olderNode();
describe.runIf(older)("started by a Node older than 22.18", () => {
  it("hands over to the project's Node 24, passes SIGTERM on and exits as it did", async () => {
    const node = older as string;
    const version = execFileSync(node, ["packages/node/bin/coursefed.js", "--version"], {
      cwd: root,
      encoding: "utf8",
    });
    expect(version.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    const status = await expectCleanStop(
      await serve(node, ["packages/node/bin/coursefed.js", "serve"]),
      "SIGTERM",
    );
    expect(status).toEqual({ code: 0, signal: null });
  });
});
