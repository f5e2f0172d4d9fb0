import type { BlobStore } from "../blobs/blob-store.ts";
import type { UploadRepository } from "./upload-repository.ts";

/**
 * How long an upload waits to be published. Uploading and publishing are two calls (the
 * scan result is shown in between); a day covers a teacher who comes back after lunch.
 */
export const ABANDONED_UPLOAD_AGE_MS = 24 * 3600 * 1000;

/**
 * Forgets uploads never published within ABANDONED_UPLOAD_AGE_MS, then deletes every
 * archive at least that old that nothing uses: theirs, a web upload never published, the
 * original of a backup published sanitized (it holds the personal data that was removed),
 * one a crash left behind. Returns how many uploads and archives went.
 */
export async function sweepAbandonedUploads(
  uploads: UploadRepository,
  blobs: BlobStore,
  now: number = Date.now(),
): Promise<{ uploads: number; archives: number }> {
  const cutoff = now - ABANDONED_UPLOAD_AGE_MS;
  const abandoned = await uploads.olderThan(cutoff);
  for (const upload of abandoned) await uploads.remove(upload.id);
  let archives = 0;
  for await (const sha256 of blobs.writtenBefore(cutoff)) {
    if (await uploads.archiveInUse(sha256)) continue;
    await blobs.removeUnreferenced(sha256);
    archives++;
  }
  return { uploads: abandoned.length, archives };
}
