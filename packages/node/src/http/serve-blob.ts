import type { FileHandle } from "node:fs/promises";
import type { ServerResponse } from "node:http";
import { Readable, Transform } from "node:stream";
import type { HttpBindings } from "@hono/node-server";
import { RESPONSE_ALREADY_SENT } from "@hono/node-server/utils/response";
import type { Context } from "hono";
import type { BlobStore } from "../blobs/blob-store.ts";

/**
 * What tells @hono/node-server that the answer was written to the socket already: its
 * RESPONSE_ALREADY_SENT with the status sent, for the request metrics. Made with that
 * object's own class, the platform's Response: once serving, the server replaces the
 * global Response with one whose empty answers it would write a second time.
 */
function alreadySent(status: number): Response {
  const PlatformResponse = RESPONSE_ALREADY_SENT.constructor as typeof Response;
  return new PlatformResponse(null, { status, headers: RESPONSE_ALREADY_SENT.headers });
}

/**
 * A course's archive that its database row names but the blob store no longer holds (a
 * data directory restored without its blobs, a file removed by hand): the asker is told
 * the node no longer has it, and the admin is told once per request where it should be,
 * rather than a 500 and a stack trace.
 */
function missingArchive(c: Context, blobs: BlobStore, sha256: string): Response {
  console.error(
    `coursefed: the archive ${sha256} is missing from the blob store (${blobs.pathOf(sha256)}): restore the data directory's blobs from a backup, or publish the course again.`,
  );
  return c.json(
    {
      error: {
        code: "archive_missing",
        message:
          "This node no longer holds this archive; its administrators have been told. Try again later, or ask its publisher to publish the course again.",
      },
    },
    404,
  );
}

/**
 * Answers GET or HEAD for a stored archive: ETag (its digest), If-None-Match, single
 * ranges with If-Range, so that an interrupted download can resume where it stopped.
 * "no-store" is for addresses that stop working (archive links): no cache keeps them.
 * `progress.onProgress`, when given, is called while the body is being sent, at most every
 * `progressEveryMs`, and once when it ends or is cut.
 *
 * With `toSocket`, under @hono/node-server, the file is written straight into the node:http
 * response from reused buffers (sendFile): through a web ReadableStream (Readable.toWeb)
 * every chunk was copied and went through promises twice, which the profile showed as the
 * collector's share of the serving process's time (docs/performance.md). Only for routes where no middleware adds headers
 * once the handler has answered (the web pages' secure headers do): those would be lost.
 * Otherwise, and without a socket (Hono's app.request), the body is a web stream.
 */
export async function serveBlob(
  c: Context,
  blobs: BlobStore,
  sha256: string,
  caching: "public" | "private" | "no-store",
  options: {
    readonly progress?: { readonly onProgress: () => void; readonly progressEveryMs: number };
    readonly toSocket?: boolean;
  } = {},
) {
  const stored = await blobs.has(sha256);
  if (!stored) return missingArchive(c, blobs, sha256);
  const { size } = stored;
  const etag = `"${sha256}"`;
  const headers: Record<string, string> = {
    "content-type": "application/vnd.moodle.backup",
    "accept-ranges": "bytes",
    etag,
    // The bytes never change, but who may have them does (a course made followers-only,
    // withdrawn): caches ask again each time, and the ETag makes asking cheap.
    "cache-control": caching === "no-store" ? "no-store" : `${caching}, no-cache`,
    "content-disposition": `attachment; filename="${sha256}.mbz"`,
  };
  if (c.req.header("if-none-match") === etag) return c.body(null, 304, headers);
  const range = parseRange(c.req.header("range"), size, c.req.header("if-range"), etag);
  if (range === "unsatisfiable") {
    return c.body(null, 416, { ...headers, "content-range": `bytes */${size}` });
  }
  const { start, end } = range ?? { start: 0, end: size - 1 };
  const length = size === 0 ? 0 : end - start + 1;
  headers["content-length"] = String(length);
  if (range) headers["content-range"] = `bytes ${start}-${end}/${size}`;
  const status = range ? 206 : 200;
  if (c.req.method === "HEAD" || length === 0) return c.body(null, status, headers);
  const outgoing = options.toSocket
    ? (c.env as Partial<HttpBindings> | undefined)?.outgoing
    : undefined;
  if (!outgoing || outgoing.headersSent) {
    const read = blobs.read(sha256, { start, end });
    const content = options.progress ? reported(read, options.progress) : read;
    return c.body(Readable.toWeb(content) as ReadableStream, status, headers);
  }
  const file = await blobs.openForReading(sha256);
  outgoing.writeHead(status, headers);
  // A client that goes away ends the sending and the file is closed: the socket is
  // already gone, so there is no one left to tell.
  sendFile(file, start, length, outgoing, options.progress).catch(() => {});
  return alreadySent(status);
}

/**
 * Bytes read from the file at a time, into buffers that are used again: two of 128 KiB
 * cost the serving process as little CPU as four of 256 KiB (0.11 s per 190 MB, against
 * 0.17 s for the stream) and hold a quarter of the memory per download, which counts when
 * many followers fetch a new revision at once.
 */
const SEND_BUFFER_BYTES = 128 * 1024;
/** Buffers on their way to the socket at most, for one download: its read-ahead. */
const SEND_BUFFERS = 2;

/**
 * Sends `length` bytes of `file` from `start` and closes it. The file is read into a few
 * buffers, each read into again once the socket has taken it (the write's callback):
 * fs.ReadStream gives each 64 KiB read a new buffer that the collector frees later, which
 * cost the serving node 0.23-0.94 s of CPU per 182 MB a peer fetched against 0.12-0.18 s
 * this way (docs/performance.md, "Downloads"), CPU that the two cores of a small server
 * share with everything else. A client that reads slowly holds the buffers, and so the
 * reading: no more than SEND_BUFFERS are ahead of it.
 */
async function sendFile(
  file: FileHandle,
  start: number,
  length: number,
  response: ServerResponse,
  progress: { readonly onProgress: () => void; readonly progressEveryMs: number } | undefined,
): Promise<void> {
  const free = Array.from({ length: SEND_BUFFERS }, () =>
    Buffer.allocUnsafeSlow(Math.min(SEND_BUFFER_BYTES, length)),
  );
  let gone = response.closed;
  let wake: (() => void) | undefined;
  const wakeUp = () => {
    const waiting = wake;
    wake = undefined;
    waiting?.();
  };
  // "close" comes after the end and after a cut (the client went away) alike.
  const onClose = () => {
    gone = true;
    wakeUp();
  };
  response.once("close", onClose);
  let reportedAt = Date.now();
  try {
    const end = start + length;
    for (let position = start; position < end; ) {
      if (free.length === 0 && !gone) await new Promise<void>((resolve) => (wake = resolve));
      const buffer = free.pop();
      if (gone || !buffer) return;
      const { bytesRead } = await file.read(
        buffer,
        0,
        Math.min(buffer.length, end - position),
        position,
      );
      if (gone) return;
      if (bytesRead === 0) {
        // Blobs never shrink; one that did is cut here rather than left hanging short.
        response.destroy(new Error("the archive's file ended before its length"));
        return;
      }
      position += bytesRead;
      response.write(buffer.subarray(0, bytesRead), () => {
        free.push(buffer);
        wakeUp();
      });
      if (progress && Date.now() - reportedAt >= progress.progressEveryMs) {
        reportedAt = Date.now();
        progress.onProgress();
      }
    }
    response.end();
  } catch (error) {
    // The file could not be read: the client sees a cut, not an answer that stops short.
    response.destroy(error as Error);
  } finally {
    response.off("close", onClose);
    // Once more when the last bytes have gone, or now if the client has.
    if (progress) {
      if (gone) progress.onProgress();
      else response.once("close", progress.onProgress);
    }
    await file.close();
  }
}

function reported(
  content: Readable,
  progress: { readonly onProgress: () => void; readonly progressEveryMs: number },
): Readable {
  let reportedAt = Date.now();
  const counting = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      if (Date.now() - reportedAt >= progress.progressEveryMs) {
        reportedAt = Date.now();
        progress.onProgress();
      }
      done(null, chunk);
    },
  });
  // "close" comes after the end and after a cut (the client went away) alike.
  counting.once("close", () => {
    content.destroy();
    progress.onProgress();
  });
  content.once("error", (error) => counting.destroy(error));
  return content.pipe(counting);
}

/** A single "bytes=a-b" range; several ranges, or an If-Range that no longer matches, get the whole file. */
function parseRange(
  header: string | undefined,
  size: number,
  ifRange: string | undefined,
  etag: string,
): { start: number; end: number } | "unsatisfiable" | undefined {
  if (!header || (ifRange !== undefined && ifRange !== etag)) return undefined;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match || (match[1] === "" && match[2] === "")) return undefined;
  let start: number;
  let end: number;
  if (match[1] === "") {
    start = Math.max(0, size - Number(match[2]));
    end = size - 1;
  } else {
    start = Number(match[1]);
    end = match[2] === "" ? size - 1 : Math.min(Number(match[2]), size - 1);
  }
  if (start >= size || start > end) return "unsatisfiable";
  return { start, end };
}
