import type { Federation } from "@fedify/fedify";
import { Endpoints, Organization, Person } from "@fedify/vocab";
import { Temporal } from "../temporal.ts";
import type { FederationServices } from "./context.ts";

/**
 * Local actors as ActivityPub objects, their keys, and the handles WebFinger resolves
 * (@handle@host → /actors/{identifier}).
 */
export function registerActors(federation: Federation<FederationServices>): void {
  federation
    .setActorDispatcher("/actors/{identifier}", async (ctx, identifier) => {
      const actor = await ctx.data.actors.byIdentifier(identifier);
      if (!actor) return null;
      const keys = await ctx.getActorKeyPairs(identifier);
      const Type = actor.type === "Organization" ? Organization : Person;
      return new Type({
        id: ctx.getActorUri(identifier),
        preferredUsername: actor.handle,
        name: actor.name,
        summary: actor.summary,
        // Every local actor's follows are approved (inbox/follows.ts), teachers' made
        // before that was so included, whose rows still say otherwise.
        manuallyApprovesFollowers: true,
        inbox: ctx.getInboxUri(identifier),
        followers: ctx.getFollowersUri(identifier),
        outbox: ctx.getOutboxUri(identifier),
        endpoints: new Endpoints({ sharedInbox: ctx.getInboxUri() }),
        publicKey: keys[0]?.cryptographicKey ?? null,
        assertionMethods: keys.map((key) => key.multikey),
        published: Temporal.Instant.fromEpochMilliseconds(actor.createdAt),
      });
    })
    .setKeyPairsDispatcher(async (ctx, identifier) => {
      const actor = await ctx.data.actors.byIdentifier(identifier);
      return actor ? await ctx.data.actors.keyPairs(actor) : [];
    })
    .mapHandle(async (ctx, handle) => (await ctx.data.actors.byHandle(handle))?.identifier ?? null);
}
