import { createHash, createPrivateKey, type JsonWebKey } from "node:crypto";
import { Agent as HttpAgent, request as httpRequest } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import type {
  FederationKvPrefixes,
  HttpMessageSignaturesSpec,
  KvKey,
  KvStore,
} from "@fedify/fedify";
import { LruMap } from "../lru-map.ts";
import { type SigningKey, signedPostHeaders } from "./http-signature-signer.ts";

/**
 * Where Fedify keeps, per server, the signature scheme it answered to and the state of its
 * circuit breaker. Direct delivery reads them too, so the node sets them (federation.ts
 * gives them to Fedify as its kvPrefixes) rather than count on Fedify's defaults, which
 * they equal, so that what earlier versions stored is found.
 */
export const DELIVERY_KV_PREFIXES = {
  httpMessageSignaturesSpec: ["_fedify", "httpMessageSignaturesSpec"],
  circuitBreaker: ["_fedify", "circuit"],
} as const satisfies Partial<FederationKvPrefixes>;
const SPEC_PREFIX: KvKey = DELIVERY_KV_PREFIXES.httpMessageSignaturesSpec;
const CIRCUIT_PREFIX: KvKey = DELIVERY_KV_PREFIXES.circuitBreaker;

/**
 * How long what was read of the servers' schemes and circuits is used before reading it
 * again (ms). A circuit another process opened meanwhile is seen this much later; this
 * process's own failures go through Fedify, which opens it where it keeps it.
 */
const SERVER_STATE_TTL = 5_000;

/**
 * Private keys kept imported, the least recently used forgotten past it; a node has two
 * per actor, and few actors deliver at once.
 */
const KEY_CACHE_SIZE = 64;

/**
 * Connections kept open to one server (host and port): enough to overlap the deliveries
 * in hand, few enough that a fan-out to one big instance does not flood it.
 */
const SOCKETS_PER_HOST = 16;

/** How long an inbox may stay silent before the delivery is left to Fedify's retries (ms). */
const RESPONSE_TIMEOUT = 30_000;

interface InboxAnswer {
  readonly status: number;
  /** Whether the inbox asked for a signature of its own making (Accept-Signature). */
  readonly challenge: boolean;
}

interface SerializedBody {
  readonly bytes: Buffer;
  readonly sha256: string;
}

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
 * scheme, its circuit twice, the scheme again). Here keys stay imported, the servers'
 * states are read for all servers at once, every few seconds, an activity is serialized and
 * hashed once for all its inboxes, the signature headers are built as strings (see
 * signedPostHeaders) and the POST goes out on node:http with connections kept alive, not
 * through fetch's Request and Response objects, which cost more than the signature. Idle
 * kept-alive sockets do not hold the process open (node's Agent unrefs them).
 *
 * It only takes the plain case: a first attempt, to a server with no circuit-breaker
 * record, that accepts the activity at once, or once asked with the other signature
 * scheme after a 400 or 401 (as Fedify's double-knock asks). Anything else (a refusal, a
 * challenge to sign otherwise, a redirect, a transport error) answers false, and Fedify's
 * handler then delivers the message as it always does, knocking again with its double-knock, retrying
 * under the delivery policy and recording the failure.
 */
export class DirectDelivery {
  readonly #kv: KvStore;
  readonly #firstKnock: HttpMessageSignaturesSpec;
  readonly #now: () => number;
  readonly #keys = new LruMap<string, SigningKey>(KEY_CACHE_SIZE);
  readonly #bodies = new WeakMap<object, SerializedBody>();
  readonly #httpAgent = new HttpAgent({ keepAlive: true, maxSockets: SOCKETS_PER_HOST });
  readonly #httpsAgent = new HttpsAgent({ keepAlive: true, maxSockets: SOCKETS_PER_HOST });
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
    const firstSpec = state.specs.get(inbox.origin) ?? this.#firstKnock;
    const headers = new Map<string, string>();
    for (const [name, value] of Object.entries(queued.headers ?? {})) {
      headers.set(name.toLowerCase(), value.trim());
    }
    headers.set("content-type", "application/activity+json");
    let spec = firstSpec;
    try {
      const body = this.#body(queued.activity);
      const signer = this.#signingKey(rsa.keyId, rsa.privateKey);
      const knock = async () => {
        const signed = await signedPostHeaders(
          { url: inbox, headers, bodySha256: body.sha256, date: new Date(this.#now()) },
          signer,
          spec,
        );
        signed.set("content-length", String(body.bytes.length));
        return await this.#post(inbox, signed, body.bytes);
      };
      let answer = await knock();
      if ((answer.status === 400 || answer.status === 401) && !answer.challenge) {
        // Fedify's double-knock, in its plain case: a server that did not take one scheme
        // is asked once with the other. A challenge (Accept-Signature) is left to Fedify.
        spec = spec === "rfc9421" ? "draft-cavage-http-signatures-12" : "rfc9421";
        answer = await knock();
      }
      if (answer.status < 200 || answer.status > 299) {
        // Fedify's double-knock may settle on a scheme: read them again next time.
        this.#state = undefined;
        return false;
      }
    } catch {
      return false;
    }
    if (state.specs.get(inbox.origin) !== spec) {
      state.specs.set(inbox.origin, spec);
      // Only a hint for the next first knock: a failure to keep it is no failed delivery.
      await this.#kv.set([...SPEC_PREFIX, inbox.origin], spec).catch(() => {});
    }
    return true;
  }

  #signingKey(keyId: string, jwk: JsonWebKey): SigningKey {
    // The modulus tells a rotated key under the same id apart.
    const cacheKey = `${keyId} ${jwk.n}`;
    let key = this.#keys.get(cacheKey);
    if (!key) {
      key = { key: createPrivateKey({ key: jwk, format: "jwk" }), keyId: new URL(keyId) };
      this.#keys.set(cacheKey, key);
    }
    return key;
  }

  /**
   * The activity as sent, and its digest: every inbox of a fan-out gets the same body, so
   * it is serialized and hashed once. The queue hands a fan-out's deliveries one activity
   * object (its payload, DatabaseMessageQueue), which keys it here for as long as any
   * delivery holds it.
   */
  #body(activity: unknown): SerializedBody {
    const keyed = typeof activity === "object" && activity !== null;
    let body = keyed ? this.#bodies.get(activity) : undefined;
    if (!body) {
      const bytes = Buffer.from(JSON.stringify(activity));
      body = { bytes, sha256: createHash("sha256").update(bytes).digest("base64") };
      if (keyed) this.#bodies.set(activity, body);
    }
    return body;
  }

  /**
   * POSTs `body`; answers once the response is read to its end. The request is described
   * field by field and its headers as a flat list (which node:http writes as they are,
   * `host` included), not as a URL and an object: node:http would otherwise take the URL
   * apart and copy each header into a map of its own, for every one of a fan-out's POSTs.
   */
  #post(url: URL, headers: ReadonlyMap<string, string>, body: Buffer): Promise<InboxAnswer> {
    const https = url.protocol === "https:";
    if (!https && url.protocol !== "http:") return Promise.reject(new Error("not HTTP"));
    const list: string[] = [];
    for (const [name, value] of headers) list.push(name, value);
    if (url.username || url.password) {
      // As node:http does for a URL's credentials, which it skips for a list of headers.
      const credentials = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
      list.push("authorization", `Basic ${Buffer.from(credentials).toString("base64")}`);
    }
    const { hostname } = url;
    return new Promise((resolve, reject) => {
      const request = (https ? httpsRequest : httpRequest)(
        {
          method: "POST",
          // An IPv6 address is bracketed in a URL, not in a socket's address.
          hostname: hostname.startsWith("[") ? hostname.slice(1, -1) : hostname,
          port: url.port || (https ? 443 : 80),
          path: url.pathname + url.search,
          headers: list,
          agent: https ? this.#httpsAgent : this.#httpAgent,
          timeout: RESPONSE_TIMEOUT,
        },
        (response) => {
          response.on("error", reject);
          // Read to the end, so that the connection serves the next delivery.
          response.on("end", () =>
            resolve({
              status: response.statusCode ?? 0,
              challenge: response.headers["accept-signature"] !== undefined,
            }),
          );
          response.resume();
        },
      );
      request.on("timeout", () => request.destroy(new Error("inbox did not answer in time")));
      request.on("error", reject);
      request.end(body);
    });
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
