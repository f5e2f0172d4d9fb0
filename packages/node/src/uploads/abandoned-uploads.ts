import type { BlobStore } from "../blobs/blob-store.ts";
import type { UploadRepository } from "./upload-repository.ts";

/**
 * How long an upload waits to be published. Uploading and publishing are two calls (the
 * scan result is shown in between); a day covers a teacher who comes back after lunch.
 */
export const ABANDONED_UPLOAD_AGE_MS = 24 * 3600 * 1000;

/**
 * What the sweep needs of the web pages' uploads (WebUploadRepository), written out here
 * because that repository takes its lifetime, ABANDONED_UPLOAD_AGE_MS, from this file.
 */
interface WebUploadHolder {
  holds(sha256: string): Promise<boolean>;
  forgetOlderThan(before: number): Promise<number>;
}

/** The uploads that may still need an archive: the API's and the web pages'. */
export interface UploadHolders {
  readonly uploads: UploadRepository;
  readonly webUploads: WebUploadHolder;
}

/**
 * Deletes an archive nothing needs any more (no course revision, catalog revision or
 * upload waiting with it). Called as soon as an upload is published, on every path: the
 * original of a backup published sanitized holds the personal data that was removed, so
 * it goes at once rather than with the sweep. Returns whether it went.
 */
export async function discardUnusedArchive(
  holders: UploadHolders,
  blobs: BlobStore,
  sha256: string,
): Promise<boolean> {
  if ((await holders.uploads.archiveInUse(sha256)) || (await holders.webUploads.holds(sha256)))
    return false;
  await blobs.removeUnreferenced(sha256);
  return true;
}

/**
 * Forgets uploads never published within ABANDONED_UPLOAD_AGE_MS, the API's and the web
 * pages', then deletes every archive at least that old that nothing uses: theirs, the
 * original of a backup published sanitized (it holds the personal data that was
 * removed), one a crash left behind. An archive a web upload still waits with stays.
 * Also deletes what dead writers left in the store (BlobStore.removeAbandonedWrites).
 * Returns how many uploads of each kind, archives and abandoned writes went.
 */
export async function sweepAbandonedUploads(
  { uploads, webUploads }: UploadHolders,
  blobs: BlobStore,
  now: number = Date.now(),
): Promise<{ uploads: number; webUploads: number; archives: number; abandonedWrites: number }> {
  const cutoff = now - ABANDONED_UPLOAD_AGE_MS;
  const abandoned = await uploads.olderThan(cutoff);
  for (const upload of abandoned) await uploads.remove(upload.id);
  const forgotten = await webUploads.forgetOlderThan(cutoff);
  let archives = 0;
  for await (const sha256 of blobs.writtenBefore(cutoff)) {
    if (await discardUnusedArchive({ uploads, webUploads }, blobs, sha256)) archives++;
  }
  const abandonedWrites = await blobs.removeAbandonedWrites(now);
  return { uploads: abandoned.length, webUploads: forgotten, archives, abandonedWrites };
}
