import type { BlobStore } from "../blobs/blob-store.ts";
import type { UploadRepository } from "./upload-repository.ts";

/**
 * How long an upload waits to be published. Uploading and publishing are two calls (the
 * scan result is shown in between); a day covers a teacher who comes back after lunch.
 */
export const ABANDONED_UPLOAD_AGE_MS = 24 * 3600 * 1000;

/**
 * Forgets uploads never published within ABANDONED_UPLOAD_AGE_MS, and deletes their
 * archives unless something else still uses the same bytes. Returns how many were dropped.
 */
export async function sweepAbandonedUploads(
  uploads: UploadRepository,
  blobs: BlobStore,
  now: number = Date.now(),
): Promise<number> {
  const abandoned = uploads.olderThan(now - ABANDONED_UPLOAD_AGE_MS);
  for (const upload of abandoned) {
    uploads.remove(upload.id);
    if (!uploads.archiveInUse(upload.sha256)) await blobs.removeUnreferenced(upload.sha256);
  }
  return abandoned.length;
}
