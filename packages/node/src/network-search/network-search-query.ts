import { CodedError } from "../coded-error.ts";

/**
 * A refusal of the network search: a query it cannot read, a course that cannot come
 * into the catalog from a result (its publisher not followed, or not a course), or a
 * result's node out of reach.
 */
export class NetworkSearchError extends CodedError<
  "INVALID_QUERY" | "NOT_FOLLOWED" | "NOT_FEDERATED" | "NOT_A_COURSE" | "UNREACHABLE"
> {
  override readonly name = "NetworkSearchError";
}

/**
 * What a network search can be narrowed by: the catalog's own filters, each answered by
 * every node on its own courses. Not "restorable on our targets", which only the asking
 * node can judge.
 */
export interface NetworkSearchQuery {
  /** Words, each the start of a word of the title, summary or tags (accents and case aside). */
  readonly q?: string | undefined;
  readonly tag?: string | undefined;
  /** A server's host (with its port if not the default). */
  readonly institution?: string | undefined;
  /** Text of a teacher's handle or name. */
  readonly teacher?: string | undefined;
  readonly language?: string | undefined;
  /** Backups made on this Moodle branch (e.g. "4.1") or an older one. */
  readonly moodle?: string | undefined;
  /** A non-standard plugin the course needs (e.g. qtype_stack). */
  readonly plugin?: string | undefined;
  /** Only courses that need no plugin beyond a standard Moodle. */
  readonly withoutPlugins?: boolean | undefined;
}

/** The query parameters, in the order a request lists them. */
export const NETWORK_SEARCH_PARAMETERS = [
  "q",
  "tag",
  "institution",
  "teacher",
  "language",
  "moodle",
  "plugin",
  "withoutPlugins",
] as const;

/** The longest value a text filter may have: a search, not a document. */
const MAX_FILTER_LENGTH = 200;

/**
 * A query read from URL parameters, as the node's endpoint and the API take it; a value
 * that cannot be a filter is refused with a NetworkSearchError saying which and why.
 */
export function networkSearchQueryFrom(params: URLSearchParams): NetworkSearchQuery {
  const text = (name: (typeof NETWORK_SEARCH_PARAMETERS)[number]) => {
    const value = params.get(name)?.trim();
    if (value === undefined || value === "") return undefined;
    if (value.length > MAX_FILTER_LENGTH) {
      throw new NetworkSearchError(
        "INVALID_QUERY",
        `${name} is ${value.length} characters long; a search filter has at most ${MAX_FILTER_LENGTH}.`,
      );
    }
    // NUL and other control characters end FTS queries and cannot be stored in PostgreSQL.
    if (/\p{Cc}/u.test(value)) {
      throw new NetworkSearchError(
        "INVALID_QUERY",
        `${name} holds control characters (a line break, a tab, NUL...); remove them.`,
      );
    }
    return value;
  };
  const moodle = text("moodle");
  if (moodle !== undefined && !/^\d+\.\d+$/.test(moodle)) {
    throw new NetworkSearchError(
      "INVALID_QUERY",
      `moodle is "${moodle}"; give a Moodle branch as major.minor, e.g. 4.1.`,
    );
  }
  const withoutPlugins = params.get("withoutPlugins");
  if (withoutPlugins !== null && withoutPlugins !== "true" && withoutPlugins !== "false") {
    throw new NetworkSearchError(
      "INVALID_QUERY",
      `withoutPlugins is "${withoutPlugins}"; write true or false.`,
    );
  }
  return {
    q: text("q"),
    tag: text("tag"),
    institution: text("institution")?.toLowerCase(),
    teacher: text("teacher"),
    language: text("language"),
    moodle,
    plugin: text("plugin"),
    withoutPlugins: withoutPlugins === "true" ? true : undefined,
  };
}

/** The query as URL parameters, the filters not given left out. */
export function networkSearchParams(query: NetworkSearchQuery): URLSearchParams {
  const params = new URLSearchParams();
  for (const name of NETWORK_SEARCH_PARAMETERS) {
    const value = query[name];
    if (value !== undefined && value !== false && value !== "") params.set(name, String(value));
  }
  return params;
}
