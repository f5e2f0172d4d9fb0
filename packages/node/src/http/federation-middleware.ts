import type { Federation } from "@fedify/fedify";
import type { Context, MiddlewareHandler, Next } from "hono";
import { isInboxPost } from "./body-limits.ts";
import { checkJsonBody } from "./json-body.ts";
import { problem } from "./problem.ts";

/**
 * Lets Fedify answer the requests it knows (actors, inboxes, WebFinger, NodeInfo) and
 * passes the rest on to the application's routes. When Fedify has the resource but not
 * in the representation asked for (a browser on an actor or course URL), the routes may
 * answer: the web interface draws pages for browsers, its "not found" page included.
 * An activity sent to an inbox is checked as JSON first (see checkJsonBody).
 */
const checkInboxBody = checkJsonBody({ whateverItsType: true });

export function federationMiddleware<T>(
  federation: Federation<T>,
  contextData: (request: Request) => T,
  options: {
    /**
     * Called after an inbox took an activity (its signature verified) that came with a
     * Collection-Synchronization header (FEP-8fcf): the activity's actor and the header.
     * Not awaited: the sender's answer does not wait for it.
     */
    readonly onCollectionSynchronization?: (request: Request, actor: URL, header: string) => void;
  } = {},
): MiddlewareHandler {
  const handle = async (c: Context, next: Next): Promise<void> => {
    const route = async () => {
      await next();
      return c.res;
    };
    const synchronization =
      options.onCollectionSynchronization && isInboxPost(c.req.method, c.req.path)
        ? c.req.header("collection-synchronization")
        : undefined;
    const copy = synchronization ? c.req.raw.clone() : undefined;
    let response: Response;
    try {
      response = await federation.fetch(c.req.raw, {
        contextData: contextData(c.req.raw),
        onNotFound: route,
        onNotAcceptable: async () => {
          const routed = await route();
          if (routed.status !== 404 || routed.headers.get("content-type")?.startsWith("text/html"))
            return routed;
          return new Response("Not acceptable: ask for application/activity+json.\n", {
            status: 406,
            headers: { "content-type": "text/plain; charset=utf-8", vary: "Accept" },
          });
        },
      });
    } catch (error) {
      const refusal = jsonLdRefusal(error);
      if (!refusal) throw error;
      c.res = problem(c, 400, "invalid_json_ld", refusal);
      return;
    }
    if (response !== c.res) c.res = response;
    if (copy && synchronization && response.ok) {
      const actor = actorOf(await copy.json().catch(() => undefined));
      if (actor) options.onCollectionSynchronization?.(c.req.raw, actor, synchronization);
    }
  };
  return async (c, next) =>
    isInboxPost(c.req.method, c.req.path)
      ? checkInboxBody(c, () => handle(c, next))
      : handle(c, next);
}

/**
 * What to tell the sender of an activity that JSON-LD processing gave up on (its
 * @context could not be loaded, or is not JSON-LD): the activity's fault, not the
 * node's, so a 400 rather than a 500. Undefined for any other error.
 */
function jsonLdRefusal(error: unknown): string | undefined {
  // jsonld names its errors "jsonld.InvalidUrl", "jsonld.SyntaxError"...
  if (!(error instanceof Error) || !error.name.startsWith("jsonld.")) return undefined;
  const details = (error as Error & { details?: { code?: unknown; url?: unknown } }).details;
  if (details?.code === "loading remote context failed" && typeof details.url === "string") {
    return `The activity's @context ${details.url} could not be loaded; use contexts that can be fetched, such as https://www.w3.org/ns/activitystreams.`;
  }
  return `The activity is not JSON-LD this node can process: ${error.message}`;
}

/** The actor of an activity as JSON (its id, or the id of its embedded actor). */
function actorOf(activity: unknown): URL | undefined {
  const actor = (activity as { actor?: unknown } | undefined)?.actor;
  const id = typeof actor === "string" ? actor : (actor as { id?: unknown } | undefined)?.id;
  return typeof id === "string" && URL.canParse(id) ? new URL(id) : undefined;
}
