import { createHash } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import type { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BlobStore, type StoredBlob } from "../blobs/blob-store.ts";
import type { NodeDatabase } from "../db/database.ts";
import { type TemporaryDatabase, temporaryDatabase } from "../db/test-database.ts";
import { DatabaseKvStore } from "../federation/kv-store.ts";
import { ARCHIVE_LINK_TIMES, type ArchiveLink, ArchiveLinks } from "../restores/archive-links.ts";
import { archiveLinkRoutes } from "./archive-link-routes.ts";

const MINUTE = 60_000;
const origin = new URL("https://node.example");

describe("archive links", () => {
  let database: TemporaryDatabase;
  let db: NodeDatabase;
  let scratch: string;
  let blobs: BlobStore;
  let archive: StoredBlob;
  let other: StoredBlob;
  let content: Buffer;
  let clock = 1_800_000_000_000;
  let links: ArchiveLinks;
  let app: Hono;

  beforeAll(async () => {
    database = await temporaryDatabase();
    db = await database.open();
    scratch = await mkdtemp(join(tmpdir(), "coursefed-links-"));
    blobs = new BlobStore(scratch);
    content = Buffer.from(Array.from({ length: 1000 }, (_, i) => i % 251));
    archive = await blobs.put(Readable.from([content]));
    other = await blobs.put(Readable.from([Buffer.from("another course")]));
    // The store's own clock too: its expiry of entries must not run ahead of the links'.
    links = new ArchiveLinks(new DatabaseKvStore(db, () => clock), origin, () => clock);
    app = archiveLinkRoutes(links, blobs);
  });

  afterAll(async () => {
    await db.close();
    await database.remove();
    await rm(scratch, { recursive: true, force: true });
  });

  const get = (link: ArchiveLink | string, headers: Record<string, string> = {}) =>
    app.request(typeof link === "string" ? link : link.url.pathname, { headers });
  const head = (link: ArchiveLink) => app.request(link.url.pathname, { method: "HEAD" });

  it("serves the one archive it was made for, whole or by range, to no one else's token", async () => {
    const link = await links.mint(archive);
    expect(link.url.origin).toBe(origin.origin);
    expect(link.url.pathname).toMatch(/^\/archive-links\/[A-Za-z0-9_-]{43}$/);
    expect(link).toMatchObject({ sha256: archive.sha256, size: 1000 });
    expect(link.startBy.getTime()).toBe(clock + ARCHIVE_LINK_TIMES.START_WITHIN_MS);

    const whole = await get(link);
    expect(whole.status).toBe(200);
    expect(whole.headers.get("cache-control")).toBe("no-store");
    expect(whole.headers.get("etag")).toBe(`"${archive.sha256}"`);
    const body = Buffer.from(await whole.arrayBuffer());
    expect(createHash("sha256").update(body).digest("hex")).toBe(archive.sha256);

    const rest = await get(link, { range: "bytes=600-" });
    expect(rest.status).toBe(206);
    expect(rest.headers.get("content-range")).toBe("bytes 600-999/1000");
    expect(Buffer.from(await rest.arrayBuffer())).toEqual(content.subarray(600));

    const described = await head(link);
    expect(described.status).toBe(200);
    expect(described.headers.get("content-length")).toBe("1000");
    expect(await described.text()).toBe("");

    // Two links to two archives: each token gives its own archive only.
    const second = await links.mint(other);
    expect(second.url.pathname).not.toBe(link.url.pathname);
    expect(await (await get(second)).text()).toBe("another course");
  });

  it("answers hostile ranges without reading outside the archive", async () => {
    const link = await links.mint(archive);
    const answers: Array<[string, number, string | null]> = [];
    for (const range of [
      "bytes=1000-",
      "bytes=5-2",
      `bytes=0-${"9".repeat(400)}`,
      "bytes=-0",
      "bytes=0-1,5-9",
      "bytes=-",
      "bytes=-99999",
      "items=0-5",
    ]) {
      const answer = await get(link, { range });
      answers.push([range, answer.status, answer.headers.get("content-range")]);
      await answer.arrayBuffer();
    }
    expect(answers).toEqual([
      ["bytes=1000-", 416, "bytes */1000"],
      ["bytes=5-2", 416, "bytes */1000"],
      // An end past the archive is the archive's end.
      [`bytes=0-${"9".repeat(400)}`, 206, "bytes 0-999/1000"],
      ["bytes=-0", 416, "bytes */1000"],
      // Several ranges, an empty one, another unit: the whole archive.
      ["bytes=0-1,5-9", 200, null],
      ["bytes=-", 200, null],
      ["bytes=-99999", 206, "bytes 0-999/1000"],
      ["items=0-5", 200, null],
    ]);
  });

  it("gives unknown, malformed, expired and revoked tokens one and the same 404", async () => {
    const unknown = await get(`/archive-links/${"A".repeat(43)}`);
    const malformed = await get("/archive-links/..%2F..%2Fetc%2Fpasswd");
    const expiredLink = await links.mint(archive);
    clock += ARCHIVE_LINK_TIMES.START_WITHIN_MS;
    const expired = await get(expiredLink);
    const revokedLink = await links.mint(archive);
    await links.revoke(revokedLink);
    const revoked = await get(revokedLink);
    const answers = await Promise.all(
      [unknown, malformed, expired, revoked].map(async (answer) => ({
        status: answer.status,
        body: await answer.text(),
      })),
    );
    expect(answers[0]?.status).toBe(404);
    expect(answers[0]?.body).toContain("unknown or no longer valid");
    for (const answer of answers) expect(answer).toEqual(answers[0]);
    expect((await head(expiredLink)).status).toBe(404);
  });

  it("must start within its window, then resumes until minutes after its last byte", async () => {
    const link = await links.mint(archive);
    clock += ARCHIVE_LINK_TIMES.START_WITHIN_MS - MINUTE;
    const started = await get(link, { range: "bytes=0-99" });
    expect(started.status).toBe(206);
    await started.arrayBuffer();
    // Past the start window, a download that started resumes...
    clock += 2 * MINUTE;
    const resumed = await get(link, { range: "bytes=100-" });
    expect(resumed.status).toBe(206);
    await resumed.arrayBuffer();
    // ...as long as it resumes within the window of its last byte, which moves on each time.
    clock += ARCHIVE_LINK_TIMES.RESUME_WITHIN_MS - 1000;
    expect((await head(link)).status).toBe(200);
    clock += 1000;
    expect((await get(link, { range: "bytes=100-" })).status).toBe(404);
  });

  it("dies at its longest life, even while read without end", async () => {
    const link = await links.mint(archive);
    const end = clock + ARCHIVE_LINK_TIMES.MAX_LIFETIME_MS;
    while (clock < end - ARCHIVE_LINK_TIMES.RESUME_WITHIN_MS) {
      const answer = await get(link);
      expect(answer.status).toBe(200);
      await answer.arrayBuffer();
      clock += ARCHIVE_LINK_TIMES.RESUME_WITHIN_MS - 1000;
    }
    clock = end;
    expect((await get(link)).status).toBe(404);
  });

  it("is revoked for every process sharing the database", async () => {
    const link = await links.mint(archive);
    const elsewhere = archiveLinkRoutes(
      new ArchiveLinks(new DatabaseKvStore(db, () => clock), origin, () => clock),
      blobs,
    );
    const served = await elsewhere.request(link.url.pathname);
    expect(served.status).toBe(200);
    expect((await served.arrayBuffer()).byteLength).toBe(1000);
    await links.revoke(link);
    expect((await elsewhere.request(link.url.pathname)).status).toBe(404);
  });
});
