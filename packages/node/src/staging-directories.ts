import { mkdtemp, readdir, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { keepTouched } from "./keep-touched.ts";

/**
 * The names of the folders where the node stages a file for a moment, in the system's
 * temporary folder: a backup that Moodle makes for a share, a sanitized copy of an upload.
 * They can be as large as a course, so none may outlive the work it was made for.
 */
const STAGING_PREFIX = "coursefed-staging-";

/**
 * A staging folder untouched this long was left by a process that died in the middle of
 * its work (a live one touches its folder every TOUCH_MS). Far above that, so that a
 * process held up (a busy event loop, a slow disk) is never taken for a dead one.
 */
export const ABANDONED_STAGING_MS = 10 * 60_000;

/**
 * Runs `work` with a staging folder of its own, named for its `purpose`, and removes the
 * folder and what `work` left in it however `work` ends.
 */
export async function withStagingDirectory<T>(
  purpose: string,
  work: (directory: string) => Promise<T>,
): Promise<T> {
  const directory = await mkdtemp(join(tmpdir(), `${STAGING_PREFIX}${purpose}-`));
  const touching = keepTouched(directory);
  try {
    return await work(directory);
  } finally {
    clearInterval(touching);
    await rm(directory, { recursive: true, force: true });
  }
}

/**
 * Removes the staging folders that processes which died (killed, out of memory) left in
 * the temporary folder, at a node's start; a folder another live process works in, which
 * it keeps touched, stays. Returns how many went.
 */
export async function removeAbandonedStagingDirectories(now: number = Date.now()): Promise<number> {
  const folder = tmpdir();
  let removed = 0;
  for (const name of await readdir(folder).catch(() => [] as string[])) {
    if (!name.startsWith(STAGING_PREFIX)) continue;
    const path = join(folder, name);
    const touched = await stat(path).then(
      (stats) => (stats.isDirectory() ? stats.mtimeMs : undefined),
      () => undefined,
    );
    if (touched !== undefined && now - touched > ABANDONED_STAGING_MS) {
      // Another user's folder in a shared temporary folder is theirs to remove.
      await rm(path, { recursive: true, force: true }).then(
        () => removed++,
        () => {},
      );
    }
  }
  return removed;
}
