import type { Context } from "@fedify/fedify";
import type { BoostStores } from "../catalog/boost-service.ts";
import type { ArchiveFetchStores } from "../catalog/fetch-service.ts";
import type { ActorSigningKeys, PublishStores } from "../courses/publish-service.ts";
import type { FollowStores } from "../follows/follow-service.ts";
import { actorResolver } from "./actor-lookup.ts";
import type { FederationServices } from "./context.ts";
import { outboundBridge, remoteObjects } from "./outbound.ts";
import { withInstitutionSigner } from "./signed-fetch.ts";

/**
 * The node's services with what the domain's services ask of the network (the
 * institution's signature, other nodes' objects, the outbound bridge), made for one
 * Fedify context: the pages, the API and the jobs hand this to a domain service.
 */
export function domainServices(
  ctx: Context<FederationServices>,
): FederationServices & ArchiveFetchStores & BoostStores & PublishStores & FollowStores {
  return {
    ...withInstitutionSigner(ctx),
    origin: ctx.origin,
    signingKeys: actorSigningKeys(ctx),
    actorResolver: actorResolver(ctx),
    remoteObjects: remoteObjects(ctx),
    outbound: outboundBridge(ctx),
  };
}

/** The actors' Ed25519 keys, with the ids their documents publish them under. */
function actorSigningKeys(ctx: Context<FederationServices>): ActorSigningKeys {
  return {
    async ed25519(actor) {
      // Both lists come from the same key pairs, in the same order.
      const pairs = await ctx.data.actors.keyPairs(actor);
      const published = await ctx.getActorKeyPairs(actor.identifier);
      const index = pairs.findIndex((pair) => pair.privateKey.algorithm.name === "Ed25519");
      const keyId = published[index]?.multikey.id;
      const pair = pairs[index];
      if (!pair || !keyId) throw new Error(`Actor ${actor.identifier} has no Ed25519 key.`);
      return { privateKey: pair.privateKey, keyId: keyId.href };
    },
  };
}
