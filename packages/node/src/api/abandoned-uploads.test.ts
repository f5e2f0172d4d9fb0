import { mkdtempSync, rmSync } from "node:fs";
import { utimes } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterAll, describe, expect, it } from "vitest";
import { LocalActorRepository } from "../actors/local-actors.ts";
import { BlobStore } from "../blobs/blob-store.ts";
import { CourseRepository } from "../courses/course-repository.ts";
import { temporaryDatabase } from "../db/test-database.ts";
import { ABANDONED_UPLOAD_AGE_MS, sweepAbandonedUploads } from "./abandoned-uploads.ts";
import { TokenRepository } from "./token-repository.ts";
import { UploadRepository } from "./upload-repository.ts";

const database = temporaryDatabase();
const blobDirectory = mkdtempSync(join(tmpdir(), "coursefed-blobs-"));
afterAll(() => {
  database.remove();
  rmSync(blobDirectory, { recursive: true, force: true });
});

describe("sweepAbandonedUploads", () => {
  const db = database.open();
  const blobs = new BlobStore(blobDirectory);
  const uploads = new UploadRepository(db);
  const institution = new LocalActorRepository(db).ensureInstitution("univ", "University");
  const tokenId = new TokenRepository(db).create("teacher", "teacher", institution.id).record.id;
  const store = (text: string) => blobs.put(Readable.from([Buffer.from(text)]));

  it("drops uploads never published after a day, and archives nothing uses any more", async () => {
    const forgotten = await store("forgotten backup");
    const published = await store("published backup");
    const fresh = await store("fresh backup");
    // The original of a backup published sanitized: no upload or course names it.
    const original = await store("original with personal data");
    // A web upload waiting for its form: named by nothing yet, but written recently.
    const waiting = await store("web upload being reviewed");
    const old = [
      uploads.add(tokenId, forgotten.sha256, 1),
      uploads.add(tokenId, published.sha256, 1),
    ];
    new CourseRepository(db).publish(
      {
        id: "c1",
        actorId: institution.id,
        title: "Published",
        summary: null,
        tags: [],
        license: null,
        visibility: "public",
      },
      { revision: 1, sha256: published.sha256, size: 1, manifest: "jws", publishedAt: 1 },
    );
    const later = Date.now() + ABANDONED_UPLOAD_AGE_MS + 1000;
    const recent = uploads.add(tokenId, fresh.sha256, 1);
    db.$client.prepare("update uploads set created_at = ? where id = ?").run(later - 10, recent.id);

    const recently = new Date(later - 10);
    await utimes(blobs.pathOf(waiting.sha256), recently, recently);

    expect(await sweepAbandonedUploads(uploads, blobs, later)).toEqual({ uploads: 2, archives: 2 });
    for (const upload of old) expect(uploads.find(upload.id, tokenId)).toBeUndefined();
    expect(await blobs.has(forgotten.sha256)).toBeUndefined();
    expect(await blobs.has(published.sha256)).toBeDefined();
    expect(uploads.find(recent.id, tokenId)).toBeDefined();
    expect(await blobs.has(fresh.sha256)).toBeDefined();
    expect(await blobs.has(original.sha256)).toBeUndefined();
    expect(await blobs.has(waiting.sha256)).toBeDefined();
  });
});
