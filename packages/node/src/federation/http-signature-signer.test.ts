import { createHash, createPrivateKey } from "node:crypto";
import {
  exportJwk,
  generateCryptoKeyPair,
  type HttpMessageSignaturesSpec,
  type KeyCache,
  verifyRequest,
} from "@fedify/fedify";
import { CryptographicKey } from "@fedify/vocab";
import { beforeAll, describe, expect, it } from "vitest";
import { type SigningKey, signedPostHeaders } from "./http-signature-signer.ts";

const keyId = new URL("https://univ.example/actors/institution#main-key");
let signer: SigningKey;
let keyCache: KeyCache;

beforeAll(async () => {
  // An RSA-4096 key, as Fedify makes them and as actors made before the node chose 2048.
  const pair = await generateCryptoKeyPair("RSASSA-PKCS1-v1_5");
  signer = {
    key: createPrivateKey({ key: await exportJwk(pair.privateKey), format: "jwk" }),
    keyId,
  };
  const key = new CryptographicKey({
    id: keyId,
    owner: new URL("https://univ.example/actors/institution"),
    publicKey: pair.publicKey,
  });
  keyCache = { get: async () => key, set: async () => {} };
});

const body = JSON.stringify({ type: "Create", object: { type: "Page", name: "Algèbre" } });
const bodySha256 = createHash("sha256").update(body).digest("base64");
const inboxes = [
  "https://school.example/users/ana/inbox",
  "https://mastodon.example/inbox",
  "http://127.0.0.1:8080/actors/institution/inbox",
  "https://lycee.example:8443/inbox?shared=1",
];
const specs: HttpMessageSignaturesSpec[] = ["draft-cavage-http-signatures-12", "rfc9421"];

async function sign(
  inbox: string,
  spec: HttpMessageSignaturesSpec,
  extra: Record<string, string> = {},
): Promise<Map<string, string>> {
  const headers = new Map(
    Object.entries({ "content-type": "application/activity+json", ...extra }),
  );
  return await signedPostHeaders(
    { url: new URL(inbox), headers, bodySha256, date: new Date() },
    signer,
    spec,
  );
}

/** Whether Fedify, receiving this POST as a server would, accepts its signature. */
async function verifies(url: string, headers: Map<string, string>, sent = body): Promise<boolean> {
  const request = new Request(url, { method: "POST", headers: [...headers], body: sent });
  return (await verifyRequest(request, { keyCache })) !== null;
}

describe("signedPostHeaders", () => {
  for (const spec of specs) {
    it(`signs POSTs to several inboxes as Fedify verifies them (${spec})`, async () => {
      for (const inbox of inboxes) {
        const headers = await sign(inbox, spec);
        expect(headers.get("host")).toBe(new URL(inbox).host);
        expect(await verifies(inbox, headers), inbox).toBe(true);
      }
    });

    it(`refuses a tampered body and a signature replayed at another inbox (${spec})`, async () => {
      const [first, second] = inboxes as [string, string];
      const headers = await sign(first, spec);
      expect(await verifies(first, headers, body.replace("Algèbre", "Algebra"))).toBe(false);
      // Same host, other path: the target is covered, not only the host.
      expect(await verifies("https://school.example/users/bob/inbox", headers)).toBe(false);
      expect(await verifies(second, headers)).toBe(false);
    });
  }

  it("covers the headers Fedify queued with the delivery under draft-cavage", async () => {
    const inbox = inboxes[0] as string;
    const headers = await sign(inbox, "draft-cavage-http-signatures-12", {
      "collection-synchronization": 'collectionId="https://univ.example/followers"',
    });
    expect(headers.get("signature")).toContain(
      'headers="(request-target) collection-synchronization content-type date digest host"',
    );
    expect(await verifies(inbox, headers)).toBe(true);
    headers.set("collection-synchronization", 'collectionId="https://evil.example/followers"');
    expect(await verifies(inbox, headers)).toBe(false);
  });

  it("writes RFC 9421's components and parameters in Fedify's order", async () => {
    const headers = await sign(inboxes[0] as string, "rfc9421");
    expect(headers.get("signature-input")).toMatch(
      /^sig1=\("@method" "@target-uri" "@authority" "host" "date" "content-digest"\);alg="rsa-v1_5-sha256";keyid="https:\/\/univ\.example\/actors\/institution#main-key";created=\d+$/,
    );
    expect(headers.get("content-digest")).toBe(`sha-256=:${bodySha256}:`);
    expect(headers.get("signature")).toMatch(/^sig1=:[A-Za-z0-9+/]+=*:$/);
  });
});
