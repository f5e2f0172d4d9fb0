import { type Context, signRequest } from "@fedify/fedify";
import type { FederationServices } from "./context.ts";

/**
 * Signs outgoing requests as the institution, so that a peer can tell a follower's
 * fetch of a followers-only course from anyone else's.
 */
export async function institutionSigner(
  ctx: Context<FederationServices>,
): Promise<(request: Request) => Promise<Request>> {
  const institution = await ctx.data.actors.byIdentifier("institution");
  if (!institution) throw new Error("This node has no institution actor.");
  const [rsa] = await ctx.data.actors.keyPairs(institution);
  const [published] = await ctx.getActorKeyPairs(institution.identifier);
  if (!rsa || !published) throw new Error("The institution has no RSA key.");
  return (request) => signRequest(request, rsa.privateKey, published.keyId);
}
