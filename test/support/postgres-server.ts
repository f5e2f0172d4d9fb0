/**
 * A throwaway PostgreSQL server for the `postgres` vitest project (vitest globalSetup):
 * a new cluster in a temporary folder on a free loopback port, trusted for local
 * connections, removed at the end of the run. postgres-environment.ts hands its URL to
 * that project's tests only (the `unit` project runs the same files on SQLite). The binaries come from Debian's
 * postgresql package (.ci/run installs it). COURSEFED_TEST_POSTGRES_URL, when set to a
 * superuser's URL, uses that server instead.
 */
import { execFile, spawn } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import pg from "pg";
import type { TestProject } from "vitest/node";
import { TEST_POSTGRES_ENVIRONMENT } from "../../packages/node/src/db/test-database.ts";
import { freePort } from "./test-node.ts";

const run = promisify(execFile);

declare module "vitest" {
  export interface ProvidedContext {
    postgresUrl: string | undefined;
  }
}

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | void> {
  const given = process.env[TEST_POSTGRES_ENVIRONMENT];
  if (given) {
    project.provide("postgresUrl", given);
    return;
  }
  const binaries = postgresBinaries();
  if (!binaries) {
    const why = "PostgreSQL's server binaries are not installed (apt-get install postgresql)";
    if (process.env.CI) throw new Error(`The PostgreSQL tests cannot run in CI: ${why}.`);
    console.warn(`Skipping the tests on PostgreSQL: ${why}.`);
    project.provide("postgresUrl", undefined);
    return;
  }
  const server = await startServer(binaries);
  project.provide("postgresUrl", server.url);
  return server.stop;
}

/** The newest installed server's bin folder. */
export function postgresBinaries(): string | undefined {
  const root = "/usr/lib/postgresql";
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((version) => existsSync(join(root, version, "bin", "initdb")))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(root, versions[0], "bin") : undefined;
}

/** Starts a cluster owned by the current user, or by `postgres` when running as root. */
export async function startServer(
  binaries: string,
): Promise<{ url: string; stop: () => Promise<void> }> {
  const directory = mkdtempSync(join(tmpdir(), "coursefed-postgres-"));
  chmodSync(directory, 0o777);
  const data = join(directory, "data");
  const asOwner = (command: string, args: string[]) =>
    process.getuid?.() === 0
      ? (["runuser", ["-u", "postgres", "--", command, ...args]] as const)
      : ([command, args] as const);
  const port = await freePort();
  const [initCommand, initArgs] = asOwner(join(binaries, "initdb"), [
    "-D",
    data,
    "-U",
    "postgres",
    "--auth=trust",
    "-E",
    "UTF8",
    "--locale=C.UTF-8",
  ]);
  await run(initCommand, [...initArgs], { cwd: "/" });
  const [serverCommand, serverArgs] = asOwner(join(binaries, "postgres"), [
    "-D",
    data,
    "-p",
    String(port),
    "-k",
    directory,
    "-c",
    "listen_addresses=127.0.0.1",
    "-c",
    "max_connections=300",
    "-c",
    "fsync=off",
    "-c",
    "full_page_writes=off",
    "-c",
    "synchronous_commit=off",
  ]);
  const server = spawn(serverCommand, [...serverArgs], { cwd: "/", stdio: "ignore" });
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  await waitUntilReady(url);
  return {
    url,
    async stop() {
      // runuser does not pass signals on: pg_ctl tells the server itself.
      const [stopCommand, stopArgs] = asOwner(join(binaries, "pg_ctl"), [
        "stop",
        "-D",
        data,
        "-m",
        "immediate",
      ]);
      const exited = new Promise((resolve) => server.once("exit", resolve));
      await run(stopCommand, [...stopArgs], { cwd: "/" });
      await exited;
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

async function waitUntilReady(url: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const client = new pg.Client({ connectionString: url });
    try {
      await client.connect();
      await client.end();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}
