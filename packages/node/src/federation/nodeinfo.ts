import type { Federation } from "@fedify/fedify";
import type { FederationServices } from "./context.ts";

/** NodeInfo 2.1: tells other servers what software this is and what it speaks. */
export function registerNodeInfo(federation: Federation<FederationServices>): void {
  federation.setNodeInfoDispatcher("/nodeinfo/2.1", (ctx) => ({
    software: { name: "coursefed", version: ctx.data.softwareVersion },
    protocols: ["activitypub"],
    openRegistrations: false,
    usage: { users: {}, localPosts: 0, localComments: 0 },
  }));
}
