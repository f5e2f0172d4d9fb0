import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { type FileHandle, open, rm, stat } from "node:fs/promises";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { PRIVATE_FILE_MODE } from "../private-files.ts";
import {
  ArchiveAddressError,
  type ArchiveAnswer,
  ArchiveAnswerError,
  getArchive,
} from "./archive-get.ts";
import { BlobDigestError } from "./blob-store.ts";

export class DownloadError extends Error {
  override readonly name = "DownloadError";
}

/**
 * Downloads `url` into `partialPath`, continuing from what an earlier attempt left there
 * (a Range request, guarded by If-Range on the archive's ETag), and checks the whole
 * file against `sha256`. A file that does not match is deleted and refused, and so is
 * one that grows past `size`, as soon as it does.
 */
/** Gives back a request with an HTTP signature added. */
export type RequestSigner = (request: Request) => Promise<Request>;

export async function downloadResumably(
  url: URL,
  partialPath: string,
  sha256: string,
  options: {
    readonly headers?: Record<string, string>;
    /** Signs the request (with an HTTP signature) before it is sent. */
    readonly sign?: RequestSigner;
    readonly onProgress?: (done: number, total: number | undefined) => void;
    /**
     * The archive's size as its signed manifest gives it: a server that sends more is cut
     * off there rather than allowed to fill the disk.
     */
    readonly size?: number;
    /**
     * False for a peer's archive when the node may not reach private addresses: its host
     * is checked on each address connected to. The CLI talks to its own node, often local.
     */
    readonly allowPrivateAddresses?: boolean;
  } = {},
): Promise<{ size: number }> {
  const hash = createHash("sha256");
  const have = await stat(partialPath).then(
    (stats) => stats.size,
    () => 0,
  );
  if (have > 0) {
    // The bytes already here count towards the digest: hash them first.
    await pipeline(
      createReadStream(partialPath),
      new Transform({
        transform(chunk: Buffer, _encoding, callback) {
          hash.update(chunk);
          callback();
        },
      }),
    );
  }
  const headers: Record<string, string> = { ...options.headers };
  if (options.size !== undefined && have > options.size) {
    // Bytes from an earlier attempt past the promised size: they can only be wrong.
    return await restart(url, partialPath, sha256, options);
  }
  if (have > 0) Object.assign(headers, { range: `bytes=${have}-`, "if-range": `"${sha256}"` });
  let response: ArchiveAnswer;
  try {
    response = await requestArchive(url, headers, options);
  } catch (error) {
    if (error instanceof DownloadError) throw error;
    if (error instanceof ArchiveAddressError) throw new DownloadError(error.message);
    if (error instanceof ArchiveAnswerError) {
      throw new DownloadError(
        `${url.origin} gave an answer this node does not accept (${error.message}); try again later, and tell its administrators if it lasts.`,
      );
    }
    throw new DownloadError(
      `Cannot reach ${url.origin}: ${(error as Error).message}. Try again; the download will resume.`,
    );
  }
  const status = response.status;
  if (status === 416 && have > 0) {
    // Everything was already here.
    response.close();
  } else if (status === 200 || status === 206) {
    if (status === 200 && have > 0) {
      // The archive changed or the server ignores ranges: start over.
      response.close();
      return await restart(url, partialPath, sha256, options);
    }
    const total = totalSize(response, have);
    let done = have;
    let oversized = false;
    try {
      await appendTo(partialPath, response, (chunk) => {
        done += chunk.length;
        if (options.size !== undefined && done > options.size) {
          oversized = true;
          throw new DownloadError(`more than ${options.size} bytes`);
        }
        hash.update(chunk);
        options.onProgress?.(done, total);
      });
    } catch (error) {
      if (oversized) {
        await rm(partialPath, { force: true });
        throw new DownloadError(
          `${url.origin} sent more than the ${options.size} bytes the archive's signed manifest gives; the download was discarded.`,
        );
      }
      throw new DownloadError(
        `The download from ${url.origin} was cut after ${done} bytes (${(error as Error).message}); run it again to resume.`,
      );
    }
  } else {
    // Not read: let the connection go rather than leave the answer pending.
    response.close();
    throw new DownloadError(`${url.href} answered ${status} ${response.statusMessage}.`);
  }
  const actual = hash.digest("hex");
  if (actual !== sha256) {
    await rm(partialPath, { force: true });
    throw new BlobDigestError(sha256, actual);
  }
  return { size: (await stat(partialPath)).size };
}

/**
 * Appends a body to `path`, each piece seen by `accept` first (which throws to refuse it).
 * When the body is cut, what was received before is written all the same, so that the
 * next attempt resumes from there; nothing is written after a refused piece or a failed write.
 */
async function appendTo(
  path: string,
  answer: ArchiveAnswer,
  accept: (piece: Buffer) => void,
): Promise<void> {
  const file = await open(path, "a", PRIVATE_FILE_MODE);
  try {
    await answer.readBody(accept, (batch) => writeAll(file, batch));
  } finally {
    await file.close();
  }
}

/** Writes the whole batch at the end of the file, the rest again if it wrote less. */
async function writeAll(file: FileHandle, batch: Buffer): Promise<void> {
  let written = 0;
  while (written < batch.length) {
    const { bytesWritten } = await file.write(batch, written, batch.length - written);
    written += bytesWritten;
  }
}

/** Redirects followed to the archive, as fetch's "follow" did; each hop is signed anew. */
const MAX_REDIRECTS = 20;

/**
 * GETs the archive, following redirects on its own origin only. The request is signed as
 * a web Request, which is what signers take, and sent with the headers the signature covers.
 * A redirect elsewhere is refused: the archive is fetched from the server the caller
 * checked (its publisher's, on an address and a server the node federates with), and the
 * signature and headers (an API token) are for that server alone.
 */
async function requestArchive(
  url: URL,
  headers: Record<string, string>,
  options: Parameters<typeof downloadResumably>[3],
): Promise<ArchiveAnswer> {
  let target = url;
  for (let hops = 0; ; hops++) {
    const unsigned = new Request(target, { headers });
    const request = options?.sign ? await options.sign(unsigned) : unsigned;
    const answer = await getArchive(target, Object.fromEntries(request.headers), {
      allowPrivateAddresses: options?.allowPrivateAddresses ?? true,
    });
    const location = answer.headers.get("location");
    if (!location || ![301, 302, 303, 307, 308].includes(answer.status)) return answer;
    answer.close();
    if (hops === MAX_REDIRECTS) {
      throw new DownloadError(
        `${url.origin} redirected the archive more than ${MAX_REDIRECTS} times (a loop?); ask its administrators to fix the archive's address.`,
      );
    }
    const next = URL.parse(location, target.href);
    if (next?.origin !== url.origin) {
      throw new DownloadError(
        `${url.origin} redirected the archive to ${JSON.stringify(location.slice(0, 200))}, which is not on ${url.origin}; an archive is fetched from its own server only, so the download was refused.`,
      );
    }
    target = next;
  }
}

async function restart(
  url: URL,
  partialPath: string,
  sha256: string,
  options: Parameters<typeof downloadResumably>[3],
): Promise<{ size: number }> {
  await rm(partialPath, { force: true });
  return await downloadResumably(url, partialPath, sha256, options);
}

function totalSize(answer: ArchiveAnswer, have: number): number | undefined {
  const range = /\/(\d+)$/.exec(answer.headers.get("content-range") ?? "");
  if (range) return Number(range[1]);
  const length = Number(answer.headers.get("content-length"));
  return Number.isFinite(length) && length > 0 ? have + length : undefined;
}
