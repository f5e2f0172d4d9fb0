import { createHash, randomUUID } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, readdir, rename, rm, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";

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
    await mkdir(incoming, { recursive: true });
    const temporary = join(incoming, randomUUID());
    const hash = createHash("sha256");
    let size = 0;
    try {
      content.on("data", (chunk: Buffer) => {
        hash.update(chunk);
        size += chunk.length;
      });
      await pipeline(content, createWriteStream(temporary));
      const sha256 = hash.digest("hex");
      if (expected !== undefined && sha256 !== expected) {
        throw new BlobDigestError(expected, sha256);
      }
      const path = this.pathOf(sha256);
      await mkdir(dirname(path), { recursive: true });
      await rename(temporary, path);
      return { sha256, size };
    } finally {
      await rm(temporary, { force: true });
    }
  }

  /** Where a download of this blob is assembled until it is verified. */
  partialPathOf(sha256: string): string {
    return join(this.#root, "partial", `${basename(this.pathOf(sha256))}.part`);
  }

  /** Moves a file whose digest the caller has verified into the store. */
  async adopt(path: string, sha256: string): Promise<StoredBlob> {
    const target = this.pathOf(sha256);
    await mkdir(dirname(target), { recursive: true });
    await rename(path, target);
    return { sha256, size: (await stat(target)).size };
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
}

export class BlobDigestError extends Error {
  override readonly name = "BlobDigestError";

  constructor(expected: string, actual: string) {
    super(
      `The archive's sha256 is ${actual}, not the ${expected} its manifest promises; it was discarded.`,
    );
  }
}
