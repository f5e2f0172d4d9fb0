import type { MiddlewareHandler } from "hono";
import { federatesWith } from "../settings/federation-policy.ts";
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

/**
 * The server that signed a request, from its HTTP signature's key id (RFC 9421
 * Signature-Input or draft-cavage Signature); undefined for an unsigned request.
 */
export function signerHost(headers: Headers): string | undefined {
  const source = `${headers.get("signature-input") ?? ""} ${headers.get("signature") ?? ""}`;
  const keyId = /keyid="([^"]+)"/i.exec(source)?.[1];
  if (!keyId) return undefined;
  try {
    return new URL(keyId).hostname.toLowerCase();
  } catch {
    return undefined;
  }
}
