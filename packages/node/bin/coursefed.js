#!/usr/bin/env -S node --max-semi-space-size=1
// A small young generation makes V8 collect often the wrappers of the buffers that zlib
// and file reads hand out, which frees their memory early: streaming a 1 GB archive then
// stays near 130 MB of RSS instead of 150+ (see test/bench/mbz).
//
// This launcher is plain JavaScript so that an older Node can run it: the sources are
// TypeScript, run by Node's built-in type stripping (Node >= 22.18). Started by an older
// Node, it hands over to the project's own Node 24 (the `node` development dependency).
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** Set in the environment of a launcher started by an older one, so it never loops. */
const HANDED_OVER = "COURSEFED_LAUNCHER_HANDED_OVER";
const STOP_SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"];

const [major, minor] = process.versions.node.split(".").map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  const newer = process.env[HANDED_OVER] ? undefined : projectNode();
  if (!newer) {
    process.stderr.write(
      `coursefed needs Node.js 22.18 or newer; this is ${process.version}. Install the project's development dependencies (\`npm ci\`), which bring Node 24, or run it with a newer Node.\n`,
    );
    process.exit(1);
  }
  handOver(newer);
} else {
  if (process.env.npm_command) stopWhenOrphaned();
  const { main } = await import("../src/cli/main.ts");
  process.exitCode = await main(process.argv);
}

/** The binary of the `node` package the project depends on, if it is installed. */
function projectNode() {
  try {
    const manifest = createRequire(import.meta.url).resolve("node/package.json");
    return join(dirname(manifest), "bin", "node");
  } catch {
    return undefined;
  }
}

/**
 * Runs this launcher again under `node`, passing on the signals that stop a process (a
 * supervisor's SIGTERM reaches only this one) and ending as the child ended.
 */
function handOver(node) {
  const child = spawn(
    node,
    [...process.execArgv, fileURLToPath(import.meta.url), ...process.argv.slice(2)],
    { stdio: "inherit", env: { ...process.env, [HANDED_OVER]: "1" } },
  );
  const forward = (signal) => child.kill(signal);
  for (const signal of STOP_SIGNALS) process.on(signal, forward);
  child.on("error", (error) => {
    process.stderr.write(`coursefed: cannot start ${node}: ${error.message}\n`);
    process.exit(1);
  });
  child.on("exit", (code, signal) => {
    for (const stop of STOP_SIGNALS) process.off(stop, forward);
    if (signal) process.kill(process.pid, signal);
    else process.exit(code ?? 1);
  });
}

/**
 * npm and npx run a command through `<script shell> -c`, and pass a SIGTERM or SIGINT on
 * to that shell only. The project's .npmrc names bash, which hands its place over to the
 * command; sh (npm's default) stays, and dies of a SIGTERM without passing it on: npm
 * exits, and this process would go on alone (a `kill`, `docker stop` or a supervisor's
 * stop would leave the node listening). Our parent changing means that shell is gone, so
 * we stop as if the signal had reached us: `serve` drains its requests and closes the
 * database, any other command ends.
 */
function stopWhenOrphaned() {
  const parent = process.ppid;
  const watch = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(watch);
    process.kill(process.pid, "SIGTERM");
  }, 200);
  watch.unref();
}
