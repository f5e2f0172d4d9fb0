import { type Context, digest } from "@fedify/fedify";
import { Collection, isActor, traverseCollection } from "@fedify/vocab";
import type { FederationServices } from "./context.ts";
import { domainServices } from "./domain-services.ts";

/** The parameters of a Collection-Synchronization header (FEP-8fcf), as signature parameters are written. */
export function parseCollectionSynchronization(
  header: string,
): { collectionId: URL; url: URL; digest: string } | undefined {
  const parameters = new Map<string, string>();
  for (const match of header.matchAll(/([a-zA-Z]+)="([^"]*)"/g)) {
    parameters.set((match[1] as string).toLowerCase(), match[2] as string);
  }
  const collectionId = parameters.get("collectionid");
  const url = parameters.get("url");
  const hex = parameters.get("digest")?.toLowerCase();
  if (!collectionId || !url || !hex || !/^[0-9a-f]{64}$/.test(hex)) return undefined;
  if (!URL.canParse(collectionId) || !URL.canParse(url)) return undefined;
  return { collectionId: new URL(collectionId), url: new URL(url), digest: hex };
}

function log(sender: URL, what: string): void {
  console.info(`coursefed: followers synchronization with ${sender.href}: ${what}`);
}

/**
 * FEP-8fcf: `sender`, whose activity to our inbox carried this Collection-Synchronization
 * header, says which of our actors it counts among its followers (as a digest). When
 * that differs from the follows we keep, its partial followers collection is read from
 * its own server (never from where the header points elsewhere), and we align with it:
 * - a follow of ours it does not list is forgotten (it no longer counts us: its
 *   followers-only courses will not come, and our follow would only mislead the pages);
 * - one it lists that we have pending was accepted without the Accept reaching us;
 * - one it lists that we do not have is undone (an Undo it applies by actor and
 *   object, as Mastodon does), so that it stops sending us followers-only courses
 *   that no one here asked for.
 * Refusals and changes are logged; nothing here throws.
 */
export async function synchronizeFollowers(
  ctx: Context<FederationServices>,
  sender: URL,
  header: string,
): Promise<void> {
  try {
    const sync = parseCollectionSynchronization(header);
    if (!sync) return log(sender, `the header is not one this node reads: ${header}`);
    if (sync.collectionId.origin !== sender.origin || sync.url.origin !== sender.origin) {
      return log(sender, "refused: the collection it names is not on the sender's server.");
    }
    const ours = (await ctx.data.follows.followsOf(sender.href)).filter(
      (following) => following.state === "accepted",
    );
    const actorUris = new Map<number, string>();
    for (const following of ours) {
      const local = await ctx.data.actors.byId(following.localActorId);
      if (local) actorUris.set(local.id, ctx.getActorUri(local.identifier).href);
    }
    if (Buffer.from(await digest(actorUris.values())).toString("hex") === sync.digest) return;

    const loaders = {
      documentLoader: await ctx.getDocumentLoader({ identifier: "institution" }),
      contextLoader: ctx.contextLoader,
    };
    const actor = await ctx.lookupObject(sender.href, loaders);
    if (!isActor(actor) || actor.followersId?.href !== sync.collectionId.href) {
      return log(sender, `refused: ${sync.collectionId.href} is not the sender's followers.`);
    }
    const collection = await ctx.lookupObject(sync.url.href, loaders);
    if (!(collection instanceof Collection)) {
      return log(sender, `refused: ${sync.url.href} is not a collection.`);
    }
    const listed = new Set<string>();
    for await (const item of traverseCollection(collection, {
      ...loaders,
      suppressError: true,
    })) {
      const id = item.id?.href;
      if (id && new URL(id).origin === ctx.origin) listed.add(id);
    }

    const services = domainServices(ctx);
    for (const following of ours) {
      const uri = actorUris.get(following.localActorId);
      if (uri && !listed.has(uri)) {
        await ctx.data.follows.forgetFollowing(following.localActorId, sender.href);
        log(sender, `it no longer counts ${uri} among its followers: that follow is forgotten.`);
      }
    }
    const remote = await ctx.data.follows.remoteActor(sender.href);
    for (const uri of listed) {
      if ([...actorUris.values()].includes(uri)) continue;
      const parsed = ctx.parseUri(new URL(uri));
      if (parsed?.type !== "actor") continue;
      const local = await ctx.data.actors.byIdentifier(parsed.identifier);
      if (!local) continue;
      const following = await ctx.data.follows.following(local.id, sender.href);
      if (following?.state === "pending") {
        await ctx.data.follows.acceptFollowing(local.id, sender.href);
        log(sender, `it counts ${uri} among its followers: the pending follow is accepted.`);
      } else if (remote) {
        await services.outbound.deliver({
          type: "follow-undone",
          local,
          remote,
          followId: new URL(
            `/actors/${local.identifier}/follows/${crypto.randomUUID()}`,
            ctx.origin,
          ).href,
        });
        log(sender, `it counts ${uri} among its followers, which does not follow it: undone.`);
      }
    }
  } catch (error) {
    log(sender, `failed: ${(error as Error).message}`);
  }
}
