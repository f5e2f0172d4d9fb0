import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { type FileHandle, type FileReadResult, open } from "node:fs/promises";
import { Agent, get, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { type ServerType, serve } from "@hono/node-server";
import { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { BlobStore } from "../blobs/blob-store.ts";
import { serveBlob } from "./serve-blob.ts";

/** How far a file the blob store opened was read, and whether it was closed. */
interface WatchedFile {
  bytesRead: number;
  closed: boolean;
}

/** A blob store that keeps the files it opens, to see how far each was read. */
class WatchedBlobStore extends BlobStore {
  readonly files: WatchedFile[] = [];
  /** A file to open instead of the blob's, next time: one that lost its end since its size was taken. */
  openInstead: string | undefined;

  override async openForReading(sha256: string): Promise<FileHandle> {
    const instead = this.openInstead;
    this.openInstead = undefined;
    const file = instead ? await open(instead) : await super.openForReading(sha256);
    const watched: WatchedFile = { bytesRead: 0, closed: false };
    this.files.push(watched);
    const read = file.read.bind(file) as (...args: unknown[]) => Promise<FileReadResult<Buffer>>;
    const close = file.close.bind(file);
    Object.assign(file, {
      read: async (...args: unknown[]) => {
        const result = await read(...args);
        watched.bytesRead += result.bytesRead;
        return result;
      },
      close: async () => {
        await close();
        watched.closed = true;
      },
    });
    return file;
  }
}

const SIZE = 48 * 1024 * 1024;
const content = Buffer.alloc(SIZE);
for (let i = 0; i < SIZE; i += 4096) content.writeUInt32BE(i, i);
const sha256 = createHash("sha256").update(content).digest("hex");
/** An archive a course row could name whose file the blob store does not hold. */
const MISSING = "0".repeat(64);
const directory = mkdtempSync(join(tmpdir(), "coursefed-serve-blob-"));
const blobs = new WatchedBlobStore(directory);
let progressCalls = 0;
let server: ServerType;
let origin: string;

beforeAll(async () => {
  await blobs.put(Readable.from([content]));
  const app = new Hono();
  app.on(["GET", "HEAD"], "/blob", (c) =>
    serveBlob(c, blobs, sha256, "public", { toSocket: true }),
  );
  app.get("/link", (c) =>
    serveBlob(c, blobs, sha256, "no-store", {
      toSocket: true,
      progress: {
        progressEveryMs: 1,
        onProgress: () => {
          progressCalls++;
        },
      },
    }),
  );
  app.get("/missing", (c) => serveBlob(c, blobs, MISSING, "public", { toSocket: true }));
  // As the web pages' secure headers do: a header added once the handler has answered.
  app.use("/page/*", async (c, next) => {
    await next();
    c.res.headers.set("x-content-type-options", "nosniff");
  });
  app.get("/page/blob", (c) => serveBlob(c, blobs, sha256, "private"));
  server = await new Promise<ServerType>((resolve) => {
    const started = serve({ fetch: app.fetch, hostname: "127.0.0.1", port: 0 }, () =>
      resolve(started),
    );
  });
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  rmSync(directory, { recursive: true, force: true });
});

/** GET over node:http, resolving at the headers, before any of the body is read. */
function request(
  path: string,
  headers: Record<string, string> = {},
  agent: Agent | false = false,
): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    get(`${origin}${path}`, { headers, agent }, resolve).once("error", reject);
  });
}

async function bodyOf(response: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of response) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

const lastFile = () => blobs.files.at(-1) as WatchedFile;
const until = async (condition: () => boolean) => {
  for (let waited = 0; !condition(); waited += 10) {
    if (waited > 5000) throw new Error("timed out");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
};

describe("serveBlob over node:http", () => {
  it("reads the file no faster than a slow client takes it, and sends it whole", async () => {
    const response = await request("/blob");
    expect(response.statusCode).toBe(200);
    // The client reads nothing for a while: the server must stop reading the file at the
    // socket's buffers, not queue the whole archive in memory ahead of it.
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(lastFile().bytesRead).toBeLessThan(16 * 1024 * 1024);
    const body = await bodyOf(response);
    expect(body.length).toBe(SIZE);
    expect(createHash("sha256").update(body).digest("hex")).toBe(sha256);
  });

  it("answers ranges, If-Range, If-None-Match and HEAD with the archive's ETag", async () => {
    const etag = `"${sha256}"`;
    const resumed = await request("/blob", { range: "bytes=1000-", "if-range": etag });
    expect(resumed.statusCode).toBe(206);
    expect(resumed.headers["content-range"]).toBe(`bytes 1000-${SIZE - 1}/${SIZE}`);
    expect(resumed.headers["content-length"]).toBe(String(SIZE - 1000));
    expect((await bodyOf(resumed)).equals(content.subarray(1000))).toBe(true);

    const middle = await request("/blob", { range: "bytes=5-9" });
    expect(middle.statusCode).toBe(206);
    expect((await bodyOf(middle)).equals(content.subarray(5, 10))).toBe(true);

    const changed = await request("/blob", { range: "bytes=1000-", "if-range": '"other"' });
    expect(changed.statusCode).toBe(200);
    expect((await bodyOf(changed)).length).toBe(SIZE);

    const cached = await request("/blob", { "if-none-match": etag });
    expect(cached.statusCode).toBe(304);
    expect((await bodyOf(cached)).length).toBe(0);

    const beyond = await request("/blob", { range: `bytes=${SIZE}-` });
    expect(beyond.statusCode).toBe(416);
    expect(beyond.headers["content-range"]).toBe(`bytes */${SIZE}`);
    await bodyOf(beyond);

    const head = await fetch(`${origin}/blob`, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.headers.get("etag")).toBe(etag);
    expect(head.headers.get("content-length")).toBe(String(SIZE));
    expect(head.headers.get("cache-control")).toBe("public, no-cache");
  });

  it("keeps the headers middleware adds after the handler, where the route does not send to the socket", async () => {
    const response = await request("/page/blob", { range: "bytes=0-99" });
    expect(response.statusCode).toBe(206);
    expect(response.headers["x-content-type-options"]).toBe("nosniff");
    expect(response.headers["cache-control"]).toBe("private, no-cache");
    expect((await bodyOf(response)).equals(content.subarray(0, 100))).toBe(true);
  });

  it("cuts the answer when the file ends before its length, rather than leave a kept-alive client waiting", async () => {
    const shortened = join(directory, "shortened");
    writeFileSync(shortened, content.subarray(0, SIZE / 2));
    blobs.openInstead = shortened;
    const agent = new Agent({ keepAlive: true });
    try {
      const response = await request("/blob", {}, agent);
      const started = Date.now();
      let received = 0;
      const ended = await new Promise<string>((resolve) => {
        response.on("data", (chunk: Buffer) => {
          received += chunk.length;
        });
        response.once("end", () => resolve("end"));
        response.once("error", () => resolve("cut"));
      });
      expect(ended).toBe("cut");
      expect(received).toBeLessThanOrEqual(SIZE / 2);
      // node:http's server closes an idle kept-alive connection after 5 s: the cut comes first.
      expect(Date.now() - started).toBeLessThan(4000);
    } finally {
      agent.destroy();
    }
  });

  it("answers an archive missing from the store with a 404 saying so, and tells the admin where it should be", async () => {
    const logged = vi.spyOn(console, "error").mockImplementation(() => {});
    try {
      const response = await fetch(`${origin}/missing`);
      expect(response.status).toBe(404);
      const body = (await response.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe("archive_missing");
      expect(body.error.message).toMatch(/no longer holds this archive/);
      expect(logged).toHaveBeenCalledOnce();
      expect(String(logged.mock.calls[0]?.[0])).toContain(blobs.pathOf(MISSING));
    } finally {
      logged.mockRestore();
    }
  });

  it("closes the file and reports progress a last time when the client goes away", async () => {
    progressCalls = 0;
    const response = await request("/link");
    expect(response.headers["cache-control"]).toBe("no-store");
    const file = lastFile();
    await new Promise((resolve) => response.once("data", resolve));
    response.destroy();
    await until(() => file.closed);
    const atClose = progressCalls;
    expect(atClose).toBeGreaterThan(0);
    expect(file.bytesRead).toBeLessThan(SIZE);
  });
});
