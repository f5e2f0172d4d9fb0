import { type BackupDiff, diffBackups } from "@coursefed/mbz";
import { LruMap } from "../lru-map.ts";
import type { BlobStore } from "./blob-store.ts";

/**
 * Diffs already worked out, per blob store, by pair of digests. Archives are named by
 * their sha256, so a diff of two digests never goes stale; the course page and the API
 * asking again for the same two revisions (each diff reads both archives whole) get the
 * first answer. A few dozen are kept: a diff is a few kB, or a few hundred for a course
 * whose every file changed.
 */
const KEPT = 32;
const diffsByStore = new WeakMap<BlobStore, LruMap<string, Promise<BackupDiff>>>();

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
    diffs = new LruMap(KEPT);
    diffsByStore.set(blobs, diffs);
  }
  const key = `${fromSha256}:${toSha256}`;
  const known = diffs.get(key);
  if (known) return known;
  const diff = diffBackups(blobs.pathOf(fromSha256), blobs.pathOf(toSha256));
  diffs.set(key, diff);
  // A failure is not kept: the next asking tries again (a blob may have been fetched since).
  diff.catch(() => diffs.delete(key));
  return diff;
}
