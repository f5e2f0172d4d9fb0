import { getKeyOwner, type KeyCache, type RequestContext, verifyRequest } from "@fedify/fedify";
import type { CryptographicKey, Multikey } from "@fedify/vocab";
import { LruMap } from "../lru-map.ts";

/** How long a peer's verified key, and the actor shown to own it, are trusted unread. */
const KEY_TTL_MS = 10 * 60_000;
/** How long a key that could not be fetched is not asked for again. */
const MISSING_KEY_TTL_MS = 60_000;
/** Keys remembered at most: past it, the one used longest ago is forgotten. */
const MAX_KEYS = 10_000;

/** What a signed read is verified with: the request, and the loaders of its Fedify context. */
export type SignedRead = Pick<
  RequestContext<unknown>,
  "request" | "documentLoader" | "contextLoader"
>;

/**
 * The actor whose HTTP signature a read carries, verified; undefined for an unsigned
 * request, a signature that does not verify, or a signer whose actor cannot be read.
 */
export type SignedRequester = (read: SignedRead) => Promise<string | undefined>;

/**
 * One node's signed requester, for every read that depends on who signs it: the outbox,
 * the course objects, the archives and manifests, the network search. Every signature is
 * checked; what is kept for KEY_TTL_MS is the signer's public key and the actor that lists
 * it, which Fedify would otherwise read and parse as JSON-LD again for every request (most
 * of a network search's cost on the answering node: a peer's fan-out signs one request per
 * node, and searches come in a stream as a person types; a follower's back-fill reads the
 * outbox page after page). A signature that fails with a kept key makes Fedify fetch the
 * key afresh (a key rotated), as without the cache.
 */
export function signedRequester(): SignedRequester {
  const keys = new LruMap<string, { key: CryptographicKey | Multikey | null; until: number }>(
    MAX_KEYS,
  );
  const owners = new LruMap<string, { owner: string; until: number }>(MAX_KEYS);
  const keyCache: KeyCache = {
    async get(keyId) {
      const kept = keys.get(keyId.href);
      if (!kept || kept.until < Date.now()) return undefined;
      return kept.key;
    },
    async set(keyId, key) {
      const ttl = key === null ? MISSING_KEY_TTL_MS : KEY_TTL_MS;
      keys.set(keyId.href, { key, until: Date.now() + ttl });
    },
  };
  return async ({ request, documentLoader, contextLoader }) => {
    // Unsigned requests are the common case (anyone browsing): nothing to verify then.
    if (!request.headers.has("signature") && !request.headers.has("signature-input")) {
      return undefined;
    }
    const loaders = { documentLoader, contextLoader };
    const key = await verifyRequest(request, { ...loaders, keyCache });
    if (!key?.id) return undefined;
    const known = owners.get(key.id.href);
    if (known && known.until >= Date.now()) return known.owner;
    let owner: Awaited<ReturnType<typeof getKeyOwner>>;
    try {
      owner = await getKeyOwner(key, loaders);
    } catch (error) {
      // The signer's server is down or answers nonsense: the read is taken as unsigned
      // (a public answer) rather than failing with a 500, which would make a follower's
      // back-fill fail and come again later. Not kept: the next read asks again.
      console.warn(`coursefed: the signer of ${key.id.href} could not be read: ${error}`);
      return undefined;
    }
    if (!owner?.id) return undefined;
    owners.set(key.id.href, { owner: owner.id.href, until: Date.now() + KEY_TTL_MS });
    return owner.id.href;
  };
}
