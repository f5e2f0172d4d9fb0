import { createHash, type JsonWebKey } from "node:crypto";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import {
  exportJwk,
  generateCryptoKeyPair,
  type KeyCache,
  MemoryKvStore,
  verifyRequest,
} from "@fedify/fedify";
import { CryptographicKey } from "@fedify/vocab";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DirectDelivery } from "./direct-delivery.ts";

interface Received {
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

const received: Received[] = [];
/** The inbox's answer: a status, or one chosen from the request's headers. */
let status: number | ((headers: IncomingHttpHeaders) => number) = 202;
/** An Accept-Signature header sent with a refusal: a challenge to sign otherwise. */
let challenge: string | undefined;
const server = createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on("data", (chunk: Buffer) => chunks.push(chunk));
  request.on("end", () => {
    received.push({
      url: request.url ?? "/",
      headers: request.headers,
      body: Buffer.concat(chunks).toString("utf8"),
    });
    const code = typeof status === "number" ? status : status(request.headers);
    response.writeHead(code, code >= 400 && challenge ? { "Accept-Signature": challenge } : {});
    response.end();
  });
});
let origin: string;
let host: string;
let privateKey: JsonWebKey;
let keyCache: KeyCache;
const keyId = "https://univ.example/actors/institution#main-key";

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  origin = `http://127.0.0.1:${port}`;
  host = `127.0.0.1:${port}`;
  const pair = await generateCryptoKeyPair("RSASSA-PKCS1-v1_5");
  privateKey = await exportJwk(pair.privateKey);
  // The receiver's view of the sender's key, as if fetched from its actor.
  const key = new CryptographicKey({
    id: new URL(keyId),
    owner: new URL("https://univ.example/actors/institution"),
    publicKey: pair.publicKey,
  });
  keyCache = { get: async () => key, set: async () => {} };
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

/** What Fedify queues for one delivery of a Create to `inbox`. */
function delivery(overrides: Record<string, unknown> = {}) {
  return {
    type: "outbox",
    id: crypto.randomUUID(),
    baseUrl: "https://univ.example",
    keys: [{ keyId, privateKey }],
    activity: {
      "@context": "https://www.w3.org/ns/activitystreams",
      id: "https://univ.example/courses/c1/revisions/1/activity",
      type: "Create",
      actor: "https://univ.example/actors/institution",
      object: { id: "https://univ.example/courses/c1", type: "Page", name: "Algèbre" },
    },
    inbox: `${origin}/inbox/1`,
    headers: {},
    attempt: 0,
    ...overrides,
  };
}

const sha256 = (body: string) => createHash("sha256").update(body).digest("base64");

/** Whether the request as the inbox received it carries a valid signature by the key. */
async function verifies(post: Received | undefined): Promise<boolean> {
  if (!post) return false;
  const headers = new Headers();
  for (const [name, value] of Object.entries(post.headers)) {
    if (typeof value === "string") headers.set(name, value);
  }
  const request = new Request(new URL(post.url, origin), {
    method: "POST",
    headers,
    body: post.body,
  });
  return (await verifyRequest(request, { keyCache })) !== null;
}

describe("DirectDelivery", () => {
  it("delivers a first attempt signed with the first knock, and remembers the scheme", async () => {
    received.length = 0;
    status = 202;
    const kv = new MemoryKvStore();
    const direct = new DirectDelivery(kv, "rfc9421");
    expect(await direct.deliver(delivery())).toBe(true);
    const [post] = received;
    expect(JSON.parse(post?.body ?? "{}").type).toBe("Create");
    expect(post?.headers["content-type"]).toBe("application/activity+json");
    expect(post?.headers["content-digest"]).toBe(`sha-256=:${sha256(post?.body ?? "")}:`);
    expect(post?.headers["signature-input"]).toContain(`keyid="${keyId}"`);
    expect(await verifies(post)).toBe(true);
    expect(await kv.get(["_fedify", "httpMessageSignaturesSpec", origin])).toBe("rfc9421");
  });

  it("signs for a server with the scheme Fedify settled on for it", async () => {
    received.length = 0;
    status = 202;
    const kv = new MemoryKvStore();
    await kv.set(
      ["_fedify", "httpMessageSignaturesSpec", origin],
      "draft-cavage-http-signatures-12",
    );
    const direct = new DirectDelivery(kv, "rfc9421");
    expect(await direct.deliver(delivery())).toBe(true);
    const [post] = received;
    expect(post?.headers.digest).toBe(`SHA-256=${sha256(post?.body ?? "")}`);
    expect(post?.headers.signature).toContain(`keyId="${keyId}"`);
    expect(post?.headers["signature-input"]).toBeUndefined();
    expect(await verifies(post)).toBe(true);
    // A body other than the one signed for does not pass.
    expect(await verifies(post && { ...post, body: post.body.replace("Algèbre", "Algebra") })).toBe(
      false,
    );
  });

  it("leaves to Fedify a refused delivery, a retry and a held one", async () => {
    received.length = 0;
    const kv = new MemoryKvStore();
    const direct = new DirectDelivery(kv, "rfc9421");
    status = 401;
    expect(await direct.deliver(delivery())).toBe(false);
    // Knocked with each scheme, as Fedify's double-knock does.
    expect(received.map((post) => post.headers["signature-input"] !== undefined)).toEqual([
      true,
      false,
    ]);
    // Not remembered: Fedify's double-knock decides which scheme the server takes.
    expect(await kv.get(["_fedify", "httpMessageSignaturesSpec", origin])).toBeUndefined();
    status = 403;
    expect(await direct.deliver(delivery())).toBe(false);
    expect(received).toHaveLength(3);
    status = 202;
    expect(await direct.deliver(delivery({ attempt: 1 }))).toBe(false);
    expect(await direct.deliver(delivery({ circuitHeld: true }))).toBe(false);
    expect(received).toHaveLength(3);
  });

  it("knocks again with draft-cavage where RFC 9421 is refused, and keeps to it", async () => {
    received.length = 0;
    // A server that only knows draft-cavage, as Fedify 1.x, Mastodon before 4.5 and others.
    status = (headers) => (headers["signature-input"] ? 401 : 202);
    const kv = new MemoryKvStore();
    const direct = new DirectDelivery(kv, "rfc9421");
    expect(await direct.deliver(delivery())).toBe(true);
    expect(await direct.deliver(delivery())).toBe(true);
    expect(received.map((post) => post.headers["signature-input"] !== undefined)).toEqual([
      true,
      false,
      false,
    ]);
    expect(await verifies(received[1])).toBe(true);
    expect(await kv.get(["_fedify", "httpMessageSignaturesSpec", origin])).toBe(
      "draft-cavage-http-signatures-12",
    );
    // A challenge to sign otherwise is Fedify's to answer.
    received.length = 0;
    challenge = 'sig1=("@method" "@target-uri" "@authority" "content-digest");keyid="x"';
    status = 401;
    try {
      expect(await new DirectDelivery(new MemoryKvStore(), "rfc9421").deliver(delivery())).toBe(
        false,
      );
    } finally {
      challenge = undefined;
      status = 202;
    }
    expect(received).toHaveLength(1);
  });

  it("leaves a server with failures on record to Fedify's circuit breaker, seen within 5 s", async () => {
    received.length = 0;
    status = 202;
    const kv = new MemoryKvStore();
    let clock = Date.now();
    const direct = new DirectDelivery(kv, "rfc9421", () => clock);
    expect(await direct.deliver(delivery())).toBe(true);
    // Another process's failures: not read again for a few seconds.
    await kv.set(["_fedify", "circuit", host], { state: "closed", failures: [] });
    clock += 1_000;
    expect(await direct.deliver(delivery())).toBe(true);
    clock += 5_000;
    expect(await direct.deliver(delivery())).toBe(false);
    expect(received).toHaveLength(2);
  });

  it("signs each inbox of a fan-out for itself, under either scheme, over kept-alive connections", async () => {
    let connections = 0;
    const counted = () => connections++;
    server.on("connection", counted);
    for (const spec of ["rfc9421", "draft-cavage-http-signatures-12"] as const) {
      received.length = 0;
      status = 202;
      connections = 0;
      const direct = new DirectDelivery(new MemoryKvStore(), spec);
      const inboxes = Array.from({ length: 24 }, (_, i) => `${origin}/users/${i}/inbox`);
      const delivered = await Promise.all(
        inboxes.map((inbox) => direct.deliver(delivery({ inbox }))),
      );
      expect(delivered.every(Boolean)).toBe(true);
      expect(received.map((post) => post.url).sort()).toEqual(
        inboxes.map((inbox) => new URL(inbox).pathname).sort(),
      );
      for (const post of received) expect(await verifies(post), `${spec} ${post.url}`).toBe(true);
      // Another inbox's signature does not pass here.
      const [first, second] = received as [Received, Received];
      expect(await verifies({ ...first, url: second.url })).toBe(false);
      // At most 16 connections to one server, however many deliveries are in hand.
      expect(connections).toBeGreaterThan(0);
      expect(connections).toBeLessThanOrEqual(16);
    }
    server.off("connection", counted);
  });

  it("leaves to Fedify a delivery whose inbox cannot be reached", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const direct = new DirectDelivery(new MemoryKvStore(), "rfc9421");
    expect(await direct.deliver(delivery({ inbox: `http://127.0.0.1:${port}/inbox` }))).toBe(false);
    expect(await direct.deliver(delivery({ inbox: "ftp://univ.example/inbox" }))).toBe(false);
  });

  it("takes only Fedify's deliveries with an RSA key and an inbox it can parse", async () => {
    received.length = 0;
    status = 202;
    const direct = new DirectDelivery(new MemoryKvStore(), "rfc9421");
    expect(await direct.deliver({ type: "fanout", inboxes: {} })).toBe(false);
    expect(await direct.deliver(delivery({ keys: [] }))).toBe(false);
    expect(await direct.deliver(delivery({ inbox: "not a url" }))).toBe(false);
    expect(received).toHaveLength(0);
  });
});
