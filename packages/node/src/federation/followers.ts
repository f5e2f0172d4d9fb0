import type { Federation } from "@fedify/fedify";
import { federatesWith } from "../settings/federation-policy.ts";
import type { FederationServices } from "./context.ts";
import { recipientOf } from "./remote-actor.ts";

const PAGE_SIZE = 50;

/** Each local actor's accepted followers, paged by actor URI. */
export function registerFollowers(federation: Federation<FederationServices>): void {
  federation
    .setFollowersDispatcher(
      "/actors/{identifier}/followers",
      async (ctx, identifier, cursor, base) => {
        const actor = await ctx.data.actors.byIdentifier(identifier);
        if (!actor) return null;
        // Without a cursor Fedify wants every follower: that is how it fans out to them. With
        // a base URL (FEP-8fcf's partial collection, ?base-url=), one server's followers in
        // one page: exactly those our followers-only deliveries to that server went to.
        if (cursor === null || base !== undefined) {
          // Nothing is delivered to servers the federation policy excludes.
          const policy = await ctx.data.settings.federationPolicy();
          const allowed = (await ctx.data.follows.followers(actor.id, "accepted")).filter(
            (follower) => federatesWith(policy, new URL(follower.actorUri)),
          );
          const listed = base
            ? allowed.filter((follower) => follower.actorUri.startsWith(base.href))
            : allowed;
          return { items: listed.map((follower) => recipientOf(follower.actor)) };
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
      },
    )
    .setCounter(async (ctx, identifier) => {
      const actor = await ctx.data.actors.byIdentifier(identifier);
      return actor ? await ctx.data.follows.countAcceptedFollowers(actor.id) : null;
    })
    .setFirstCursor(() => "");
}

/**
 * The actors each local actor follows, with accepted follows only (a pending request is
 * not a follow yet), paged by actor URI as the followers are.
 */
export function registerFollowing(federation: Federation<FederationServices>): void {
  federation
    .setFollowingDispatcher("/actors/{identifier}/following", async (ctx, identifier, cursor) => {
      const actor = await ctx.data.actors.byIdentifier(identifier);
      if (!actor) return null;
      const page = await ctx.data.follows.acceptedFollowingsPage(
        actor.id,
        cursor === null || cursor === "" ? null : cursor,
        // Without a cursor, the whole collection: only Fedify asks that way.
        cursor === null ? Number.MAX_SAFE_INTEGER : PAGE_SIZE,
      );
      const last = page.at(-1);
      return {
        items: page.map((uri) => new URL(uri)),
        nextCursor: cursor !== null && page.length === PAGE_SIZE && last ? last : null,
      };
    })
    .setCounter(async (ctx, identifier) => {
      const actor = await ctx.data.actors.byIdentifier(identifier);
      return actor ? await ctx.data.follows.countAcceptedFollowings(actor.id) : null;
    })
    .setFirstCursor(() => "");
}
