import type { Context, MiddlewareHandler, Next } from "hono";
import { CodedError } from "../coded-error.ts";
import { BodyTooLargeError, withBody } from "./body-limits.ts";
import { problem } from "./problem.ts";

/**
 * Deeper than any activity or API request nests (an activity with its object, tags and
 * proofs is under ten levels), and far below what makes JSON-LD processing, which
 * recurses, run out of stack.
 */
export const MAX_JSON_DEPTH = 64;

export class JsonBodyError extends CodedError<"MALFORMED_JSON" | "TOO_DEEP"> {
  override readonly name = "JsonBodyError";
}

const OPENERS = new Set([0x5b, 0x7b]); // [ {
const CLOSERS = new Set([0x5d, 0x7d]); // ] }
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** Throws a JsonBodyError unless `bytes` are JSON (UTF-8) nested at most MAX_JSON_DEPTH deep. */
export function checkJson(bytes: Uint8Array): void {
  // Depth is counted on the bytes first: nothing recursive ever sees an absurd document.
  let depth = 0;
  let inString = false;
  for (let index = 0; index < bytes.length; index++) {
    const byte = bytes[index] as number;
    if (inString) {
      if (byte === BACKSLASH) index++;
      else if (byte === QUOTE) inString = false;
    } else if (byte === QUOTE) inString = true;
    else if (OPENERS.has(byte)) {
      depth++;
      if (depth > MAX_JSON_DEPTH) {
        throw new JsonBodyError(
          "TOO_DEEP",
          `The JSON body nests arrays and objects more than ${MAX_JSON_DEPTH} levels deep; no request to this node needs that many.`,
        );
      }
    } else if (CLOSERS.has(byte)) depth--;
  }
  try {
    JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch (error) {
    throw new JsonBodyError(
      "MALFORMED_JSON",
      `The body is not valid JSON (${(error as Error).message}); send a JSON document in UTF-8.`,
    );
  }
}

/** Whether a Content-Type names JSON (application/json, activity+json, ld+json...). */
export function isJsonMediaType(contentType: string | undefined): boolean {
  const type = contentType?.split(";")[0]?.trim().toLowerCase() ?? "";
  return type === "application/json" || /^application\/[\w.-]+\+json$/.test(type);
}

/**
 * Refuses with 400, and a message saying what is wrong, a JSON body that is malformed or
 * absurdly nested, before any JSON or JSON-LD parser works on it. The body, held to its
 * route's limit by `bodyLimits`, goes on byte for byte (signatures cover its digest).
 * `whateverItsType`: the body is read as JSON whatever its Content-Type says, as Fedify
 * reads an inbox's; otherwise only a body that says it is JSON, as the API's validators.
 */
export function checkJsonBody({
  whateverItsType,
}: {
  whateverItsType: boolean;
}): MiddlewareHandler {
  return async (c, next) => {
    const request = c.req.raw;
    const declaredJson = isJsonMediaType(request.headers.get("content-type") ?? undefined);
    if (!request.body || !(whateverItsType || declaredJson)) return next();
    return await checked(c, next, request, whateverItsType);
  };
}

async function checked(
  c: Context,
  next: Next,
  request: Request,
  whateverItsType: boolean,
): Promise<Response | undefined> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await request.arrayBuffer());
  } catch (error) {
    // bodyLimits, before this, answers for the body it cut short.
    if (error instanceof BodyTooLargeError) return c.body(null, 413);
    throw error;
  }
  // A JSON Content-Type on an empty body (curl -X DELETE -H 'content-type: application/json')
  // is a request without a body: the route says whether it needed one. An inbox always does.
  if (bytes.length > 0 || whateverItsType) {
    try {
      checkJson(bytes);
    } catch (error) {
      if (!(error instanceof JsonBodyError)) throw error;
      return problem(
        c,
        400,
        error.code === "TOO_DEEP" ? "too_deep" : "malformed_json",
        error.message,
      );
    }
  }
  c.req.raw = withBody(request, bytes);
  await next();
  return undefined;
}
