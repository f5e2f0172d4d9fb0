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
let status = 202;
const server = createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on("data", (chunk: Buffer) => chunks.push(chunk));
  request.on("end", () => {
    received.push({
      url: request.url ?? "/",
      headers: request.headers,
      body: Buffer.concat(chunks).toString("utf8"),
    });
    response.writeHead(status).end();
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
    expect(received).toHaveLength(1);
    // Not remembered: Fedify's double-knock decides which scheme the server takes.
    expect(await kv.get(["_fedify", "httpMessageSignaturesSpec", origin])).toBeUndefined();
    status = 202;
    expect(await direct.deliver(delivery({ attempt: 1 }))).toBe(false);
    expect(await direct.deliver(delivery({ circuitHeld: true }))).toBe(false);
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
