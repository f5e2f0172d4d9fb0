import type { MiddlewareHandler } from "hono";
import {
  type FederationPolicy,
  federatesWith,
  signerHost,
} from "../federation/federation-policy.ts";

/**
 * Refuses signed requests from servers the federation policy excludes, before anything
 * else reads them: they can neither deliver to our inboxes nor fetch our objects and
 * archives.
 */
export function federationGuard(policy: FederationPolicy): MiddlewareHandler {
  return async (c, next) => {
    if (policy.mode !== "open") {
      const host = signerHost(c.req.raw.headers);
      if (host !== undefined && !federatesWith(policy, host)) {
        return c.json(
          {
            error: { code: "not_federated", message: `This node does not federate with ${host}.` },
          },
          403,
        );
      }
    }
    await next();
  };
}
