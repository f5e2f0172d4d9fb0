import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { refusals } from "../../http/refusal-responses.ts";
import { peerState } from "../../peers/peer-repository.ts";
import { federatesWith } from "../../settings/federation-policy.ts";
import type { ApiDependencies } from "../api-dependencies.ts";
import { type ApiEnv, requireAdmin } from "../auth.ts";

const Peer = z
  .object({
    host: z.string(),
    state: z.enum(["ok", "retrying", "failing", "blocked"]),
    deliveries: z.number().int(),
    failures: z.number().int(),
    consecutiveFailures: z.number().int(),
    lastDeliveredAt: z.string().nullable(),
    lastFailedAt: z.string().nullable(),
    lastError: z.string().nullable(),
  })
  .openapi("Peer");

const list = createRoute({
  method: "get",
  path: "/peers",
  summary:
    "Delivery to each peer server: ok, retrying, failing (held back) or blocked by policy (admin)",
  middleware: [requireAdmin] as const,
  responses: {
    200: {
      description: "Peers",
      content: { "application/json": { schema: z.object({ items: z.array(Peer) }) } },
    },
    ...refusals(),
  },
});

const iso = (time: number | null) => (time === null ? null : new Date(time).toISOString());

export function peerRoutes(app: OpenAPIHono<ApiEnv>, { services }: ApiDependencies): void {
  app.openapi(list, async (c) => {
    const policy = await services.settings.federationPolicy();
    const items = (await services.peers.all()).map((peer) => ({
      host: peer.host,
      state: peerState(peer, federatesWith(policy, peer.host.replace(/:\d+$/, ""))),
      deliveries: peer.deliveries,
      failures: peer.failures,
      consecutiveFailures: peer.consecutiveFailures,
      lastDeliveredAt: iso(peer.lastDeliveredAt),
      lastFailedAt: iso(peer.lastFailedAt),
      lastError: peer.lastError,
    }));
    return c.json({ items }, 200);
  });
}
