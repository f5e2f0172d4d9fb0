import { createHash } from "node:crypto";
import { open, stat } from "node:fs/promises";
import {
  PassThrough,
  type Readable,
  Transform,
  type TransformCallback,
  type Writable,
} from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import tarStream from "tar-stream";
import yauzl from "yauzl";
import { formatBytes } from "./byte-size.ts";
import { type ContainerFormat, detectContainer, readHead } from "./container.ts";
import { MbzError } from "./errors.ts";
import type { ArchiveLimits } from "./limits.ts";
import { normalizeMemberName, printable } from "./member-name.ts";

export interface ArchiveMember {
  /** Normalized path (no leading "./"); directories end with "/". */
  readonly name: string;
  readonly size: number;
  readonly isDirectory: boolean;
  readonly modifiedAt: Date;
  /** Unix permission bits as stored, when the container records them. */
  readonly mode: number | undefined;
}

/**
 * Receives every member in archive order, folders included. Returning a function from
 * `member` asks for a file's bytes: it must consume the stream to its end. Members not asked for are
 * skipped (zip: never inflated) or drained (tar.gz: they must be inflated anyway).
 */
export interface MemberVisitor {
  member(member: ArchiveMember): ((content: Readable) => Promise<void>) | undefined;
}

export interface ArchiveIdentity {
  readonly format: ContainerFormat;
  readonly sha256: string;
  readonly size: number;
}

export interface ReadArchiveOptions {
  readonly limits: ArchiveLimits;
  /** Called as the file is read, with bytes of the archive file read so far. */
  readonly onProgress?: (bytesRead: number, totalBytes: number) => void;
}

/**
 * Reads an archive once, hashing it whole while visiting its members, with every
 * member name, type and size checked against the limits.
 */
export async function readArchive(
  path: string,
  visitor: MemberVisitor,
  options: ReadArchiveOptions,
): Promise<ArchiveIdentity> {
  const { size } = await stat(path);
  const format = detectContainer(await readHead(path));
  const sha256 =
    format === "zip"
      ? await readZip(path, size, visitor, options)
      : await readTarGz(path, size, visitor, options);
  return { format, sha256, size };
}

/** Counts bytes flowing through and refuses an archive that inflates past the limits. */
class InflationGuard {
  private inflated = 0;
  private readonly names = new Set<string>();
  private readonly limits: ArchiveLimits;
  private readonly compressedSize: () => number;

  constructor(limits: ArchiveLimits, compressedSize: () => number) {
    this.limits = limits;
    this.compressedSize = compressedSize;
  }

  admit(member: ArchiveMember, rawName: string): void {
    if (this.names.has(member.name)) {
      throw new MbzError(
        "DUPLICATE_MEMBER",
        `Archive member "${printable(member.name)}" appears twice; readers would disagree on which copy counts, so the archive is refused.`,
        rawName,
      );
    }
    if (this.names.size >= this.limits.maxMembers) {
      throw new MbzError(
        "TOO_LARGE",
        `Archive has more than ${this.limits.maxMembers} members; raise the member limit if this backup is genuine.`,
      );
    }
    this.names.add(member.name);
  }

  add(bytes: number, member?: string): void {
    this.inflated += bytes;
    if (this.inflated > this.limits.maxUncompressedBytes) {
      throw new MbzError(
        "TOO_LARGE",
        `Archive inflates to more than ${formatBytes(this.limits.maxUncompressedBytes)}${member ? ` (at member "${printable(member)}")` : ""}; refusing it as a possible archive bomb. Raise the uncompressed-size limit if the backup is genuine.`,
        member,
      );
    }
    checkRatio(this.inflated, this.compressedSize(), this.limits, member, "archive");
  }
}

function checkRatio(
  inflated: number,
  compressed: number,
  limits: ArchiveLimits,
  member: string | undefined,
  scope: "archive" | "member",
): void {
  if (inflated <= limits.ratioGraceBytes) return;
  const ratio = inflated / Math.max(compressed, 1);
  if (ratio > limits.maxCompressionRatio) {
    throw new MbzError(
      "COMPRESSION_RATIO",
      `${scope === "member" ? `Archive member "${printable(member ?? "")}"` : `Archive${member ? ` (at member "${printable(member)}")` : ""}`} expands ${Math.round(ratio)}:1, beyond the ${limits.maxCompressionRatio}:1 limit; refusing it as a possible archive bomb. Raise the ratio limit if the backup is genuine.`,
      member,
    );
  }
}

async function readTarGz(
  path: string,
  size: number,
  visitor: MemberVisitor,
  { limits, onProgress }: ReadArchiveOptions,
): Promise<string> {
  const hash = createHash("sha256");
  let compressedRead = 0;
  const gunzip = createGunzip({ chunkSize: 64 * 1024 });
  // Measured against what gunzip has consumed, not what was read ahead of it: a bomb is
  // stopped at the ratio of the bytes that made its output, two read buffers sooner.
  const guard = new InflationGuard(limits, () => gunzip.bytesWritten);
  let currentMember: string | undefined;

  const meter = new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      try {
        guard.add(chunk.length, currentMember);
        callback(null, chunk);
      } catch (error) {
        callback(error as Error);
      }
    },
  });
  const extract = tarStream.extract();

  const visitAll = async (): Promise<void> => {
    for await (const entry of extract) {
      const header = entry.header;
      const member = tarMember(header, guard);
      currentMember = member.name;
      const wanted = member.name === "" ? undefined : visitor.member(member);
      const read = member.isDirectory ? undefined : wanted;
      if (read) {
        await read(entry as unknown as Readable);
      } else {
        entry.resume();
        await new Promise<void>((resolve, reject) => {
          entry.once("end", resolve);
          entry.once("error", reject);
        });
      }
    }
  };

  const feed = async (): Promise<void> => {
    for await (const chunk of fileChunks(path)) {
      // Once the pipeline has failed, it alone says why; feeding on would only inflate more.
      if (gunzip.destroyed) return;
      hash.update(chunk);
      compressedRead += chunk.length;
      onProgress?.(compressedRead, size);
      chunk.handOff(gunzip);
    }
    if (!gunzip.destroyed) gunzip.end();
  };
  try {
    await Promise.all([pipeline(gunzip, meter, extract), feed(), visitAll()]);
  } catch (error) {
    gunzip.destroy();
    extract.destroy();
    throw translateTarError(error, currentMember);
  }
  return hash.digest("hex");
}

function tarMember(header: tarStream.Header, guard: InflationGuard): ArchiveMember {
  const type = header.type ?? "file";
  if (type === "symlink" || type === "link") {
    throw new MbzError(
      "LINK_MEMBER",
      `Archive member "${printable(header.name)}" is a ${type === "symlink" ? "symbolic" : "hard"} link (to "${printable(header.linkname ?? "")}"); Moodle backups hold only files and folders, so the archive is refused.`,
      header.name,
    );
  }
  if (type !== "file" && type !== "directory" && type !== "contiguous-file") {
    throw new MbzError(
      "CORRUPT",
      `Archive member "${printable(header.name)}" is a ${type} entry; Moodle backups hold only files and folders.`,
      header.name,
    );
  }
  const isDirectory = type === "directory";
  let name = normalizeMemberName(header.name);
  if (isDirectory && !name.endsWith("/") && name !== "") name = `${name}/`;
  const member: ArchiveMember = {
    name,
    size: header.size ?? 0,
    isDirectory,
    modifiedAt: header.mtime ?? new Date(0),
    mode: header.mode,
  };
  if (name !== "") guard.admit(member, header.name);
  return member;
}

function translateTarError(error: unknown, member: string | undefined): MbzError {
  if (error instanceof MbzError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const where = member ? ` (after member "${printable(member)}")` : "";
  if (/unexpected end|premature close|truncated/i.test(message)) {
    return new MbzError(
      "TRUNCATED",
      `Archive ends too early${where}: the file is truncated. Copy or download it again.`,
      member,
      { cause: error },
    );
  }
  return new MbzError(
    "CORRUPT",
    `Archive is damaged${where}: ${message}. Copy or download it again, or make a new backup.`,
    member,
    { cause: error },
  );
}

async function readZip(
  path: string,
  size: number,
  visitor: MemberVisitor,
  { limits, onProgress }: ReadArchiveOptions,
): Promise<string> {
  // The hash pass reads the file sequentially while the members are read by random
  // access: both overlap, and selected members only are inflated.
  let refused = false;
  const hashing = (async () => {
    const hash = createHash("sha256");
    let read = 0;
    for await (const chunk of fileChunks(path)) {
      // The archive is refused already: reading on (gigabytes, maybe) would tell no one.
      if (refused) return "";
      hash.update(chunk);
      read += chunk.length;
      onProgress?.(read, size);
    }
    return hash.digest("hex");
  })();
  const visiting = visitZip(path, size, visitor, limits).catch((error: unknown) => {
    refused = true;
    throw error;
  });
  const [digest] = await Promise.all([hashing, visiting]);
  return digest;
}

async function visitZip(
  path: string,
  size: number,
  visitor: MemberVisitor,
  limits: ArchiveLimits,
): Promise<void> {
  const zip = await new Promise<yauzl.ZipFile>((resolve, reject) => {
    yauzl.open(
      path,
      { lazyEntries: true, autoClose: false, validateEntrySizes: true },
      (error, zipFile) => (error ? reject(translateZipError(error)) : resolve(zipFile)),
    );
  });
  const guard = new InflationGuard(limits, () => size);
  try {
    await new Promise<void>((resolve, reject) => {
      const fail = (error: unknown) => reject(translateZipError(error));
      zip.on("error", fail);
      zip.on("end", resolve);
      zip.on("entry", (entry: yauzl.Entry) => {
        visitZipEntry(zip, entry, guard, limits, visitor)
          .then(() => zip.readEntry())
          .catch(fail);
      });
      zip.readEntry();
    });
  } finally {
    zip.close();
  }
}

async function visitZipEntry(
  zip: yauzl.ZipFile,
  entry: yauzl.Entry,
  guard: InflationGuard,
  limits: ArchiveLimits,
  visitor: MemberVisitor,
): Promise<void> {
  const unixMode = entry.externalFileAttributes >>> 16;
  const madeOnUnix = entry.versionMadeBy >> 8 === 3;
  if (madeOnUnix && (unixMode & 0o170000) === 0o120000) {
    throw new MbzError(
      "LINK_MEMBER",
      `Archive member "${printable(entry.fileName)}" is a symbolic link; Moodle backups hold only files and folders, so the archive is refused.`,
      entry.fileName,
    );
  }
  const isDirectory = entry.fileName.endsWith("/");
  const member: ArchiveMember = {
    name: normalizeMemberName(entry.fileName),
    size: entry.uncompressedSize,
    isDirectory,
    modifiedAt: entry.getLastModDate(),
    mode: madeOnUnix && unixMode !== 0 ? unixMode & 0o7777 : undefined,
  };
  if (member.name === "") return;
  guard.admit(member, entry.fileName);
  // Declared sizes are checked before anything is inflated; yauzl then holds each
  // member to its declared size while it is read.
  guard.add(entry.uncompressedSize, member.name);
  checkRatio(entry.uncompressedSize, entry.compressedSize, limits, member.name, "member");
  const read = visitor.member(member);
  if (!read || isDirectory) return;
  const content = await new Promise<Readable>((resolve, reject) => {
    zip.openReadStream(entry, (error, stream) =>
      error ? reject(translateZipError(error, member.name)) : resolve(stream),
    );
  });
  const checked = new PassThrough();
  content.on("error", (error) => checked.destroy(translateZipError(error, member.name)));
  content.pipe(checked);
  try {
    await read(checked);
  } finally {
    // A visitor that gave up before the end leaves the member open: yauzl would keep
    // the file open for it, and its next error would find no one listening.
    content.unpipe(checked);
    content.destroy();
    checked.destroy();
  }
}

function translateZipError(error: unknown, member?: string): MbzError {
  if (error instanceof MbzError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const named =
    /^(?:absolute path|invalid relative path|invalid characters in fileName): (.*)$/s.exec(message);
  if (named) {
    return new MbzError(
      "UNSAFE_MEMBER_NAME",
      `Archive member "${printable(named[1] ?? "")}" points outside the archive (${message.split(":")[0]}); refusing the archive (a Moodle backup never contains such names).`,
      named[1],
      { cause: error },
    );
  }
  const where = member ? ` in member "${printable(member)}"` : "";
  if (
    /end of central directory record signature not found|unexpected EOF|EOF|truncated|exceeds file size/i.test(
      message,
    )
  ) {
    return new MbzError(
      "TRUNCATED",
      `Zip archive is truncated or damaged${where} (${message}). Copy or download it again.`,
      member,
      { cause: error },
    );
  }
  return new MbzError(
    "CORRUPT",
    `Zip archive is damaged${where}: ${message}. Copy or download it again, or make a new backup.`,
    member,
    { cause: error },
  );
}

const READ_CHUNK = 1024 * 1024;

/** A slice of a reused read buffer, valid until it is handed off or the next one is read. */
interface FileChunk extends Buffer {
  /** Writes the chunk to `stream`, which may keep it until its write callback. */
  handOff(stream: Writable): void;
}

/**
 * Reads a file sequentially into two buffers used in turn. Reading through a stream
 * allocates a fresh buffer per chunk, and those pile up faster than the collector frees
 * them: on a 1 GB archive that alone cost ~70 MB of RSS. Here a buffer is read into
 * again only once whoever took its previous contents has finished with them.
 */
async function* fileChunks(path: string): AsyncGenerator<FileChunk> {
  const handle = await open(path, "r");
  const buffers = [Buffer.allocUnsafe(READ_CHUNK), Buffer.allocUnsafe(READ_CHUNK)];
  const released: Array<Promise<void>> = [Promise.resolve(), Promise.resolve()];
  let taker: Writable | undefined;
  try {
    for (let turn = 0; ; turn++) {
      const slot = turn % 2;
      await released[slot];
      // A destroyed stream takes nothing more, and zlib may still be reading the buffer
      // it was writing when it was destroyed: it must not be read into again.
      if (taker?.destroyed) return;
      const buffer = buffers[slot] as Buffer;
      const { bytesRead } = await handle.read(buffer, 0, READ_CHUNK, null);
      if (bytesRead === 0) break;
      const chunk = buffer.subarray(0, bytesRead) as FileChunk;
      chunk.handOff = (stream) => {
        taker = stream;
        // Reading goes on; the next read into this buffer waits until the stream is done
        // with it. A stream that fails on a chunk (zlib on bad data) never calls that
        // write back, so its closing frees the buffer too. The failure itself reaches the
        // reader's caller through the stream, once: nothing is rejected here, where a
        // rejection would be left to a slot nobody awaits any more.
        released[slot] = new Promise<void>((resolve) => {
          const free = () => {
            stream.off("close", free);
            resolve();
          };
          stream.once("close", free);
          stream.write(chunk, free);
        });
      };
      yield chunk;
    }
    await Promise.all(released);
  } finally {
    await handle.close();
  }
}
