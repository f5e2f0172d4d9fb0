import type { Federation } from "@fedify/fedify";
import { Endpoints, Image, Organization, Person } from "@fedify/vocab";
import { institutionLogoUrl } from "../settings/institution-logo.ts";
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
      // Only the institution has an image, its logo: teachers' accounts are made from
      // Moodle users and sign-ins, which bring no picture the node could vouch for.
      const logo =
        actor.type === "Organization" ? await ctx.data.settings.institutionLogo() : undefined;
      return new Type({
        id: ctx.getActorUri(identifier),
        preferredUsername: actor.handle,
        name: actor.name,
        summary: actor.summary,
        // The same URL shows the profile page to a browser (web/pages/public-pages.ts).
        url: ctx.getActorUri(identifier),
        icon: logo
          ? new Image({ url: institutionLogoUrl(ctx.origin, logo), mediaType: logo.mediaType })
          : null,
        // Every local actor's followers are approved (inbox/follows.ts: by an admin or the
        // teacher, or at once from an auto-accepted server): the one policy, not a setting.
        manuallyApprovesFollowers: true,
        inbox: ctx.getInboxUri(identifier),
        followers: ctx.getFollowersUri(identifier),
        following: ctx.getFollowingUri(identifier),
        outbox: ctx.getOutboxUri(identifier),
        endpoints: new Endpoints({ sharedInbox: ctx.getInboxUri() }),
        publicKey: keys[0]?.cryptographicKey ?? null,
        // RSA and Ed25519 as Multikeys: with the Ed25519 one here Fedify signs what we
        // send with eddsa-jcs-2022 proofs (FEP-8b32), which receivers check against it.
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
