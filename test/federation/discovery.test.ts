import { parseNodeInfo } from "@fedify/fedify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestNode, type TestNode } from "../support/test-node.ts";

let peer: TestNode;
beforeAll(async () => {
  peer = await startTestNode("univ", "Université Exemple");
});
afterAll(async () => {
  await peer.stop();
});

describe("a node as other servers discover it, over HTTP", () => {
  it("resolves @handle@host with WebFinger to the institution actor", async () => {
    // Over http: WebFinger clients use https, which a loopback test node does not serve.
    const url = new URL("/.well-known/webfinger", peer.url);
    url.searchParams.set("resource", `acct:univ@${peer.url.host}`);
    const result = (await (await fetch(url)).json()) as { links: Array<Record<string, string>> };
    const self = result.links.find((link) => link.rel === "self");
    expect(self?.href).toBe(new URL("/actors/institution", peer.url).href);
    expect(self?.type).toBe("application/activity+json");
  });

  it("serves the institution as an Organization with RSA and Ed25519 keys", async () => {
    const response = await fetch(new URL("/actors/institution", peer.url), {
      headers: { accept: "application/activity+json" },
    });
    expect(response.status).toBe(200);
    const actor = (await response.json()) as Record<string, unknown>;
    expect(actor).toMatchObject({
      type: "Organization",
      preferredUsername: "univ",
      name: "Université Exemple",
      manuallyApprovesFollowers: true,
      inbox: new URL("/actors/institution/inbox", peer.url).href,
      endpoints: { sharedInbox: new URL("/inbox", peer.url).href },
    });
    expect(JSON.stringify(actor.publicKey)).toContain("BEGIN PUBLIC KEY");
    expect((actor.assertionMethod as unknown[]).length).toBe(2);
    // Its page, and the collection of whom it follows (no one yet), without an icon until set.
    expect(actor.url).toBe(new URL("/actors/institution", peer.url).href);
    expect(actor.icon).toBeUndefined();
    const following = (await (
      await fetch(actor.following as string, { headers: { accept: "application/activity+json" } })
    ).json()) as Record<string, unknown>;
    expect(following).toMatchObject({
      id: new URL("/actors/institution/following", peer.url).href,
      type: "OrderedCollection",
      totalItems: 0,
    });
  });

  it("answers NodeInfo 2.1 as coursefed speaking activitypub", async () => {
    const links = (await (await fetch(new URL("/.well-known/nodeinfo", peer.url))).json()) as {
      links: Array<{ rel: string; href: string }>;
    };
    const href = links.links.find((link) => link.rel.endsWith("/schema/2.1"))?.href as string;
    const info = parseNodeInfo(await (await fetch(href)).json());
    expect(info?.software.name).toBe("coursefed");
    expect(info?.protocols).toEqual(["activitypub"]);
    // The institution alone: no teacher, no course yet.
    expect(info?.usage).toMatchObject({
      users: { total: 1, activeMonth: 0, activeHalfyear: 0 },
      localPosts: 0,
    });
  });

  it("gives the page, not a 406, to a client that takes any type, as Mastodon does", async () => {
    for (const accept of ["*/*", undefined, "text/plain, */*;q=0.1"]) {
      const response = await fetch(new URL("/actors/institution", peer.url), {
        headers: accept === undefined ? {} : { accept },
      });
      expect(response.status, `Accept: ${accept}`).toBe(200);
      expect(response.headers.get("content-type")).toContain("text/html");
      expect(response.headers.get("vary")).toContain("Accept");
    }
  });

  it("answers 404 for unknown actors, a page to a browser, 406 to anything else", async () => {
    const unknown = await fetch(new URL("/actors/nobody", peer.url), {
      headers: { accept: "application/activity+json" },
    });
    expect(unknown.status).toBe(404);
    const browser = await fetch(new URL("/actors/institution", peer.url), {
      headers: { accept: "text/html" },
    });
    expect(browser.status).toBe(200);
    expect(browser.headers.get("content-type")).toContain("text/html");
    const other = await fetch(new URL("/actors/institution", peer.url), {
      headers: { accept: "application/xml" },
    });
    expect(other.status).toBe(406);
  });
});
