import { stat } from "node:fs/promises";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
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
 * Answers GET or HEAD for a stored archive: ETag (its digest), If-None-Match, single
 * ranges with If-Range, so that an interrupted download can resume where it stopped.
 * "no-store" is for addresses that stop working (archive links): no cache keeps them.
 * `progress.onProgress`, when given, is called while the body is being sent, at most every
 * `progressEveryMs`, and once when it ends or is cut.
 *
 * With `toSocket`, under @hono/node-server, the file is piped straight into the node:http
 * response: through a web ReadableStream (Readable.toWeb) every chunk was copied and went
 * through promises twice, which the profile showed as the collector's share of the serving
 * process's time (docs/performance.md). Only for routes where no middleware adds headers
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
  const { size } = await stat(blobs.pathOf(sha256));
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
  const read = blobs.read(sha256, { start, end });
  const content = options.progress ? reported(read, options.progress) : read;
  const outgoing = options.toSocket
    ? (c.env as Partial<HttpBindings> | undefined)?.outgoing
    : undefined;
  if (!outgoing || outgoing.headersSent) {
    return c.body(Readable.toWeb(content) as ReadableStream, status, headers);
  }
  outgoing.writeHead(status, headers);
  // A client that goes away ends the pipeline with an error: the file is closed, and the
  // socket is already gone, so there is no one left to tell.
  pipeline(content, outgoing).catch(() => {});
  return alreadySent(status);
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
