import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { mkdir, readdir, utimes, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually } from "../../../../test/support/eventually.ts";
import { BlobStore } from "./blob-store.ts";
import { downloadResumably } from "./resumable-download.ts";

const archive = randomBytes(2 * 1024 * 1024 + 5);
const sha256 = createHash("sha256").update(archive).digest("hex");
const root = mkdtempSync(join(tmpdir(), "coursefed-blobs-"));
let requests = 0;
let server: Server;
let url: URL;

beforeAll(async () => {
  // Slow enough that every caller starts while the first download is under way.
  server = createServer((_request, response) => {
    requests += 1;
    response.writeHead(200, { "content-length": archive.length, etag: `"${sha256}"` });
    let offset = 0;
    const next = () => {
      if (offset >= archive.length) return void response.end();
      response.write(archive.subarray(offset, offset + 256 * 1024));
      offset += 256 * 1024;
      setTimeout(next, 10);
    };
    next();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/archive.mbz`);
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  rmSync(root, { recursive: true, force: true });
});

describe("BlobStore.download", () => {
  it("downloads a digest once for every caller, in this process and in others sharing the store", async () => {
    // Two stores on one folder stand for two node processes sharing the data directory.
    const stores = [new BlobStore(root), new BlobStore(root)];
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, index) =>
        (stores[index % 2] as BlobStore).download(sha256, (partial) =>
          downloadResumably(url, partial, sha256),
        ),
      ),
    );
    expect(requests).toBe(1);
    for (const result of results) expect(result).toEqual({ sha256, size: archive.length });
    const stored = readFileSync((stores[0] as BlobStore).pathOf(sha256));
    expect(createHash("sha256").update(stored).digest("hex")).toBe(sha256);
  });

  it("lets the next caller try again after a failed download", async () => {
    const store = new BlobStore(join(root, "after-a-failure"));
    await expect(
      store.download(sha256, async () => {
        throw new Error("peer unreachable");
      }),
    ).rejects.toThrow("peer unreachable");
    await expect(
      store.download(sha256, (partial) => downloadResumably(url, partial, sha256)),
    ).resolves.toEqual({ sha256, size: archive.length });
  });
});

describe("BlobStore.removeAbandonedWrites", () => {
  const minutes = 60_000;

  it("removes what dead writers left, never a file a live writer is still writing", async () => {
    const folder = join(root, "sweep");
    const store = new BlobStore(folder);
    // A live upload, paused by its sender half-way: its file is in incoming/.
    const sender = new PassThrough();
    const writing = store.put(sender);
    sender.write(Buffer.alloc(64 * 1024, 1));
    const incoming = join(folder, "incoming");
    const live = await eventually(async () => (await readdir(incoming).catch(() => []))[0]);
    // What a process that died mid-upload left, last written 11 minutes ago.
    const dead = join(incoming, "left-by-a-crash");
    await writeFile(dead, "half a backup");
    const longAgo = new Date(Date.now() - 11 * minutes);
    await utimes(dead, longAgo, longAgo);
    // Partial downloads: one cut two days ago, one as old but resumed now under its
    // lock (another process), one cut an hour ago (waiting to be resumed).
    const partial = join(folder, "partial");
    await mkdir(partial);
    const twoDaysAgo = new Date(Date.now() - 48 * 60 * minutes);
    for (const name of ["given-up.part", "resumed.part", "recent.part"]) {
      await writeFile(join(partial, name), "some bytes");
    }
    await utimes(join(partial, "given-up.part"), twoDaysAgo, twoDaysAgo);
    await utimes(join(partial, "resumed.part"), twoDaysAgo, twoDaysAgo);
    await writeFile(join(partial, "resumed.part.lock"), "4242\n");
    const anHourAgo = new Date(Date.now() - 60 * minutes);
    await utimes(join(partial, "recent.part"), anHourAgo, anHourAgo);

    expect(await store.removeAbandonedWrites()).toBe(2);
    expect(await readdir(incoming)).toEqual([live]);
    expect((await readdir(partial)).sort()).toEqual([
      "recent.part",
      "resumed.part",
      "resumed.part.lock",
    ]);

    // The live upload goes on, and ends in the store.
    sender.end(Buffer.alloc(64 * 1024, 2));
    const stored = await writing;
    expect(stored.size).toBe(128 * 1024);
    expect(await readdir(incoming)).toEqual([]);
  });
});
