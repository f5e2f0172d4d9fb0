import { type Context, signRequest } from "@fedify/fedify";
import type { RequestSigner } from "../blobs/resumable-download.ts";
import type { ArchiveFetchStores } from "../catalog/fetch-service.ts";
import type { FederationServices } from "./context.ts";

/**
 * Signs outgoing requests as the institution, so that a peer can tell a follower's
 * fetch of a followers-only course from anyone else's.
 */
export async function institutionSigner(ctx: Context<FederationServices>): Promise<RequestSigner> {
  return await actorSigner(ctx, "institution");
}

/**
 * Signs outgoing requests as the local actor `identifier`: a teacher's follow lets the
 * teacher, not the institution, read the followed actor's followers-only courses.
 */
export async function actorSigner(
  ctx: Context<FederationServices>,
  identifier: string,
): Promise<RequestSigner> {
  const actor = await ctx.data.actors.byIdentifier(identifier);
  if (!actor) throw new Error(`This node has no actor ${identifier}.`);
  const [rsa] = await ctx.data.actors.keyPairs(actor);
  const [published] = await ctx.getActorKeyPairs(actor.identifier);
  if (!rsa || !published) throw new Error(`The actor ${identifier} has no RSA key.`);
  return (request) => signRequest(request, rsa.privateKey, published.keyId);
}

/**
 * The node's services with the institution's signature, for the domain's archive
 * fetches (and the restore jobs that make them): the domain signs through it without
 * knowing Fedify.
 */
export function withInstitutionSigner(
  ctx: Context<FederationServices>,
): FederationServices & ArchiveFetchStores {
  return { ...ctx.data, institutionSigner: () => institutionSigner(ctx) };
}
