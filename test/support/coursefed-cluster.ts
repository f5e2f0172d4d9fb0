/**
 * `coursefed serve` as a child process (one node process on SQLite, or a primary and its
 * workers on PostgreSQL), a counting inbox server standing in for many followers, and
 * the rows that make those followers: what test/scale and test/bench/scale drive.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { eq } from "drizzle-orm";
import type { NodeDatabase } from "../../packages/node/src/db/database.ts";
import { coursefedBin } from "./coursefed-cli.ts";
import { eventually } from "./eventually.ts";
import { repositoryRoot } from "./shared-fixtures.ts";
import { freePort } from "./test-node.ts";

export interface ServeProcess {
  readonly url: URL;
  /** The admin API token the first start printed. */
  readonly token: string;
  /** The process spawned: the only node process, or the primary of the workers. */
  readonly pid: number;
  /** What it printed so far on stderr (the primary reports dead workers there). */
  stderr(): string;
  /** The primary's worker processes now (none for a single process). */
  workerPids(): number[];
  /** Calls /api/v1 as the admin; the body is JSON unless it is a Buffer (an upload). */
  api(
    path: string,
    init?: { method?: string; json?: unknown; body?: Buffer },
  ): Promise<{ status: number; body: Record<string, unknown> }>;
  /** SIGTERM, as an admin would; then SIGKILL for what still runs after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Starts `coursefed serve` on a free loopback port and returns once every node process
 * says it serves (a worker takes seconds to start on a loaded machine).
 */
export async function startServe(options: {
  readonly dataDir: string;
  readonly workers?: number;
  /** A postgres:// URL; the SQLite file in the data directory when absent. */
  readonly databaseUrl?: string;
  readonly handle?: string;
  readonly startTimeoutMs?: number;
  /** Flags for Node before the launcher (launcherFlags() for a deployment's). */
  readonly nodeFlags?: readonly string[];
}): Promise<ServeProcess> {
  const workers = options.workers ?? 1;
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [
      ...(options.nodeFlags ?? []),
      coursefedBin,
      "serve",
      "--workers",
      String(workers),
      ...(options.databaseUrl ? ["--database-url", options.databaseUrl] : []),
      "--data-dir",
      options.dataDir,
      "--listen",
      `127.0.0.1:${port}`,
      "--allow-private-addresses",
      "--handle",
      options.handle ?? "institution",
    ],
    { cwd: repositoryRoot, stdio: ["ignore", "pipe", "pipe"] },
  );
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk) => {
    stdout += chunk;
  });
  child.stderr.on("data", (chunk) => {
    stderr += chunk;
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  let gone = false;
  void exited.then(() => {
    gone = true;
  });
  const url = new URL(`http://127.0.0.1:${port}/`);
  const pid = child.pid as number;
  const workerPids = () => childrenOf(pid);
  const serving = () =>
    workers > 1
      ? (stdout.match(/^node process \d+ serving$/gm) ?? []).length >= workers
      : stdout.includes("coursefed node running:");
  let token: string;
  try {
    token = await eventually(() => {
      if (gone) throw new Error(`coursefed serve exited:\n${stdout}\n${stderr}`);
      return serving() && /Admin API token[^\n]*\n\s+(\S+)/.exec(stdout)?.[1];
    }, options.startTimeoutMs ?? 90_000);
  } catch (error) {
    await stopProcess(child, exited, pid, 0);
    throw error;
  }
  return {
    url,
    token,
    pid,
    stderr: () => stderr,
    workerPids,
    async api(path, init = {}) {
      const upload = Buffer.isBuffer(init.body);
      const response = await fetch(new URL(`/api/v1${path}`, url), {
        method: init.method ?? (init.json === undefined && !upload ? "GET" : "POST"),
        headers: {
          authorization: `Bearer ${token}`,
          ...(upload ? { "content-type": "application/octet-stream" } : {}),
          ...(init.json === undefined ? {} : { "content-type": "application/json" }),
        },
        body: upload
          ? new Uint8Array(init.body as Buffer)
          : init.json === undefined
            ? null
            : JSON.stringify(init.json),
      });
      const text = await response.text();
      return { status: response.status, body: text ? JSON.parse(text) : {} };
    },
    stop: (graceMs = 10_000) => stopProcess(child, exited, pid, graceMs),
  };
}

async function stopProcess(
  child: ChildProcess,
  exited: Promise<void>,
  pid: number,
  graceMs: number,
): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const workers = childrenOf(pid);
  child.kill("SIGTERM");
  const stopped = await Promise.race([
    exited.then(() => true),
    new Promise<boolean>((resolve) => setTimeout(() => resolve(false), graceMs)),
  ]);
  if (stopped) return;
  for (const worker of [pid, ...workers]) {
    try {
      process.kill(worker, "SIGKILL");
    } catch {
      // Already gone.
    }
  }
  await exited;
}

/** The processes whose parent is `pid`. */
export function childrenOf(pid: number): number[] {
  try {
    return execFileSync("ps", ["-o", "pid=", "--ppid", String(pid)], { encoding: "utf8" })
      .split("\n")
      .map((line) => Number(line.trim()))
      .filter((each) => each > 0);
  } catch {
    // ps exits with 1 when no process matches.
    return [];
  }
}

/** A stand-in for many followers' servers: POST /inbox/N is counted per activity. */
export interface CountingInbox {
  readonly port: number;
  /** `inboxes[n]` is how many times inbox n received the activity. */
  deliveriesOf(activityId: string): { posts: number; inboxes: Map<number, number> };
  /** The body of the activity's first POST, as the node sent it. */
  bodyOf(activityId: string): string | undefined;
  /** Requests that were not a POST of an activity to /inbox/N. */
  readonly unexpected: string[];
  close(): Promise<void>;
}

export async function startCountingInbox(): Promise<CountingInbox> {
  const received = new Map<string, { posts: number; inboxes: Map<number, number> }>();
  const unexpected: string[] = [];
  const bodies = new Map<string, string>();
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const inbox = /^\/inbox\/(\d+)$/.exec(request.url ?? "")?.[1];
      const body = Buffer.concat(chunks).toString("utf8");
      let activity: unknown;
      try {
        activity = JSON.parse(body).id;
      } catch {
        activity = undefined;
      }
      if (request.method !== "POST" || inbox === undefined || typeof activity !== "string") {
        unexpected.push(`${request.method} ${request.url}`);
        response.writeHead(404).end();
        return;
      }
      let counts = received.get(activity);
      if (!counts) {
        counts = { posts: 0, inboxes: new Map() };
        received.set(activity, counts);
        bodies.set(activity, body);
      }
      counts.posts++;
      counts.inboxes.set(Number(inbox), (counts.inboxes.get(Number(inbox)) ?? 0) + 1);
      response.writeHead(202).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    deliveriesOf: (activityId) => received.get(activityId) ?? { posts: 0, inboxes: new Map() },
    bodyOf: (activityId) => bodies.get(activityId),
    unexpected,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * Makes `count` accepted followers of the node's institution, each a remote actor with
 * inbox /inbox/N on `inbox`: straight into the database, as a thousand follow
 * handshakes would leave it.
 */
export async function addFollowers(
  db: NodeDatabase,
  inbox: Pick<CountingInbox, "port">,
  count: number,
): Promise<void> {
  const { localActors, remoteActors, followers } = db.tables;
  const [institution] = await db
    .select({ id: localActors.id })
    .from(localActors)
    .where(eq(localActors.identifier, "institution"));
  if (!institution) throw new Error("The node has no institution actor yet.");
  const now = Date.now();
  const origin = `http://127.0.0.1:${inbox.port}`;
  const actors = Array.from({ length: count }, (_, n) => ({
    uri: `${origin}/users/${n}`,
    handle: null,
    type: "Person",
    name: null,
    inbox: `${origin}/inbox/${n}`,
    sharedInbox: null,
    fetchedAt: now,
  }));
  // In slices: a statement holds at most 65,535 parameters on PostgreSQL.
  const slice = 1000;
  await db.transaction(async (tx) => {
    for (let start = 0; start < count; start += slice) {
      const part = actors.slice(start, start + slice);
      await tx.insert(remoteActors).values(part);
      await tx.insert(followers).values(
        part.map((actor) => ({
          localActorId: institution.id,
          actorUri: actor.uri,
          followId: `${actor.uri}#follow`,
          state: "accepted" as const,
          requestedAt: now,
          decidedAt: now,
        })),
      );
    }
  });
}

/** The id of the Create (revision 1) or Update a publication sends (publish-service.ts). */
export function publicationActivityId(node: URL, courseId: string, revision = 1): string {
  return new URL(`/courses/${courseId}/revisions/${revision}/activity`, node).href;
}
