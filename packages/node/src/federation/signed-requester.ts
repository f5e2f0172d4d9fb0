import { type Federation, getKeyOwner, type KeyCache, verifyRequest } from "@fedify/fedify";
import type { CryptographicKey, Multikey } from "@fedify/vocab";
import type { FederationServices } from "./context.ts";

/** How long a peer's verified key, and the actor shown to own it, are trusted unread. */
const KEY_TTL_MS = 10 * 60_000;
/** How long a key that could not be fetched is not asked for again. */
const MISSING_KEY_TTL_MS = 60_000;
/** Keys remembered at most: past it, the oldest is forgotten. */
const MAX_KEYS = 10_000;

/**
 * The actor whose HTTP signature a request carries, verified; undefined for an unsigned
 * request or a signature that does not verify. Every signature is checked; what is kept
 * for KEY_TTL_MS is the signer's public key and the actor that lists it, which Fedify
 * would otherwise read and parse as JSON-LD again for every request (most of a network
 * search's cost on the answering node: a peer's fan-out signs one request per node, and
 * searches come in a stream as a person types). A signature that fails with a kept key
 * makes Fedify fetch the key afresh (a key rotated), as without the cache.
 */
export function signedRequester(
  federation: Federation<FederationServices>,
  services: FederationServices,
): (request: Request) => Promise<string | undefined> {
  const keys = new Map<string, { key: CryptographicKey | Multikey | null; until: number }>();
  const owners = new Map<string, { owner: string; until: number }>();
  const remember = <T>(map: Map<string, T>, id: string, entry: T) => {
    map.delete(id);
    map.set(id, entry);
    if (map.size > MAX_KEYS) {
      const oldest = map.keys().next().value;
      if (oldest !== undefined) map.delete(oldest);
    }
  };
  const keyCache: KeyCache = {
    async get(keyId) {
      const kept = keys.get(keyId.href);
      if (!kept || kept.until < Date.now()) return undefined;
      return kept.key;
    },
    async set(keyId, key) {
      const ttl = key === null ? MISSING_KEY_TTL_MS : KEY_TTL_MS;
      remember(keys, keyId.href, { key, until: Date.now() + ttl });
    },
  };
  return async (request) => {
    const ctx = federation.createContext(request, services);
    const loaders = { documentLoader: ctx.documentLoader, contextLoader: ctx.contextLoader };
    const key = await verifyRequest(request, { ...loaders, keyCache });
    if (!key?.id) return undefined;
    const known = owners.get(key.id.href);
    if (known && known.until >= Date.now()) return known.owner;
    const owner = await getKeyOwner(key, loaders);
    if (!owner?.id) return undefined;
    remember(owners, key.id.href, { owner: owner.id.href, until: Date.now() + KEY_TTL_MS });
    return owner.id.href;
  };
}
