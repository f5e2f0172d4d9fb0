import type { IncomingMessage } from "node:http";
import { formatBytes } from "@coursefed/mbz";
import type { HttpBindings } from "@hono/node-server";
import type { Context, MiddlewareHandler } from "hono";
import { CodedError } from "../coded-error.ts";
import { MAX_LOGO_BYTES } from "../settings/institution-logo.ts";
import { problem } from "./problem.ts";

/** Where Fedify takes activities (federation.ts sets these inbox paths). */
const INBOX_PATH = /^\/(?:actors\/[^/]+\/)?inbox$/;
/**
 * The routes whose body is a backup, streamed to disk once the caller is known: the
 * API's is the file itself, the web page's a form that holds it.
 */
const API_UPLOAD_PATH = "/api/v1/uploads";
const FORM_UPLOAD_PATH = "/publish/upload";
/** The console's logo form (web/pages/admin-settings-page.ts): an image of MAX_LOGO_BYTES at most. */
const FORM_LOGO_PATH = "/admin/settings/logo";
/**
 * Past --max-upload, what an upload route may still read: the backup itself is held to
 * --max-upload by receiveBackup, which answers in the caller's terms (a page in the
 * teacher's language); this count is the backstop behind it, with room for what a
 * browser's form wraps around the file and for what the pipeline to disk reads ahead of
 * receiveBackup's own count.
 */
const UPLOAD_SLACK_BYTES = 1024 * 1024;
/** API requests are JSON of a few fields; the largest is course metadata (20,000 characters of summary). */
const API_BODY_BYTES = 1024 * 1024;
/** Web forms: the course metadata form is the largest, its summary urlencoded. */
const FORM_BODY_BYTES = 256 * 1024;

/**
 * How long a connection answered before its body was all received (a 413, a 401 or a
 * 403 decided unread) stays open after the answer, reading nothing more.
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

/** The limits of a request's body, and what its sender can do about them. */
export interface BodyLimit {
  /** Most bytes read before the request is refused. */
  readonly bytes: number;
  /** A Content-Length over this is refused unread; undefined: the route answers for it. */
  readonly declaredBytes: number | undefined;
  readonly advice: string;
}

export function bodyLimitOf(method: string, path: string, settings: BodyLimitSettings): BodyLimit {
  const limit = (bytes: number, advice: string) => ({ bytes, declaredBytes: bytes, advice });
  if (isInboxPost(method, path)) {
    return limit(
      settings.inboxBytes,
      "no activity needs that much; the node's admin sets this limit with --max-inbox-body.",
    );
  }
  if (method === "POST" && (path === API_UPLOAD_PATH || path === FORM_UPLOAD_PATH)) {
    return {
      bytes: settings.uploadBytes + UPLOAD_SLACK_BYTES,
      // The API's body is the backup. The web form's route says it in the teacher's
      // language once it knows the teacher, reading nothing before.
      declaredBytes: path === API_UPLOAD_PATH ? settings.uploadBytes : undefined,
      advice:
        "make the backup smaller (without user files, for instance) or ask the node's admin to raise --max-upload.",
    };
  }
  if (method === "POST" && path === FORM_LOGO_PATH) {
    // The route refuses a logo over its own limit in the admin's language; this is the
    // backstop, with room for the form around the file.
    return {
      bytes: 2 * MAX_LOGO_BYTES,
      declaredBytes: undefined,
      advice: "a logo is at most 512 KiB.",
    };
  }
  if (path.startsWith("/api/")) {
    return limit(API_BODY_BYTES, "send only the fields the API describes.");
  }
  return limit(FORM_BODY_BYTES, "send a shorter form.");
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
    const incoming = (c.env as Partial<HttpBindings> | undefined)?.incoming;
    if (incoming) lingerBeforeClosing(incoming);
    const limit = bodyLimitOf(request.method, c.req.path, settings);
    const declared = request.headers.get("content-length");
    if (
      limit.declaredBytes !== undefined &&
      declared !== null &&
      Number(declared) > limit.declaredBytes
    ) {
      return tooLarge(c, limit.declaredBytes, limit.advice);
    }

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
      c.res = tooLarge(c, limit.bytes, limit.advice);
    } else if (incoming && !incoming.complete) {
      // Answered before its body was all received (a 401 or 403 decided unread): kept
      // alive, the connection would have Node read the rest to the end, to drop it.
      const answered = c.res;
      c.res = undefined;
      c.res = new Response(answered.body, answered);
      c.res.headers.set("connection", "close");
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
  return response;
}

/**
 * Node closes the socket of a "Connection: close" answer as soon as it is written
 * (destroySoon), and answers so itself to a request whose body it has not all received.
 * While the request's body is incomplete, the socket is instead half-closed, no longer
 * read, and destroyed LINGER_MS later.
 */
function lingerBeforeClosing(incoming: IncomingMessage): void {
  const socket = incoming.socket;
  // On a kept-alive connection, each request replaces the last one's: it is the one answered last.
  const destroySoon = Object.getPrototypeOf(socket).destroySoon as () => void;
  let lingering = false;
  socket.destroySoon = () => {
    if (incoming.complete) return destroySoon.call(socket);
    if (lingering) return;
    lingering = true;
    socket.end();
    // Node would otherwise read the rest of the body to drop it ("dump"), as fast as it
    // comes: nothing more is read, whoever asks.
    socket.pause();
    socket.resume = () => socket;
    const timer = setTimeout(() => socket.destroy(), LINGER_MS);
    socket.once("close", () => clearTimeout(timer));
  };
}
