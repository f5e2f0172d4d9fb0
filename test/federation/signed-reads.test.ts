import type { webcrypto } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { generateCryptoKeyPair, signRequest } from "@fedify/fedify";
import { CryptographicKey, Person } from "@fedify/vocab";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { publishCourse } from "../../packages/node/src/courses/publish-service.ts";
import { domainServices } from "../../packages/node/src/federation/domain-services.ts";
import { contextOf } from "../support/federation-steps.ts";
import { fixture, haveFixtures } from "../support/shared-fixtures.ts";
import { freePort, startTestNode, type TestNode } from "../support/test-node.ts";

const AP = { accept: "application/activity+json" };

/**
 * univ publishes a public and a followers-only course. Two servers follow its
 * institution: the reader's, up, and the ghost's, whose key is served but whose actor's
 * server is down. Each signs its reads with a key published apart from its actor.
 */
let univ: TestNode;
let keys: Server;
let origin: string;
let ghostOrigin: string;
/** The requests the keys' server answered, by path. */
const served: string[] = [];
let signers: Record<"reader" | "ghost", { privateKey: webcrypto.CryptoKey; keyId: URL }>;
let open: { id: string; sha256: string };
let followersOnly: { id: string; sha256: string };

async function signedGet(url: URL, who: keyof typeof signers): Promise<Response> {
  const { privateKey, keyId } = signers[who];
  return await fetch(await signRequest(new Request(url, { headers: AP }), privateKey, keyId));
}

describe.runIf(haveFixtures())("reads signed by a follower's server", () => {
  beforeAll(async () => {
    univ = await startTestNode("univ", "University");
    const documents = new Map<string, unknown>();
    keys = createServer((request, response) => {
      served.push(request.url ?? "");
      const document = documents.get(request.url ?? "");
      if (document === undefined) return void response.writeHead(404).end();
      response.writeHead(200, { "content-type": "application/activity+json" });
      response.end(JSON.stringify(document));
    });
    await new Promise<void>((resolve) => keys.listen(0, "127.0.0.1", resolve));
    origin = `http://127.0.0.1:${(keys.address() as AddressInfo).port}`;
    // Nothing listens there: the ghost's server is down.
    ghostOrigin = `http://127.0.0.1:${await freePort()}`;
    const make = async (name: string, actorOrigin: string) => {
      const pair = await generateCryptoKeyPair("RSASSA-PKCS1-v1_5");
      const keyId = new URL(`${origin}/keys/${name}`);
      const actor = new URL(`${actorOrigin}/actors/${name}`);
      const key = new CryptographicKey({ id: keyId, owner: actor, publicKey: pair.publicKey });
      documents.set(keyId.pathname, await key.toJsonLd());
      documents.set(actor.pathname, await new Person({ id: actor, publicKey: key }).toJsonLd());
      await univ.node.services.follows.rememberActor({
        uri: actor.href,
        handle: `${name}@${actor.host}`,
        type: "Service",
        name,
        inbox: `${actor.href}/inbox`,
        sharedInbox: null,
      });
      await univ.node.services.follows.requestFollow(
        univ.node.institution.id,
        actor.href,
        `${actor.href}/follow`,
        "accepted",
      );
      return { privateKey: pair.privateKey, keyId };
    };
    signers = { reader: await make("reader", origin), ghost: await make("ghost", ghostOrigin) };
    // Two archives: a digest either course publishes is served by the more open one.
    const publish = async (title: string, visibility: "public" | "followers", backup: string) => {
      const published = await publishCourse(
        domainServices(contextOf(univ)),
        univ.node.institution,
        fixture(backup),
        { title, visibility },
      );
      return { id: published.course.id, sha256: published.report.sha256 };
    };
    open = await publish("Open course", "public", "m26dev-zip-course-glossary-nousers.mbz");
    followersOnly = await publish(
      "Followers' course",
      "followers",
      "m262-tgz-course-availability-nousers.mbz",
    );
  }, 60_000);
  afterAll(async () => {
    await new Promise((resolve) => keys?.close(resolve));
    await univ?.stop();
  });

  it("lets a follower read its followers-only course everywhere, its key and actor read once", async () => {
    const outbox = new URL("/actors/institution/outbox", univ.url);
    const listed = (await (await signedGet(outbox, "reader")).json()) as { totalItems: number };
    expect(listed.totalItems).toBe(2);
    const course = await signedGet(new URL(`/courses/${followersOnly.id}`, univ.url), "reader");
    expect(course.status).toBe(200);
    const archive = await signedGet(new URL(`/blobs/${followersOnly.sha256}`, univ.url), "reader");
    expect(archive.status).toBe(200);
    await archive.arrayBuffer();
    expect(served.filter((path) => path === "/keys/reader")).toHaveLength(1);
    expect(served.filter((path) => path === "/actors/reader")).toHaveLength(1);
    // Unsigned, the same reads see the public course alone.
    const publicly = (await (await fetch(outbox, { headers: AP })).json()) as {
      totalItems: number;
    };
    expect(publicly.totalItems).toBe(1);
  });

  it("answers a read whose signer's server is down as an unsigned one, not with a 500", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    try {
      const outbox = new URL("/actors/institution/outbox", univ.url);
      const listed = await signedGet(outbox, "ghost");
      expect(listed.status).toBe(200);
      expect(((await listed.json()) as { totalItems: number }).totalItems).toBe(1);
      const course = await signedGet(new URL(`/courses/${followersOnly.id}`, univ.url), "ghost");
      expect(course.status).toBe(401);
      const archive = await signedGet(new URL(`/blobs/${followersOnly.sha256}`, univ.url), "ghost");
      expect(archive.status).toBe(403);
      await archive.arrayBuffer();
      // The public course is still everyone's.
      const publicCourse = await signedGet(new URL(`/courses/${open.id}`, univ.url), "ghost");
      expect(publicCourse.status).toBe(200);
      expect(served).toContain("/keys/ghost");
    } finally {
      warn.mockRestore();
    }
  });
});
