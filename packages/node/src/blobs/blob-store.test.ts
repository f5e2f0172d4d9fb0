import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
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
    const store = new BlobStore(mkdtempSync(join(tmpdir(), "coursefed-blobs-")));
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
