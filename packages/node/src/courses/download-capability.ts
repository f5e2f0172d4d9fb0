import { randomUUID } from "node:crypto";
import { errors as joseErrors, jwtVerify, SignJWT } from "jose";
import type { LocalActorRepository } from "../actors/local-actors.ts";

/** Where download links find the institution's key that signs and checks them. */
export interface CapabilityKeys {
  readonly actors: LocalActorRepository;
}

/** How long a download link lasts unless asked otherwise, and at most. */
export const CAPABILITY_LIFETIME = { defaultSeconds: 15 * 60, maxSeconds: 24 * 3600 } as const;

const CAPABILITY_TYPE = "coursefed-download+jwt";

export interface DownloadCapability {
  /** The archive URL with the token in it: usable as is, by a browser or a Moodle site. */
  readonly url: URL;
  readonly expiresAt: Date;
}

/**
 * A short-lived link to one archive that needs no HTTP signature: for a follower that
 * wants to hand a followers-only course to something that cannot sign (a browser, its
 * Moodle). A JWT signed with the institution's Ed25519 key, for that digest alone.
 */
export async function issueDownloadCapability(
  services: CapabilityKeys,
  origin: URL,
  grant: { readonly sha256: string; readonly holder: string; readonly seconds?: number },
): Promise<DownloadCapability> {
  const seconds = Math.min(
    grant.seconds ?? CAPABILITY_LIFETIME.defaultSeconds,
    CAPABILITY_LIFETIME.maxSeconds,
  );
  const expiresAt = new Date(Date.now() + seconds * 1000);
  const archive = new URL(`/blobs/${grant.sha256}`, origin);
  const token = await new SignJWT({})
    .setProtectedHeader({ alg: "EdDSA", typ: CAPABILITY_TYPE })
    .setIssuer(origin.origin)
    .setAudience(archive.href)
    .setSubject(grant.holder)
    .setJti(randomUUID())
    .setIssuedAt()
    .setExpirationTime(Math.floor(expiresAt.getTime() / 1000))
    .sign((await institutionKey(services)).privateKey);
  archive.searchParams.set("access_token", token);
  return { url: archive, expiresAt };
}

/** Whether `token` is a capability this node issued for the archive `sha256`, still valid. */
export async function verifyDownloadCapability(
  services: CapabilityKeys,
  origin: URL,
  token: string,
  sha256: string,
): Promise<boolean> {
  try {
    await jwtVerify(token, (await institutionKey(services)).publicKey, {
      algorithms: ["EdDSA"],
      typ: CAPABILITY_TYPE,
      issuer: origin.origin,
      audience: new URL(`/blobs/${sha256}`, origin).href,
      requiredClaims: ["exp", "sub"],
    });
    return true;
  } catch (error) {
    if (error instanceof joseErrors.JOSEError) return false;
    throw error;
  }
}

async function institutionKey(services: CapabilityKeys) {
  const institution = await services.actors.byIdentifier("institution");
  const pairs = institution ? await services.actors.keyPairs(institution) : [];
  const pair = pairs.find((candidate) => candidate.privateKey.algorithm.name === "Ed25519");
  if (!pair) throw new Error("The institution has no Ed25519 key.");
  return pair;
}
