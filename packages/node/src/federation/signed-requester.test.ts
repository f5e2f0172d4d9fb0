import type { webcrypto } from "node:crypto";
import {
  type DocumentLoader,
  generateCryptoKeyPair,
  getDocumentLoader,
  signRequest,
} from "@fedify/fedify";
import { CryptographicKey, Organization } from "@fedify/vocab";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { type SignedRead, signedRequester } from "./signed-requester.ts";

const ACTOR = "https://univ.example/actors/institution";
/** The key is a document of its own, so that its owner is read apart from it. */
const KEY = "https://keys.univ.example/keys/institution";
const OUTBOX = "https://school.example/actors/institution/outbox";

let privateKey: webcrypto.CryptoKey;
const documents: Record<string, unknown> = {};
/** Every document the requester asked for, in order. */
const loaded: string[] = [];
/** URLs whose server is down: loading them throws as fetch does. */
const down = new Set<string>();

const documentLoader: DocumentLoader = async (url) => {
  loaded.push(url);
  if (down.has(url)) throw new TypeError("fetch failed");
  const document = documents[url];
  if (document === undefined) throw new TypeError(`not found: ${url}`);
  return { contextUrl: null, documentUrl: url, document };
};

beforeAll(async () => {
  const pair = await generateCryptoKeyPair("RSASSA-PKCS1-v1_5");
  privateKey = pair.privateKey;
  const key = new CryptographicKey({
    id: new URL(KEY),
    owner: new URL(ACTOR),
    publicKey: pair.publicKey,
  });
  documents[KEY] = await key.toJsonLd();
  documents[ACTOR] = await new Organization({
    id: new URL(ACTOR),
    publicKey: key,
  }).toJsonLd();
});

async function signedRead(url = OUTBOX): Promise<SignedRead> {
  const request = await signRequest(
    new Request(url, { headers: { accept: "application/activity+json" } }),
    privateKey,
    new URL(KEY),
  );
  return { request, documentLoader, contextLoader: getDocumentLoader() };
}

describe("signedRequester", () => {
  it("verifies a signed read and keeps its key and signer: a second read loads nothing", async () => {
    const requesterOf = signedRequester();
    loaded.length = 0;
    expect(await requesterOf(await signedRead())).toBe(ACTOR);
    expect(loaded).toContain(KEY);
    expect(loaded).toContain(ACTOR);
    const before = loaded.length;
    // Another resource, another signature: the same signer, known already.
    expect(await requesterOf(await signedRead(`${OUTBOX}?page=2`))).toBe(ACTOR);
    expect(loaded.length).toBe(before);
  });

  it("takes a read whose signer cannot be read as unsigned, and asks again the next time", async () => {
    const requesterOf = signedRequester();
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    down.add(ACTOR);
    try {
      loaded.length = 0;
      expect(await requesterOf(await signedRead())).toBeUndefined();
      expect(loaded).toContain(ACTOR);
      expect(warn).toHaveBeenCalledWith(expect.stringContaining(KEY));
    } finally {
      down.delete(ACTOR);
      warn.mockRestore();
    }
    // The failure was not kept: the signer's server is back, so is the signer.
    expect(await requesterOf(await signedRead())).toBe(ACTOR);
  });

  it("answers undefined for an unsigned read without loading anything", async () => {
    const requesterOf = signedRequester();
    loaded.length = 0;
    const request = new Request(OUTBOX);
    expect(
      await requesterOf({ request, documentLoader, contextLoader: getDocumentLoader() }),
    ).toBeUndefined();
    expect(loaded).toEqual([]);
  });

  it("answers undefined for a signature that does not verify, even with the key kept", async () => {
    const requesterOf = signedRequester();
    expect(await requesterOf(await signedRead())).toBe(ACTOR);
    const read = await signedRead();
    const headers = new Headers(read.request.headers);
    // Signed for the outbox, replayed at another address.
    const replayed = new Request("https://school.example/actors/ana/outbox", { headers });
    expect(await requesterOf({ ...read, request: replayed })).toBeUndefined();
  });
});
