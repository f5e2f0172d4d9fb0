import { type BackupDiff, diffBackups } from "@coursefed/mbz";
import type { BlobStore } from "./blob-store.ts";

/**
 * Diffs already worked out, per blob store, by pair of digests. Archives are named by
 * their sha256, so a diff of two digests never goes stale; the course page and the API
 * asking again for the same two revisions (each diff reads both archives whole) get the
 * first answer. A few dozen are kept: a diff is a few kB, or a few hundred for a course
 * whose every file changed.
 */
const KEPT = 32;
const diffsByStore = new WeakMap<BlobStore, Map<string, Promise<BackupDiff>>>();

/**
 * What changed from one stored archive to another. Both must be in the store; an archive
 * that is not a readable Moodle backup is refused with the MbzError inspect gives.
 */
export function diffStoredArchives(
  blobs: BlobStore,
  fromSha256: string,
  toSha256: string,
): Promise<BackupDiff> {
  let diffs = diffsByStore.get(blobs);
  if (!diffs) {
    diffs = new Map();
    diffsByStore.set(blobs, diffs);
  }
  const key = `${fromSha256}:${toSha256}`;
  const known = diffs.get(key);
  if (known) {
    // Most recently asked last: the first in the map is the one to forget.
    diffs.delete(key);
    diffs.set(key, known);
    return known;
  }
  const diff = diffBackups(blobs.pathOf(fromSha256), blobs.pathOf(toSha256));
  diffs.set(key, diff);
  // A failure is not kept: the next asking tries again (a blob may have been fetched since).
  diff.catch(() => diffs.delete(key));
  while (diffs.size > KEPT) diffs.delete(diffs.keys().next().value as string);
  return diff;
}
