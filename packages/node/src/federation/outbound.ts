import type { Context } from "@fedify/fedify";
import { Announce, Document, PUBLIC_COLLECTION } from "@fedify/vocab";
import type { Outbound, OutboundEvent, RemoteObjects } from "../actors/outbound.ts";
import type { FederationServices } from "./context.ts";

/**
 * The outbound bridge: the one place where the domain's events become activities, sent
 * as the actor they name.
 */
export function outboundBridge(ctx: Context<FederationServices>): Outbound {
  return {
    async deliver(event: OutboundEvent): Promise<URL> {
      switch (event.type) {
        case "course-boosted": {
          const { actor } = event;
          const id = new URL(
            `/actors/${actor.identifier}/boosts/${crypto.randomUUID()}`,
            ctx.origin,
          );
          await ctx.sendActivity(
            { identifier: actor.identifier },
            "followers",
            new Announce({
              id,
              actor: ctx.getActorUri(actor.identifier),
              object: new URL(event.objectUri),
              tos: [PUBLIC_COLLECTION],
              ccs: [ctx.getFollowersUri(actor.identifier)],
            }),
            { preferSharedInbox: true },
          );
          return id;
        }
      }
    },
  };
}

/** Another node's objects, looked up unsigned. */
export function remoteObjects(ctx: Context<FederationServices>): RemoteObjects {
  return {
    async isPublic(objectUri: string): Promise<boolean> {
      const object = await ctx.lookupObject(objectUri).catch(() => null);
      return (
        object instanceof Document && object.toIds.some((id) => id.href === PUBLIC_COLLECTION.href)
      );
    },
  };
}
