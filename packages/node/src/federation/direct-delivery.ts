import { createHash, type JsonWebKey, type webcrypto } from "node:crypto";
import {
  type HttpMessageSignaturesSpec,
  importJwk,
  type KvKey,
  type KvStore,
  signRequest,
} from "@fedify/fedify";

/**
 * Where Fedify keeps, per server, the signature scheme it answered to and the state of its
 * circuit breaker: its default FederationKvPrefixes, which the node does not change.
 */
const SPEC_PREFIX: KvKey = ["_fedify", "httpMessageSignaturesSpec"];
const CIRCUIT_PREFIX: KvKey = ["_fedify", "circuit"];

/**
 * How long what was read of the servers' schemes and circuits is used before reading it
 * again (ms). A circuit another process opened meanwhile is seen this much later; this
 * process's own failures go through Fedify, which opens it where it keeps it.
 */
const SERVER_STATE_TTL = 5_000;

/** Private keys kept imported; a node has two per actor, and few actors deliver at once. */
const KEY_CACHE_SIZE = 64;

/** What Fedify queues for one delivery ("outbox" message), as far as it is read here. */
interface OutboxMessage {
  readonly type: "outbox";
  readonly keys: readonly { readonly keyId: string; readonly privateKey: JsonWebKey }[];
  readonly activity: unknown;
  readonly inbox: string;
  readonly headers?: Record<string, string>;
  readonly attempt?: number;
  readonly circuitHeld?: boolean;
}

interface ServerState {
  /** The scheme each server (origin) was last delivered to with. */
  readonly specs: Map<string, HttpMessageSignaturesSpec>;
  /** Hosts with a circuit-breaker record: recent failures, or a circuit open. */
  readonly troubled: ReadonlySet<string>;
  readonly readAt: number;
}

/**
 * A delivery's first attempt, made here rather than by Fedify's queue handler, which
 * imports the sender's private key anew for each delivery (an RSA key used once signs at
 * half speed) and reads or writes the key-value store four times (the server's signature
 * scheme, its circuit twice, the scheme again). Here keys stay imported and the servers'
 * states are read for all servers at once, every few seconds.
 *
 * It only takes the plain case: a first attempt, to a server with no circuit-breaker
 * record, that accepts the activity at once. Anything else (a refusal, a challenge to sign
 * otherwise, a redirect, a transport error) answers false, and Fedify's handler then
 * delivers the message as it always does, knocking again with its double-knock, retrying
 * under the delivery policy and recording the failure.
 */
export class DirectDelivery {
  readonly #kv: KvStore;
  readonly #firstKnock: HttpMessageSignaturesSpec;
  readonly #now: () => number;
  readonly #keys = new Map<string, Promise<webcrypto.CryptoKey>>();
  #state: Promise<ServerState> | undefined;

  constructor(kv: KvStore, firstKnock: HttpMessageSignaturesSpec, now: () => number = Date.now) {
    this.#kv = kv;
    this.#firstKnock = firstKnock;
    this.#now = now;
  }

  /** Delivers `message` if it is a delivery it can take; true once the inbox accepted it. */
  async deliver(message: unknown): Promise<boolean> {
    const queued = message as OutboxMessage;
    if (queued?.type !== "outbox" || (queued.attempt ?? 0) > 0 || queued.circuitHeld) return false;
    const rsa = queued.keys?.find((key) => key.privateKey?.kty === "RSA");
    if (!rsa || !URL.canParse(queued.inbox)) return false;
    const inbox = new URL(queued.inbox);
    const state = await this.#serverState().catch(() => undefined);
    if (!state || state.troubled.has(inbox.host)) return false;
    const spec = state.specs.get(inbox.origin) ?? this.#firstKnock;
    const headers = new Headers(queued.headers);
    headers.set("Content-Type", "application/activity+json");
    const body = new TextEncoder().encode(JSON.stringify(queued.activity));
    // What signRequest would otherwise add through WebCrypto, whose calls each cost more
    // than hashing the body here does; it signs the headers it finds.
    const digest = createHash("sha256").update(body).digest("base64");
    if (spec === "rfc9421") headers.set("Content-Digest", `sha-256=:${digest}:`);
    else headers.set("Digest", `SHA-256=${digest}`);
    headers.set("Date", new Date(this.#now()).toUTCString());
    let response: Response;
    try {
      // Signed without its body, which both schemes cover through the digest header
      // alone: signRequest copies the request it signs, and a copy of a body is a stream
      // that fetch then sends in pieces, where the bytes themselves go out in one write.
      const signed = await signRequest(
        new Request(inbox, { method: "POST", headers }),
        await this.#privateKey(rsa.keyId, rsa.privateKey),
        new URL(rsa.keyId),
        { spec, body: body.buffer as ArrayBuffer },
      );
      response = await fetch(inbox, {
        method: "POST",
        headers: signed.headers,
        body,
        redirect: "manual",
      });
      // Read to the end, so that the connection serves the next delivery.
      await response.arrayBuffer();
    } catch {
      return false;
    }
    if (!response.ok) {
      // Fedify's double-knock may settle on the other scheme: read it again next time.
      this.#state = undefined;
      return false;
    }
    if (state.specs.get(inbox.origin) !== spec) {
      state.specs.set(inbox.origin, spec);
      // Only a hint for the next first knock: a failure to keep it is no failed delivery.
      await this.#kv.set([...SPEC_PREFIX, inbox.origin], spec).catch(() => {});
    }
    return true;
  }

  #privateKey(keyId: string, jwk: JsonWebKey): Promise<webcrypto.CryptoKey> {
    // The modulus tells a rotated key under the same id apart.
    const cacheKey = `${keyId} ${jwk.n}`;
    let key = this.#keys.get(cacheKey);
    if (!key) {
      if (this.#keys.size >= KEY_CACHE_SIZE) this.#keys.clear();
      key = importJwk(jwk, "private");
      key.catch(() => this.#keys.delete(cacheKey));
      this.#keys.set(cacheKey, key);
    }
    return key;
  }

  /** The servers' states, read again once SERVER_STATE_TTL old (one read at a time). */
  async #serverState(): Promise<ServerState> {
    const cached = this.#state;
    if (cached) {
      const state = await cached.catch(() => undefined);
      if (state && this.#now() - state.readAt < SERVER_STATE_TTL) return state;
    }
    if (this.#state === cached) {
      const reading = this.#readServerState();
      reading.catch(() => {
        if (this.#state === reading) this.#state = undefined;
      });
      this.#state = reading;
    }
    return await (this.#state as Promise<ServerState>);
  }

  async #readServerState(): Promise<ServerState> {
    const readAt = this.#now();
    const specs = new Map<string, HttpMessageSignaturesSpec>();
    for await (const { key, value } of this.#kv.list(SPEC_PREFIX)) {
      const origin = key[SPEC_PREFIX.length];
      if (key.length === SPEC_PREFIX.length + 1 && origin)
        specs.set(origin, value as HttpMessageSignaturesSpec);
    }
    const troubled = new Set<string>();
    for await (const { key } of this.#kv.list(CIRCUIT_PREFIX)) {
      // Fedify also keeps a marker of its own under the prefix, longer than a host's key.
      const host = key[CIRCUIT_PREFIX.length];
      if (key.length === CIRCUIT_PREFIX.length + 1 && host) troubled.add(host);
    }
    return { specs, troubled, readAt };
  }
}
