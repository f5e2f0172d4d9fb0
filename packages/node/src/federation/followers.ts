import type { Federation } from "@fedify/fedify";
import { federatesWith } from "../settings/federation-policy.ts";
import type { FederationServices } from "./context.ts";
import { recipientOf } from "./remote-actor.ts";

const PAGE_SIZE = 50;

/** Each local actor's accepted followers, paged by actor URI. */
export function registerFollowers(federation: Federation<FederationServices>): void {
  federation
    .setFollowersDispatcher("/actors/{identifier}/followers", async (ctx, identifier, cursor) => {
      const actor = await ctx.data.actors.byIdentifier(identifier);
      if (!actor) return null;
      // Without a cursor Fedify wants every follower: that is how it fans out to them.
      if (cursor === null) {
        // Nothing is delivered to servers the federation policy excludes.
        const policy = await ctx.data.settings.federationPolicy();
        const allowed = (await ctx.data.follows.followers(actor.id, "accepted")).filter(
          (follower) => federatesWith(policy, new URL(follower.actorUri)),
        );
        return { items: allowed.map((follower) => recipientOf(follower.actor)) };
      }
      const page = await ctx.data.follows.acceptedFollowersPage(
        actor.id,
        cursor === "" ? null : cursor,
        PAGE_SIZE,
      );
      const last = page.at(-1);
      return {
        items: page.map((follower) => recipientOf(follower.actor)),
        nextCursor: page.length === PAGE_SIZE && last ? last.actorUri : null,
      };
    })
    .setCounter(async (ctx, identifier) => {
      const actor = await ctx.data.actors.byIdentifier(identifier);
      return actor ? await ctx.data.follows.countAcceptedFollowers(actor.id) : null;
    })
    .setFirstCursor(() => "");
}
