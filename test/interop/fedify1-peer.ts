import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import {
  Accept,
  type Activity,
  type Object as ActivityPubObject,
  type Actor,
  Announce,
  type Context,
  Create,
  createFederation,
  Delete,
  type DocumentLoader,
  Endpoints,
  Follow,
  generateCryptoKeyPair,
  type HttpMessageSignaturesSpec,
  type InboxContext,
  isActor,
  MemoryKvStore,
  Person,
  type Recipient,
  Reject,
  signRequest,
  Undo,
  Update,
  verifyRequest,
} from "fedify1";
import { freePort } from "../support/test-node.ts";

/** Which HTTP signature a request carried, told apart by RFC 9421's Signature-Input. */
export type SignatureScheme = "rfc9421" | "draft-cavage" | "unsigned";

/** An inbox POST as it went over the wire, either way. */
export interface Delivery {
  readonly path: string;
  readonly scheme: SignatureScheme;
  readonly status: number;
  /** The actor whose key verified the HTTP signature (checked on deliveries to the peer). */
  readonly signer?: string;
}

/** An activity the peer's inbox accepted, with its object as Fedify 1.x parsed it. */
export interface ReceivedActivity {
  readonly activity: Activity;
  readonly object: ActivityPubObject | null;
}

export interface Fedify1PeerOptions {
  /**
   * The HTTP signature the peer signs with: the first knock of its signed fetches, and
   * the only one of its deliveries (they do not fall back, so a refusal shows).
   */
  readonly signsWith: HttpMessageSignaturesSpec;
  /**
   * False makes the peer refuse RFC 9421-signed deliveries with 401, as servers that
   * only know draft-cavage (Mastodon before 4.5) do, so that senders must double-knock.
   */
  readonly acceptsRfc9421: boolean;
}

/** A request to one of the peer's inboxes, as it came: for what Fedify does not parse. */
export interface RawDelivery {
  readonly path: string;
  readonly headers: Headers;
  readonly body: string;
}

export interface Fedify1Peer {
  readonly url: URL;
  /** Its first actor, a Person. */
  readonly actorId: URL;
  /** Every POST to its inboxes, with headers and body. */
  readonly rawIn: readonly RawDelivery[];
  readonly received: readonly ReceivedActivity[];
  /** Deliveries to the peer's inboxes, and what it answered. */
  readonly deliveriesIn: readonly Delivery[];
  /** The peer's own deliveries, and what it was answered. */
  readonly deliveriesOut: readonly Delivery[];
  /** Sends a Follow to the actor at `actorUrl`; returns once that server took it. */
  follow(actorUrl: string): Promise<Follow>;
  /** Takes a Follow back. */
  undo(follow: Follow): Promise<void>;
  /**
   * Adds a Person, `identifier`, naming the actors `aliases` (URLs) in alsoKnownAs; it
   * accepts every Follow at once, as do all the peer's actors but the first.
   */
  addActor(identifier: string, aliases?: readonly URL[]): URL;
  /** The URL of an actor of the peer. */
  actorUri(identifier: string): URL;
  /** Sends an activity as one of its actors with Fedify 1.x (HTTP signature, LD signature, proof). */
  send(
    identifier: string,
    activity: Activity,
    to: Recipient | "followers",
    options?: { syncCollection?: boolean },
  ): Promise<void>;
  /**
   * Posts `body` (JSON or not) to `inbox` with only an HTTP signature by `signer`'s RSA
   * key, whatever the body says its actor is; returns the answer.
   */
  post(inbox: URL, body: string, signer: string): Promise<Response>;
  /** Forgets that `follower` follows `identifier` (as if the peer's database lost it). */
  dropFollower(identifier: string, follower: URL): void;
  /** Fetches and parses an object with the peer's own, signing, document loader. */
  lookup(url: string | URL): Promise<ActivityPubObject | null>;
  documentLoader(): Promise<DocumentLoader>;
  stop(): Promise<void>;
}

const IDENTIFIER = "reader";

/**
 * Another ActivityPub server, on Fedify 1.x: one Person with RSA and Ed25519 keys,
 * WebFinger, and an inbox that keeps what it receives, so tests can check what a server
 * that is not coursefed makes of a coursefed node.
 *
 * Like Mastodon, its inbox requires a valid HTTP signature on every delivery, and it
 * sends its Follow with nothing but an HTTP signature. Fedify alone would not show
 * whether HTTP signatures verify: it adds a Linked Data signature and an Object Integrity
 * Proof to what it sends, and its inbox skips the HTTP signature when either verifies.
 */
export async function startFedify1Peer(options: Fedify1PeerOptions): Promise<Fedify1Peer> {
  const port = await freePort();
  const url = new URL(`http://127.0.0.1:${port}`);
  const keyPairs = [
    await generateCryptoKeyPair("RSASSA-PKCS1-v1_5"),
    await generateCryptoKeyPair("Ed25519"),
  ];
  /** Actors beyond the first: their keys (one RSA pair is enough, and quick) and aliases. */
  const others = new Map<
    string,
    { keyPairs: Awaited<ReturnType<typeof generateCryptoKeyPair>>[]; aliases: readonly URL[] }
  >();
  const sharedRsa = await generateCryptoKeyPair("RSASSA-PKCS1-v1_5");
  const sharedEd25519 = await generateCryptoKeyPair("Ed25519");
  const followersOf = new Map<string, Map<string, Recipient>>();
  const rawIn: RawDelivery[] = [];
  const received: ReceivedActivity[] = [];
  const deliveriesIn: Delivery[] = [];
  const deliveriesOut: Delivery[] = [];

  const federation = createFederation<void>({
    kv: new MemoryKvStore(),
    allowPrivateAddress: true,
    firstKnock: options.signsWith,
  });
  federation
    .setActorDispatcher("/users/{identifier}", async (ctx, identifier) => {
      const other = others.get(identifier);
      if (identifier !== IDENTIFIER && !other) return null;
      const keys = await ctx.getActorKeyPairs(identifier);
      return new Person({
        id: ctx.getActorUri(identifier),
        preferredUsername: identifier,
        name: identifier === IDENTIFIER ? "A reader on Fedify 1.x" : `${identifier} on Fedify 1.x`,
        inbox: ctx.getInboxUri(identifier),
        endpoints: new Endpoints({ sharedInbox: ctx.getInboxUri() }),
        followers: ctx.getFollowersUri(identifier),
        publicKey: keys[0]?.cryptographicKey ?? null,
        assertionMethods: keys.map((key) => key.multikey),
        aliases: [...(other?.aliases ?? [])],
      });
    })
    .setKeyPairsDispatcher((_ctx, identifier) =>
      identifier === IDENTIFIER ? keyPairs : (others.get(identifier)?.keyPairs ?? []),
    );
  federation.setFollowersDispatcher("/users/{identifier}/followers", (_ctx, identifier) => ({
    items: [...(followersOf.get(identifier)?.values() ?? [])],
  }));

  const keep = async (ctx: InboxContext<void>, activity: Activity) => {
    // An object from another server (our own Follow in an Accept) is only named by id:
    // Fedify 1.x would fetch it from its origin rather than trust the embedded copy.
    const sameOrigin = activity.objectId?.origin === activity.id?.origin;
    const documentLoader = await ctx.getDocumentLoader({ identifier: IDENTIFIER });
    received.push({
      activity,
      object: sameOrigin ? await activity.getObject({ documentLoader }) : null,
    });
  };
  /** The peer's actors but the first accept every Follow, and remember the follower. */
  const acceptFollow = async (ctx: InboxContext<void>, follow: Follow) => {
    await keep(ctx, follow);
    const target = follow.objectId && ctx.parseUri(follow.objectId);
    if (target?.type !== "actor" || target.identifier === IDENTIFIER || !follow.actorId) return;
    const follower = await follow.getActor(ctx);
    if (!follower?.id || !follower.inboxId) return;
    const recipient: Recipient = {
      id: follower.id,
      inboxId: follower.inboxId,
      endpoints: follower.endpoints?.sharedInbox
        ? { sharedInbox: follower.endpoints.sharedInbox }
        : null,
    };
    const followers = followersOf.get(target.identifier) ?? new Map<string, Recipient>();
    followers.set(follower.id.href, recipient);
    followersOf.set(target.identifier, followers);
    await ctx.sendActivity(
      { identifier: target.identifier },
      recipient,
      new Accept({
        id: new URL(`/users/${target.identifier}/accepts/${crypto.randomUUID()}`, url),
        actor: ctx.getActorUri(target.identifier),
        object: follow,
      }),
    );
  };
  const undoFollow = async (ctx: InboxContext<void>, undo: Undo) => {
    await keep(ctx, undo);
    const undone = await undo.getObject(ctx);
    const target = undone instanceof Follow && undone.objectId && ctx.parseUri(undone.objectId);
    if (target && target.type === "actor" && undo.actorId) {
      followersOf.get(target.identifier)?.delete(undo.actorId.href);
    }
  };
  federation
    .setInboxListeners("/users/{identifier}/inbox", "/inbox")
    .on(Follow, acceptFollow)
    .on(Undo, undoFollow)
    .on(Accept, keep)
    .on(Reject, keep)
    .on(Create, keep)
    .on(Update, keep)
    .on(Delete, keep)
    .on(Announce, keep);

  const context = (): Context<void> => federation.createContext(url, undefined);
  const actorId = context().getActorUri(IDENTIFIER);
  const documentLoader = () => context().getDocumentLoader({ identifier: IDENTIFIER });
  const lookup = async (target: string | URL) =>
    await context().lookupObject(target.toString(), { documentLoader: await documentLoader() });

  /** Answers a delivery whose HTTP signature does not verify itself, else lets Fedify. */
  const receive = async (request: Request, scheme: SignatureScheme) => {
    if (scheme === "rfc9421" && !options.acceptsRfc9421) {
      return { response: unauthorized("This server only verifies draft-cavage signatures.") };
    }
    const ctx = context();
    const key = await verifyRequest(request.clone(), {
      documentLoader: ctx.documentLoader,
      contextLoader: ctx.contextLoader,
    });
    if (!key?.ownerId) return { response: unauthorized("The HTTP signature does not verify.") };
    const response = await federation.fetch(request, { contextData: undefined });
    return { response, signer: key.ownerId.href };
  };

  const answer = async (incoming: IncomingMessage, outgoing: ServerResponse) => {
    const request = await toRequest(incoming, url);
    let response: Response;
    if (request.method === "POST") {
      rawIn.push({
        path: new URL(request.url).pathname,
        headers: new Headers(request.headers),
        body: await request.clone().text(),
      });
      const scheme = schemeOf(request);
      const result = await receive(request, scheme);
      response = result.response;
      deliveriesIn.push({
        path: new URL(request.url).pathname,
        scheme,
        status: response.status,
        ...(result.signer ? { signer: result.signer } : {}),
      });
    } else {
      response = await federation.fetch(request, { contextData: undefined });
    }
    outgoing.writeHead(response.status, Object.fromEntries(response.headers));
    outgoing.end(Buffer.from(await response.arrayBuffer()));
  };
  const server = createServer((incoming, outgoing) => {
    answer(incoming, outgoing).catch((error: unknown) => {
      outgoing.statusCode = 500;
      outgoing.end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));

  /** Posts an activity to an actor's inbox with an HTTP signature and nothing else. */
  const deliver = async (activity: Activity, recipient: Actor) => {
    const ctx = context();
    const inbox = recipient.inboxId;
    // The first key pair is the RSA one, the only kind HTTP signatures use.
    const [rsa] = await ctx.getActorKeyPairs(IDENTIFIER);
    const privateKey = keyPairs[0]?.privateKey;
    if (!inbox || !rsa || !privateKey)
      throw new Error("Nowhere to deliver, or no key to sign with.");
    const body = JSON.stringify(
      await activity.toJsonLd({ format: "compact", contextLoader: ctx.contextLoader }),
    );
    const request = await signRequest(
      new Request(inbox, {
        method: "POST",
        headers: { "content-type": "application/activity+json" },
        body,
      }),
      privateKey,
      rsa.keyId,
      { spec: options.signsWith },
    );
    const response = await fetch(request);
    deliveriesOut.push({
      path: inbox.pathname,
      scheme: schemeOf(request),
      status: response.status,
    });
    if (!response.ok) {
      throw new Error(
        `${inbox.href} refused the delivery: ${response.status} ${await response.text()}`,
      );
    }
  };

  const actorUri = (identifier: string) => context().getActorUri(identifier);
  return {
    url,
    actorId,
    rawIn,
    actorUri,
    addActor(identifier, aliases = []) {
      others.set(identifier, { keyPairs: [sharedRsa, sharedEd25519], aliases });
      return actorUri(identifier);
    },
    async send(identifier, activity, to, options = {}) {
      const ctx = context();
      if (to === "followers") {
        await ctx.sendActivity({ identifier }, "followers", activity, {
          syncCollection: options.syncCollection ?? false,
          immediate: true,
        });
      } else {
        await ctx.sendActivity({ identifier }, to, activity, { immediate: true });
      }
    },
    async post(inbox, body, signer) {
      const ctx = context();
      const [rsa] = await ctx.getActorKeyPairs(signer);
      const pair = signer === IDENTIFIER ? keyPairs[0] : others.get(signer)?.keyPairs[0];
      if (!rsa || !pair) throw new Error(`The peer has no actor ${signer}.`);
      const request = await signRequest(
        new Request(inbox, {
          method: "POST",
          headers: { "content-type": "application/activity+json" },
          body,
        }),
        pair.privateKey,
        rsa.keyId,
        { spec: options.signsWith },
      );
      return await fetch(request);
    },
    dropFollower(identifier, follower) {
      followersOf.get(identifier)?.delete(follower.href);
    },
    received,
    deliveriesIn,
    deliveriesOut,
    documentLoader,
    lookup,
    async follow(actorUrl) {
      const actor = await lookup(actorUrl);
      if (!isActor(actor)) throw new Error(`${actorUrl} is not an actor.`);
      const follow = new Follow({
        id: new URL(`/users/${IDENTIFIER}/follows/${crypto.randomUUID()}`, url),
        actor: actorId,
        object: actor.id,
      });
      await deliver(follow, actor);
      return follow;
    },
    async undo(follow) {
      const actor = follow.objectId && (await lookup(follow.objectId));
      if (!isActor(actor)) throw new Error("The followed actor is gone.");
      await deliver(
        new Undo({ id: new URL(`${follow.id?.href}/undo`), actor: actorId, object: follow }),
        actor,
      );
    },
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

function unauthorized(message: string): Response {
  return new Response(message, { status: 401 });
}

function schemeOf(request: Request): SignatureScheme {
  if (request.headers.has("signature-input")) return "rfc9421";
  return request.headers.has("signature") ? "draft-cavage" : "unsigned";
}

async function toRequest(incoming: IncomingMessage, origin: URL): Promise<Request> {
  const chunks: Buffer[] = [];
  for await (const chunk of incoming) chunks.push(chunk as Buffer);
  const headers = new Headers();
  for (const [name, value] of Object.entries(incoming.headers)) {
    for (const one of Array.isArray(value) ? value : value === undefined ? [] : [value]) {
      headers.append(name, one);
    }
  }
  const hasBody = incoming.method !== "GET" && incoming.method !== "HEAD";
  return new Request(new URL(incoming.url ?? "/", origin), {
    method: incoming.method ?? "GET",
    headers,
    ...(hasBody ? { body: Buffer.concat(chunks) } : {}),
  });
}
