/**
 * The node's archive links (packages/node/src/restores/archive-links.ts) and their route,
 * served on a loopback port as a node serves them, for tests where a real Moodle site
 * pulls what it restores: a blob store and a database of their own, and a way to cut a
 * response in the middle, as a network would.
 */
import { execFile } from "node:child_process";
import { createReadStream } from "node:fs";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import type { ServerResponse } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { type HttpBindings, type ServerType, serve } from "@hono/node-server";
import { Hono } from "hono";
import type {
  ArchiveDownload,
  RestoreOutcome,
  RestoreRequest,
} from "../../packages/moodle/src/driver.ts";
import { WsDriver, type WsDriverConfig } from "../../packages/moodle/src/drivers/ws-driver.ts";
import { BlobStore } from "../../packages/node/src/blobs/blob-store.ts";
import type { NodeDatabase } from "../../packages/node/src/db/database.ts";
import {
  type TemporaryDatabase,
  temporaryDatabase,
} from "../../packages/node/src/db/test-database.ts";
import { DatabaseKvStore } from "../../packages/node/src/federation/kv-store.ts";
import { archiveLinkRoutes } from "../../packages/node/src/http/archive-link-routes.ts";
import { type ArchiveLink, ArchiveLinks } from "../../packages/node/src/restores/archive-links.ts";

const run = promisify(execFile);

/** A request the links' route answered. */
export interface ServedRequest {
  readonly method: string;
  readonly range: string | null;
  readonly status: number;
}

export class ArchiveLinkServer {
  /** What the route answered, oldest first. */
  readonly served: ServedRequest[] = [];
  /** The next GET answered with a body is cut after this many bytes (once). */
  cutNextAfter: number | undefined;
  readonly links: ArchiveLinks;
  readonly #blobs: BlobStore;
  readonly #server: ServerType;
  readonly #database: TemporaryDatabase;
  readonly #db: NodeDatabase;
  readonly #scratch: string;

  private constructor(parts: {
    links: ArchiveLinks;
    blobs: BlobStore;
    server: ServerType;
    database: TemporaryDatabase;
    db: NodeDatabase;
    scratch: string;
  }) {
    this.links = parts.links;
    this.#blobs = parts.blobs;
    this.#server = parts.server;
    this.#database = parts.database;
    this.#db = parts.db;
    this.#scratch = parts.scratch;
  }

  static async start(): Promise<ArchiveLinkServer> {
    const scratch = await mkdtemp(join(tmpdir(), "coursefed-links-"));
    const blobs = new BlobStore(join(scratch, "blobs"));
    const database = await temporaryDatabase();
    const db = await database.open();
    const app = new Hono();
    let self: ArchiveLinkServer | undefined;
    app.use(async (c, next) => {
      const cut = self?.cutNextAfter;
      if (cut !== undefined && c.req.method === "GET") {
        if (self) self.cutNextAfter = undefined;
        cutAfter((c.env as HttpBindings).outgoing, cut);
      }
      await next();
      self?.served.push({
        method: c.req.method,
        range: c.req.header("range") ?? null,
        status: c.res.status,
      });
    });
    let origin = new URL("http://127.0.0.1");
    const links = new ArchiveLinks(new DatabaseKvStore(db), origin);
    app.route("/", archiveLinkRoutes(links, blobs));
    const server: ServerType = await new Promise((resolve) => {
      const started = serve({ fetch: app.fetch, hostname: "127.0.0.1", port: 0 }, () =>
        resolve(started),
      );
    });
    const address = server.address();
    const port = typeof address === "object" && address ? address.port : 0;
    origin = new URL(`http://127.0.0.1:${port}`);
    self = new ArchiveLinkServer({
      links: new ArchiveLinks(new DatabaseKvStore(db), origin),
      blobs,
      server,
      database,
      db,
      scratch,
    });
    // The route resolves tokens through the first ArchiveLinks; both share the database.
    return self;
  }

  /** Stores the archive as a node's blob and makes a link to it. */
  async offer(archivePath: string): Promise<ArchiveLink> {
    const blob = await this.#blobs.put(createReadStream(archivePath));
    return await this.links.mint(blob);
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
    await this.#db.close();
    await this.#database.remove();
    await rm(this.#scratch, { recursive: true, force: true });
  }
}

/**
 * The ws driver as a node's restore job uses it: each restore's archive offered through a
 * link of `server` (restore-service.ts does the same with the node's own links).
 */
export class PullingWsDriver extends WsDriver {
  readonly #server: ArchiveLinkServer;

  constructor(server: ArchiveLinkServer, config: WsDriverConfig) {
    super(config);
    this.#server = server;
  }

  override async restore(request: RestoreRequest): Promise<RestoreOutcome> {
    if (request.download) return await super.restore(request);
    const link = await this.#server.offer(request.archivePath);
    try {
      return await super.restore({ ...request, download: link satisfies ArchiveDownload });
    } finally {
      await this.#server.links.revoke(link);
    }
  }
}

/**
 * Lets `bytes` of the response's body through, then drops the connection, as a network
 * cut would. It works on the node:http response itself, because archive links write the
 * file straight into it rather than through a Response body; each write's callback is
 * passed on (the sender reuses a buffer once its write has called back), and a write past
 * the cut calls back with the cut.
 */
function cutAfter(outgoing: ServerResponse, bytes: number): void {
  const write = outgoing.write.bind(outgoing) as (
    chunk: Uint8Array,
    callback?: (error?: Error | null) => void,
  ) => boolean;
  let sent = 0;
  outgoing.write = ((
    chunk: Uint8Array | string,
    encodingOrCallback?: BufferEncoding | ((error?: Error | null) => void),
    callback?: (error?: Error | null) => void,
  ) => {
    const done = typeof encodingOrCallback === "function" ? encodingOrCallback : callback;
    const data = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
    const room = bytes - sent;
    if (data.length < room) {
      sent += data.length;
      return write(data, done);
    }
    if (room > 0) write(data.subarray(0, room));
    sent = bytes;
    outgoing.socket?.destroySoon();
    if (done) process.nextTick(done, new Error("the connection was cut, as a network would"));
    return false;
  }) as ServerResponse["write"];
}

/**
 * Archives the plugin downloaded and left behind: its temporary files, in the backup temp
 * directory's coursefed-downloads (archive_download.php), which every restore removes.
 */
export async function downloadsLeft(site: { readonly moodleDir: string }): Promise<string[]> {
  const { stdout } = await run(
    "php",
    [
      "-d",
      "max_input_vars=5000",
      "-r",
      `define('CLI_SCRIPT', true); require 'config.php'; echo $CFG->backuptempdir;`,
    ],
    { cwd: site.moodleDir },
  );
  return await readdir(join(stdout.trim(), "coursefed-downloads")).catch(() => []);
}
