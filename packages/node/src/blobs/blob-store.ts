import { createHash, randomUUID } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { type FileHandle, mkdir, open, readdir, rename, rm, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { keepTouched } from "../keep-touched.ts";
import { PRIVATE_DIRECTORY_MODE, PRIVATE_FILE_MODE } from "../private-files.ts";

const SHA256 = /^[0-9a-f]{64}$/;

export interface StoredBlob {
  readonly sha256: string;
  readonly size: number;
}

/**
 * Archives on disk, named by their sha256: the same bytes are stored once, a name never
 * changes meaning, and a file is only ever seen whole (written aside, then renamed).
 */
export class BlobStore {
  readonly #root: string;
  readonly #downloads = new Map<string, Promise<StoredBlob>>();

  constructor(root: string) {
    this.#root = root;
  }

  /** Where the blob with this digest lives (whether or not it is there). */
  pathOf(sha256: string): string {
    if (!SHA256.test(sha256)) throw new Error(`"${sha256}" is not a sha256 digest.`);
    return join(this.#root, sha256.slice(0, 2), sha256.slice(2, 4), sha256);
  }

  async has(sha256: string): Promise<StoredBlob | undefined> {
    try {
      const { size } = await stat(this.pathOf(sha256));
      return { sha256, size };
    } catch {
      return undefined;
    }
  }

  /**
   * Stores a stream, hashing it on the way. With `expected`, a stream whose digest differs
   * is discarded and refused: nothing unverified is ever kept.
   */
  async put(content: Readable, expected?: string): Promise<StoredBlob> {
    const incoming = join(this.#root, "incoming");
    await mkdir(incoming, { recursive: true, mode: PRIVATE_DIRECTORY_MODE });
    const temporary = join(incoming, randomUUID());
    const hash = createHash("sha256");
    let size = 0;
    // Touched while written, even when its sender pauses: an untouched file there is one
    // a process that died left behind (removeAbandonedWrites).
    const touching = keepTouched(temporary);
    try {
      content.on("data", (chunk: Buffer) => {
        hash.update(chunk);
        size += chunk.length;
      });
      await pipeline(content, createWriteStream(temporary, { mode: PRIVATE_FILE_MODE }));
      const sha256 = hash.digest("hex");
      if (expected !== undefined && sha256 !== expected) {
        throw new BlobDigestError(expected, sha256);
      }
      const path = this.pathOf(sha256);
      await mkdir(dirname(path), { recursive: true, mode: PRIVATE_DIRECTORY_MODE });
      await rename(temporary, path);
      return { sha256, size };
    } finally {
      clearInterval(touching);
      await rm(temporary, { force: true });
    }
  }

  /**
   * Deletes what writers that died left behind, at start and by the hourly sweep: files
   * in incoming/ untouched for ABANDONED_WRITE_MS (a live writer touches its file every
   * TOUCH_MS, whichever process it is: several may share this folder), and partial
   * downloads untouched for ABANDONED_PARTIAL_MS that no live download holds the lock
   * of (they are kept that long for the download to resume). Returns how many went.
   */
  async removeAbandonedWrites(now: number = Date.now()): Promise<number> {
    let removed = 0;
    const touchedAt = async (path: string) =>
      await stat(path).then(
        (stats) => stats.mtimeMs,
        () => undefined,
      );
    const incoming = join(this.#root, "incoming");
    for (const name of await readdir(incoming).catch(() => [] as string[])) {
      const touched = await touchedAt(join(incoming, name));
      if (touched !== undefined && now - touched > ABANDONED_WRITE_MS) {
        await rm(join(incoming, name), { force: true });
        removed++;
      }
    }
    const partial = join(this.#root, "partial");
    for (const name of await readdir(partial).catch(() => [] as string[])) {
      if (!name.endsWith(".part")) continue;
      const touched = await touchedAt(join(partial, name));
      const locked = await touchedAt(join(partial, `${name}.lock`));
      const lockLive = locked !== undefined && now - locked <= STALE_LOCK_MS;
      if (touched !== undefined && now - touched > ABANDONED_PARTIAL_MS && !lockLive) {
        await rm(join(partial, name), { force: true });
        removed++;
      }
    }
    return removed;
  }

  /**
   * Brings a blob into the store with `download`, which assembles (and verifies) it at the
   * partial path it is given, resuming what an earlier attempt left there. One download of
   * a digest at a time, whatever the number of callers and processes sharing the store:
   * in this process later callers wait for the first one's result; other processes wait
   * for its lock file. Two downloads appending to one partial file would mix their bytes.
   */
  async download(
    sha256: string,
    download: (partialPath: string) => Promise<unknown>,
  ): Promise<StoredBlob> {
    const running = this.#downloads.get(sha256);
    if (running) return await running;
    const work = this.#downloadAlone(sha256, download);
    this.#downloads.set(sha256, work);
    try {
      return await work;
    } finally {
      this.#downloads.delete(sha256);
    }
  }

  async #downloadAlone(
    sha256: string,
    download: (partialPath: string) => Promise<unknown>,
  ): Promise<StoredBlob> {
    const partial = join(this.#root, "partial", `${basename(this.pathOf(sha256))}.part`);
    await mkdir(dirname(partial), { recursive: true, mode: PRIVATE_DIRECTORY_MODE });
    const release = await lockFile(`${partial}.lock`);
    try {
      // Another process may have brought it while this one waited for the lock.
      const held = await this.has(sha256);
      if (held) return held;
      await download(partial);
      const target = this.pathOf(sha256);
      await mkdir(dirname(target), { recursive: true, mode: PRIVATE_DIRECTORY_MODE });
      await rename(partial, target);
      return { sha256, size: (await stat(target)).size };
    } finally {
      await release();
    }
  }

  /** Deletes a blob that nothing refers to (the caller knows it is not published). */
  async removeUnreferenced(sha256: string): Promise<void> {
    await rm(this.pathOf(sha256), { force: true });
  }

  /** The digests of the blobs last written before `before` (ms since the epoch). */
  async *writtenBefore(before: number): AsyncGenerator<string> {
    const folders = async (path: string) =>
      (await readdir(path).catch(() => [] as string[])).filter((name) =>
        /^[0-9a-f]{2}$/.test(name),
      );
    for (const first of await folders(this.#root)) {
      for (const second of await folders(join(this.#root, first))) {
        for (const name of await readdir(join(this.#root, first, second))) {
          if (!SHA256.test(name)) continue;
          const written = await stat(join(this.#root, first, second, name)).catch(() => undefined);
          if (written && written.mtimeMs < before) yield name;
        }
      }
    }
  }

  /** Bytes `start` to `end` (inclusive) of a stored blob, or all of it. */
  read(sha256: string, range?: { start: number; end: number }): Readable {
    return createReadStream(this.pathOf(sha256), range ?? {});
  }

  /** A stored blob's file, open for reading into the caller's own buffers; the caller closes it. */
  async openForReading(sha256: string): Promise<FileHandle> {
    return await open(this.pathOf(sha256), "r");
  }
}

export class BlobDigestError extends Error {
  override readonly name = "BlobDigestError";

  constructor(expected: string, actual: string) {
    super(
      `The archive's sha256 is ${actual}, not the ${expected} its manifest promises; it was discarded.`,
    );
  }
}

/** A lock file not touched for this long was left by a process that died. */
const STALE_LOCK_MS = 120_000;
const LOCK_POLL_MS = 250;
/**
 * An incoming file untouched this long was left by a process that died. Far above
 * TOUCH_MS, so that a writer held up (a busy event loop, a slow disk, clocks apart
 * between machines sharing the folder) is never taken for a dead one.
 */
export const ABANDONED_WRITE_MS = 10 * 60_000;
/** How long a cut download waits to be resumed before its bytes are given up. */
export const ABANDONED_PARTIAL_MS = 24 * 3600 * 1000;

/**
 * Takes the lock file at `path` (created exclusively, so one holder across processes and
 * machines sharing the folder), waiting while another holds it. The holder touches it
 * while it works; a lock left untouched for two minutes is taken over.
 */
async function lockFile(path: string): Promise<() => Promise<void>> {
  for (;;) {
    try {
      const handle = await open(path, "wx", PRIVATE_FILE_MODE);
      await handle.writeFile(`${process.pid}\n`);
      await handle.close();
      const touching = keepTouched(path);
      return async () => {
        clearInterval(touching);
        await rm(path, { force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const touched = await stat(path).then(
      (stats) => stats.mtimeMs,
      () => undefined,
    );
    if (touched !== undefined && Date.now() - touched > STALE_LOCK_MS) {
      // Renamed away rather than deleted: of several waiters, one moves it.
      const stale = `${path}.${randomUUID()}`;
      if (
        await rename(path, stale).then(
          () => true,
          () => false,
        )
      )
        await rm(stale, { force: true });
      continue;
    }
    await new Promise((resolve) => setTimeout(resolve, LOCK_POLL_MS));
  }
}
