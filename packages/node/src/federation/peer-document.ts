import type { RequestSigner } from "../blobs/resumable-download.ts";
import { CodedError } from "../coded-error.ts";
import { boundedText } from "./bounded-response.ts";

/** Why a peer's JSON document was not read; the message names the peer and what to do. */
export class PeerDocumentError extends CodedError<
  | "UNREACHABLE"
  | "HTTP_STATUS"
  | "TOO_LARGE"
  | "WRONG_TYPE"
  | "NOT_JSON"
  | "NOT_AN_OBJECT"
  /** A JSON object, but not what was asked for: the caller checks its shape. */
  | "WRONG_SHAPE"
> {
  override readonly name = "PeerDocumentError";
  /** The peer's HTTP status, when it answered one that is not a success. */
  readonly status: number | undefined;
  /** How long a peer that answered 429 asked to be left alone (ms), at most a day. */
  readonly retryAfterMs: number | undefined;

  constructor(
    code: PeerDocumentError["code"],
    message: string,
    answer: { readonly status?: number; readonly retryAfterMs?: number | undefined } = {},
  ) {
    super(code, message);
    this.status = answer.status;
    this.retryAfterMs = answer.retryAfterMs;
  }
}

/** The longest a peer's Retry-After keeps us away: past it, the next period asks again. */
const LONGEST_RETRY_AFTER_MS = 24 * 3600_000;

/** What the reader says to do about an answer it refused: the peer's to fix, not ours. */
export const IF_IT_LASTS = "try again later, and tell its administrators if it lasts";

/**
 * Reads a peer's JSON document (an actor, an outbox page, a search answer): signed as
 * `sign` says, never following a redirect, cut by `signal`, refused past `maxBytes` before
 * it is parsed, and refused unless it is a JSON object. An answer that declares a media
 * type must declare a JSON one (`application/json` or any `application/…+json`): an HTML
 * page (a proxy's error, a login form) is named as such rather than as broken JSON.
 */
export async function readPeerDocument(
  url: URL,
  options: {
    readonly sign: RequestSigner;
    /** The Accept header: what the caller expects the peer to send. */
    readonly accept: string;
    readonly maxBytes: number;
    readonly signal: AbortSignal;
  },
): Promise<Record<string, unknown>> {
  const peer = url.host;
  let response: Response;
  try {
    response = await fetch(
      await options.sign(
        new Request(url, {
          headers: { accept: options.accept },
          redirect: "error",
          signal: options.signal,
        }),
      ),
    );
  } catch (error) {
    throw unreachable(url, error);
  }
  if (!response.ok) {
    await response.body?.cancel().catch(() => undefined);
    const retryAfterMs =
      response.status === 429 ? readRetryAfter(response.headers.get("retry-after")) : undefined;
    const wait =
      response.status === 429
        ? ` (too many requests${retryAfterMs === undefined ? "" : `, retry after ${Math.round(retryAfterMs / 1000)} s`})`
        : "";
    throw new PeerDocumentError(
      "HTTP_STATUS",
      `${peer} answered ${response.status}${wait} for ${url.href}: ${IF_IT_LASTS}.`,
      { status: response.status, retryAfterMs },
    );
  }
  const type = response.headers.get("content-type");
  if (type !== null && !isJsonMediaType(type)) {
    await response.body?.cancel().catch(() => undefined);
    throw new PeerDocumentError(
      "WRONG_TYPE",
      `${peer} answered ${type.split(";")[0]?.trim() || "an empty media type"} for ${url.href}, not JSON (a proxy's or a login page?): ${IF_IT_LASTS}.`,
    );
  }
  let text: string;
  try {
    text = await boundedText(
      response,
      options.maxBytes,
      () =>
        new PeerDocumentError(
          "TOO_LARGE",
          `${peer} answered more than ${options.maxBytes} bytes for ${url.href}, more than this node reads: ${IF_IT_LASTS}.`,
        ),
    );
  } catch (error) {
    if (error instanceof PeerDocumentError) throw error;
    throw unreachable(url, error);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new PeerDocumentError(
      "NOT_JSON",
      `${peer} answered something that is not JSON for ${url.href}: ${IF_IT_LASTS}.`,
    );
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new PeerDocumentError(
      "NOT_AN_OBJECT",
      `${peer} answered JSON that is not an object for ${url.href}: ${IF_IT_LASTS}.`,
    );
  }
  return json as Record<string, unknown>;
}

/** `application/json`, or a JSON-based type such as `application/activity+json`. */
function isJsonMediaType(header: string): boolean {
  const essence = header.split(";")[0]?.trim().toLowerCase() ?? "";
  return essence === "application/json" || /^application\/[\w.-]+\+json$/.test(essence);
}

function unreachable(url: URL, error: unknown): PeerDocumentError {
  const cause =
    (error as { cause?: { message?: unknown } } | null)?.cause?.message ??
    (error instanceof Error ? error.message : String(error));
  return new PeerDocumentError(
    "UNREACHABLE",
    `${url.host} could not be read for ${url.href} (${String(cause)}): check that it is up, or try again later.`,
  );
}

/** Retry-After in seconds or as a date, in ms from now, at most a day; undefined if unreadable. */
function readRetryAfter(header: string | null): number | undefined {
  if (header === null) return undefined;
  const seconds = /^\d+$/.test(header.trim()) ? Number(header.trim()) * 1000 : undefined;
  const wait = seconds ?? Date.parse(header) - Date.now();
  if (!Number.isFinite(wait)) return undefined;
  return Math.min(Math.max(wait, 0), LONGEST_RETRY_AFTER_MS);
}
