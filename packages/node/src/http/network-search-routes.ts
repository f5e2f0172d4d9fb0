import { Hono } from "hono";
import type { FederationServices } from "../federation/context.ts";
import { NETWORK_SEARCH_PATH } from "../federation/network-search-client.ts";
import type { NetworkSearchAnswer } from "../network-search/network-search-answer.ts";
import { networkSearchQueryFrom } from "../network-search/network-search-query.ts";
import { MAX_ANSWER_ITEMS, searchOwnCourses } from "../network-search/own-course-search.ts";
import type { RequesterRateLimit } from "../network-search/requester-rate-limit.ts";
import { federatesWith } from "../settings/federation-policy.ts";
import type { RequesterOf } from "./download-routes.ts";
import { problemOf } from "./error-problems.ts";
import { problem } from "./problem.ts";

/** Servers a node's answer names as followed, at most: enough for a bounded second hop. */
const MAX_FOLLOWING_LISTED = 100;

/**
 * The node's answer to other nodes' network searches (docs/network-search.md): its own
 * courses matching the catalog's filters, as the signing server may see them. Only for a
 * request signed by an actor of a server the federation policy lets in (the federation
 * guard has already turned away a blocked signer's claimed host; the verified one is
 * judged again here), and no more than the rate limit per server.
 */
export function networkSearchRoutes(
  services: FederationServices,
  origin: URL,
  requesterOf: RequesterOf,
  rateLimit: RequesterRateLimit,
): Hono {
  const routes = new Hono();
  routes.get(NETWORK_SEARCH_PATH, async (c) => {
    const headers = c.req.raw.headers;
    if (!headers.has("signature") && !headers.has("signature-input")) {
      return problem(
        c,
        401,
        "signature_required",
        "A network search is answered to other nodes only: sign the request (HTTP Signatures) as an actor of your server.",
      );
    }
    // A key that cannot be fetched or does not verify is no signature at all.
    const requester = await requesterOf(c.req.raw).catch(() => undefined);
    if (requester === undefined || !URL.canParse(requester)) {
      return problem(
        c,
        401,
        "unknown_signer",
        "The request's signature could not be verified with its signer's published key.",
      );
    }
    const signer = new URL(requester);
    if (!federatesWith(await services.settings.federationPolicy(), signer)) {
      return problem(c, 403, "not_federated", `This node does not federate with ${signer.host}.`);
    }
    const wait = rateLimit.take(signer.origin);
    if (wait !== undefined) {
      c.header("retry-after", String(wait));
      return problem(
        c,
        429,
        "rate_limited",
        `${signer.host} has asked too many searches this minute; ask again in ${wait} s.`,
      );
    }
    const params = new URL(c.req.url).searchParams;
    const limit = Number(params.get("limit") ?? 20);
    try {
      if (!Number.isInteger(limit) || limit < 1 || limit > MAX_ANSWER_ITEMS) {
        return problem(
          c,
          400,
          "invalid_query",
          `limit is "${params.get("limit")}"; give a whole number from 1 to ${MAX_ANSWER_ITEMS}.`,
        );
      }
      const page = await searchOwnCourses(services, {
        origin,
        requesterOrigin: signer.origin,
        query: networkSearchQueryFrom(params),
        limit,
        cursor: params.get("cursor") ?? undefined,
      });
      const answer: NetworkSearchAnswer = {
        node: origin.origin,
        items: page.items,
        next: page.next,
        following: await followedServers(services),
      };
      c.header("cache-control", "private, no-store");
      return c.json(answer);
    } catch (error) {
      const refused = problemOf(error);
      if (!refused) throw error;
      return problem(c, refused.status, refused.code, refused.message);
    }
  });
  return routes;
}

/** The servers this node follows an actor of, each once: where a second hop may go. */
async function followedServers(services: FederationServices): Promise<string[]> {
  const origins = new Set<string>();
  for (const uri of await services.follows.acceptedFollowingUris()) {
    if (URL.canParse(uri)) origins.add(new URL(uri).origin);
    if (origins.size >= MAX_FOLLOWING_LISTED) break;
  }
  return [...origins];
}
