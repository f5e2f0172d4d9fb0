import type { MiddlewareHandler } from "hono";
import { federatesWith, signerHost } from "../federation/federation-policy.ts";
import type { NodeSettings } from "../settings/node-settings.ts";

/**
 * Refuses signed requests from servers the federation policy in force excludes, before
 * anything else reads them: they can neither deliver to our inboxes nor fetch our
 * objects and archives.
 */
export function federationGuard(settings: NodeSettings): MiddlewareHandler {
  return async (c, next) => {
    const host = signerHost(c.req.raw.headers);
    if (host !== undefined && !federatesWith(await settings.federationPolicy(), host)) {
      return c.json(
        {
          error: { code: "not_federated", message: `This node does not federate with ${host}.` },
        },
        403,
      );
    }
    await next();
  };
}
