import type { Socket } from "node:net";
import { formatBytes } from "@coursefed/mbz";
import type { HttpBindings } from "@hono/node-server";
import type { Context, MiddlewareHandler } from "hono";
import { problem } from "../api/problem.ts";
import { CodedError } from "../coded-error.ts";

/** Where Fedify takes activities (federation.ts sets these inbox paths). */
const INBOX_PATH = /^\/(?:actors\/[^/]+\/)?inbox$/;
/**
 * The routes whose body is a backup, streamed to disk once the caller is known: the
 * API's is the file itself, the web page's a form that holds it.
 */
const API_UPLOAD_PATH = "/api/v1/uploads";
const FORM_UPLOAD_PATH = "/publish/upload";
/**
 * Room for what a browser's upload form wraps around the file (boundaries, the part's
 * headers, the CSRF field): the backup itself is held to --max-upload by receiveBackup.
 */
const UPLOAD_FORM_OVERHEAD_BYTES = 64 * 1024;
/** API requests are JSON of a few fields; the largest is course metadata (20,000 characters of summary). */
export const API_BODY_BYTES = 1024 * 1024;
/** Web forms: the course metadata form is the largest, its summary urlencoded. */
export const FORM_BODY_BYTES = 256 * 1024;

/**
 * How long a refused connection stays open, its input dropped, after the 413 is sent.
 * Closing a socket whose input is unread makes the kernel reset the connection, and a
 * client still sending its body would lose the answer with it (nginx's "lingering close").
 */
const LINGER_MS = 2000;

export interface BodyLimitSettings {
  /** Largest activity an inbox takes (--max-inbox-body). */
  readonly inboxBytes: number;
  /** Largest backup an upload route takes (--max-upload). */
  readonly uploadBytes: number;
}

export class BodyTooLargeError extends CodedError<"TOO_LARGE"> {
  override readonly name = "BodyTooLargeError";
}

/** Whether the request delivers an activity to one of the node's inboxes. */
export function isInboxPost(method: string, path: string): boolean {
  return method === "POST" && INBOX_PATH.test(path);
}

/** The limit of a request's body, and what its sender can do about it. */
export function bodyLimitOf(
  method: string,
  path: string,
  settings: BodyLimitSettings,
): { readonly bytes: number; readonly advice: string } {
  if (isInboxPost(method, path)) {
    return {
      bytes: settings.inboxBytes,
      advice:
        "no activity needs that much; the node's admin sets this limit with --max-inbox-body.",
    };
  }
  if (method === "POST" && (path === API_UPLOAD_PATH || path === FORM_UPLOAD_PATH)) {
    return {
      bytes: settings.uploadBytes + (path === FORM_UPLOAD_PATH ? UPLOAD_FORM_OVERHEAD_BYTES : 0),
      advice:
        "make the backup smaller (without user files, for instance) or ask the node's admin to raise --max-upload.",
    };
  }
  if (path.startsWith("/api/")) {
    return { bytes: API_BODY_BYTES, advice: "send only the fields the API describes." };
  }
  return { bytes: FORM_BODY_BYTES, advice: "send a shorter form." };
}

/**
 * Holds every request body to the limit of its route, before anything parses it or works
 * out who sent it: a declared Content-Length over the limit is refused unread, and a
 * body without one (chunked) or longer than it said is counted as it is read and
 * refused at the first byte too many. The refusal closes the connection, so the rest of
 * the body is never read: nothing unauthenticated can make the node hold more than a
 * limit's worth of bytes per request.
 */
export function bodyLimits(settings: BodyLimitSettings): MiddlewareHandler {
  return async (c, next) => {
    const request = c.req.raw;
    if (request.method === "GET" || request.method === "HEAD" || !request.body) return next();
    const limit = bodyLimitOf(request.method, c.req.path, settings);
    const refuse = () => tooLarge(c, limit.bytes, limit.advice);
    const declared = request.headers.get("content-length");
    if (declared !== null && Number(declared) > limit.bytes) return refuse();

    let exceeded = false;
    let received = 0;
    const source = request.body.getReader();
    const counted = new ReadableStream<Uint8Array>(
      {
        async pull(controller) {
          try {
            const { done, value } = await source.read();
            if (done) return controller.close();
            received += value.byteLength;
            if (received > limit.bytes) {
              exceeded = true;
              // The source is left unread rather than cancelled: cancelling it would
              // destroy the socket before the 413 could be written.
              controller.error(
                new BodyTooLargeError(
                  "TOO_LARGE",
                  `The request body is larger than ${formatBytes(limit.bytes)}.`,
                ),
              );
              return;
            }
            controller.enqueue(value);
          } catch (error) {
            controller.error(error);
          }
        },
        cancel: (reason) => source.cancel(reason),
      },
      // Nothing is read ahead of the reader: the socket is paused while no one reads.
      { highWaterMark: 0 },
    );
    c.req.raw = withBody(request, counted);
    await next();
    if (exceeded) {
      // Whatever the route made of the failed read (a 400 for bad JSON, a 500), the
      // answer is 413, without that answer's headers.
      c.res = undefined;
      c.res = refuse();
    }
  };
}

/** The request with another body, as it arrived otherwise (signatures cover its headers). */
export function withBody(request: Request, body: ReadableStream<Uint8Array> | Uint8Array): Request {
  return new Request(request.url, {
    method: request.method,
    headers: request.headers,
    body,
    signal: request.signal,
    duplex: "half",
  } as RequestInit);
}

function tooLarge(c: Context, bytes: number, advice: string): Response {
  const response = problem(
    c,
    413,
    "too_large",
    `The request body is larger than this node accepts for ${c.req.method} ${c.req.path} (${formatBytes(bytes)}): ${advice}`,
  );
  // The unread rest of the body cannot be told from a next request: the connection ends.
  response.headers.set("connection", "close");
  const socket = (c.env as Partial<HttpBindings> | undefined)?.incoming?.socket;
  if (socket) lingerBeforeClosing(socket);
  return response;
}

/**
 * Node closes the socket of a "Connection: close" answer as soon as it is written
 * (destroySoon); this one is instead half-closed and destroyed LINGER_MS later. What
 * arrives meanwhile is dropped as it comes, never kept.
 */
function lingerBeforeClosing(socket: Socket): void {
  let lingering = false;
  socket.destroySoon = () => {
    if (lingering) return;
    lingering = true;
    socket.end();
    const timer = setTimeout(() => socket.destroy(), LINGER_MS);
    socket.once("close", () => clearTimeout(timer));
  };
}
