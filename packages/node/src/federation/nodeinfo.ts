import type { Federation } from "@fedify/fedify";
import type { FederationServices } from "./context.ts";

/**
 * NodeInfo 2.1: tells other servers what software this is and what it speaks. Users are
 * the node's actors; "active" counts those that published in the period, the one thing
 * a local actor does that the node sees (no one signs in to post here).
 */
export function registerNodeInfo(federation: Federation<FederationServices>): void {
  federation.setNodeInfoDispatcher("/nodeinfo/2.1", async (ctx) => {
    const usage = await ctx.data.actors.usage(Date.now());
    return {
      software: { name: "coursefed", version: ctx.data.softwareVersion },
      protocols: ["activitypub"],
      openRegistrations: false,
      usage: {
        users: {
          total: usage.total,
          activeMonth: usage.activeMonth,
          activeHalfyear: usage.activeHalfyear,
        },
        localPosts: usage.localPosts,
        localComments: 0,
      },
    };
  });
}
