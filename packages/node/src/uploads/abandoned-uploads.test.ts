import { mkdtempSync, rmSync } from "node:fs";
import { readdir, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import type { BackupReport } from "@coursefed/mbz";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AccountRepository } from "../accounts/account-repository.ts";
import { createAccount } from "../accounts/account-service.ts";
import { LocalActorRepository } from "../actors/local-actors.ts";
import { BlobStore } from "../blobs/blob-store.ts";
import { CourseRepository } from "../courses/course-repository.ts";
import type { NodeDatabase } from "../db/database.ts";
import { type TemporaryDatabase, temporaryDatabase } from "../db/test-database.ts";
import { TokenRepository } from "../tokens/token-repository.ts";
import { ABANDONED_UPLOAD_AGE_MS, sweepAbandonedUploads } from "./abandoned-uploads.ts";
import { UploadRepository } from "./upload-repository.ts";
import { WebUploadRepository } from "./web-upload-repository.ts";

const blobDirectory = mkdtempSync(join(tmpdir(), "coursefed-blobs-"));

describe("sweepAbandonedUploads", () => {
  let database: TemporaryDatabase;
  let db: NodeDatabase;
  let uploads: UploadRepository;
  let webUploads: WebUploadRepository;
  let accountId: number;
  let institutionId: number;
  let tokenId: number;
  const blobs = new BlobStore(blobDirectory);

  beforeAll(async () => {
    database = await temporaryDatabase();
    db = await database.open();
    uploads = new UploadRepository(db);
    webUploads = new WebUploadRepository(db);
    const actors = new LocalActorRepository(db);
    const institution = await actors.ensureInstitution("univ", "University");
    const { account } = await createAccount(
      { actors, accounts: new AccountRepository(db) },
      { username: "marie", role: "teacher" },
    );
    accountId = account.id;
    institutionId = institution.id;
    const token = await new TokenRepository(db).create("teacher", "teacher", institution.id);
    tokenId = token.record.id;
  });

  afterAll(async () => {
    await db.close();
    await database.remove();
    rmSync(blobDirectory, { recursive: true, force: true });
  });

  const store = (text: string) => blobs.put(Readable.from([Buffer.from(text)]));

  /** A web upload waiting for its form, made `createdAt`. */
  const webUpload = async (sha256: string, createdAt: number) => {
    const pending = await webUploads.add({
      accountId,
      sha256,
      size: 1,
      report: { sha256 } as unknown as BackupReport,
      courseId: null,
    });
    const { webUploads: table } = db.tables;
    await db.update(table).set({ createdAt }).where(eq(table.id, pending.id));
    return pending;
  };

  it("drops uploads never published after a day, and archives nothing uses any more", async () => {
    const forgotten = await store("forgotten backup");
    const published = await store("published backup");
    const fresh = await store("fresh backup");
    // The original of a backup published sanitized: no upload or course names it.
    const original = await store("original with personal data");
    // An archive being written for a web upload: named by nothing yet, but written recently.
    const waiting = await store("web upload being reviewed");
    // A web upload abandoned a day ago, and one made recently of bytes uploaded long ago.
    const abandonedWeb = await store("web upload never published");
    const reuploaded = await store("web upload of old bytes");
    const old = [
      await uploads.add(tokenId, forgotten.sha256, 1),
      await uploads.add(tokenId, published.sha256, 1),
    ];
    await new CourseRepository(db).publish(
      {
        id: "c1",
        actorId: institutionId,
        title: "Published",
        summary: null,
        tags: [],
        license: null,
        visibility: "public",
      },
      { revision: 1, sha256: published.sha256, size: 1, manifest: "jws", publishedAt: 1 },
    );
    const later = Date.now() + ABANDONED_UPLOAD_AGE_MS + 1000;
    const forgottenWeb = await webUpload(abandonedWeb.sha256, Date.now());
    const keptWeb = await webUpload(reuploaded.sha256, later - 10);
    const recent = await uploads.add(tokenId, fresh.sha256, 1);
    const { uploads: table } = db.tables;
    await db
      .update(table)
      .set({ createdAt: later - 10 })
      .where(eq(table.id, recent.id));

    const recently = new Date(later - 10);
    await utimes(blobs.pathOf(waiting.sha256), recently, recently);
    // What a process that died in the middle of an upload left.
    await writeFile(join(blobDirectory, "incoming", "cut-by-a-crash"), "half a backup");

    expect(await sweepAbandonedUploads({ uploads, webUploads }, blobs, later)).toEqual({
      uploads: 2,
      webUploads: 1,
      archives: 3,
      abandonedWrites: 1,
    });
    expect(await readdir(join(blobDirectory, "incoming"))).toEqual([]);
    for (const upload of old) expect(await uploads.find(upload.id, tokenId)).toBeUndefined();
    expect(await blobs.has(forgotten.sha256)).toBeUndefined();
    expect(await blobs.has(published.sha256)).toBeDefined();
    expect(await uploads.find(recent.id, tokenId)).toBeDefined();
    expect(await blobs.has(fresh.sha256)).toBeDefined();
    expect(await blobs.has(original.sha256)).toBeUndefined();
    expect(await blobs.has(waiting.sha256)).toBeDefined();
    expect(await webUploads.find(forgottenWeb.id, accountId, later)).toBeUndefined();
    expect(await blobs.has(abandonedWeb.sha256)).toBeUndefined();
    expect(await webUploads.find(keptWeb.id, accountId, later)).toMatchObject({
      sha256: reuploaded.sha256,
      report: { sha256: reuploaded.sha256 },
    });
    expect(await blobs.has(reuploaded.sha256)).toBeDefined();
  });
});
