import { mkdtempSync, rmSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { signRequest } from "@fedify/fedify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { publishCourse } from "../../packages/node/src/courses/publish-service.ts";
import { domainServices } from "../../packages/node/src/federation/domain-services.ts";
import {
  catalogIntake,
  peerSearch,
} from "../../packages/node/src/federation/network-search-client.ts";
import { PeerDocumentError } from "../../packages/node/src/federation/peer-document.ts";
import { institutionSigner } from "../../packages/node/src/federation/signed-fetch.ts";
import type { NetworkSearchAnswer } from "../../packages/node/src/network-search/network-search-answer.ts";
import {
  bringIntoCatalog,
  searchNetwork,
} from "../../packages/node/src/network-search/network-search-service.ts";
import { buildTarGz, moodleBackupXml } from "../support/archive-builder.ts";
import { coursefed } from "../support/coursefed-cli.ts";
import { eventually } from "../support/eventually.ts";
import {
  contextOf,
  followAndApprove,
  institutionOf,
  writeOnePageBackup,
} from "../support/federation-steps.ts";
import { freePort, startTestNode, type TestNode } from "../support/test-node.ts";
import { WebClient } from "../web/web-client.ts";

/**
 * Four nodes on loopback: `searcher` follows `partner` and `neighbour`; `partner` follows
 * `faraway`, one hop from the searcher. `faraway` lets each server ask 5 searches a minute.
 * A fake node that the searcher follows answers as the test says: late, or in another's name.
 */
let searcher: TestNode;
let partner: TestNode;
let neighbour: TestNode;
let faraway: TestNode;
let fake: { server: Server; origin: string; answer: (origin: string) => Promise<unknown> };
let workDir: string;
const objects: Record<string, string> = {};

async function publish(
  peer: TestNode,
  key: string,
  metadata: Parameters<typeof publishCourse>[3],
  options: { teacher?: string; release?: string } = {},
): Promise<string> {
  const actor = options.teacher
    ? ((await peer.node.services.actors.byIdentifier(options.teacher)) ??
      (await peer.node.services.actors.createTeacher(options.teacher, options.teacher)))
    : peer.node.institution;
  let file = await writeOnePageBackup(workDir);
  if (options.release) {
    file = join(workDir, `${key}.mbz`);
    await writeFile(
      file,
      await buildTarGz([
        {
          name: "moodle_backup.xml",
          data: moodleBackupXml({
            activities: [{ module: "page", id: 4, title: "Welcome" }],
            release: options.release,
          }),
        },
      ]),
    );
  }
  const published = await publishCourse(domainServices(contextOf(peer)), actor, file, metadata);
  objects[key] = new URL(`/courses/${published.course.id}`, peer.url).href;
  return objects[key];
}

/** The searcher's network search, as the API and the pages call it. */
async function searchFromSearcher(query: Parameters<typeof searchNetwork>[1], budgetMs = 3000) {
  const ctx = contextOf(searcher);
  return await searchNetwork(
    { ...searcher.node.services, origin: ctx.origin, peerSearch: peerSearch(ctx) },
    query,
    { budgetMs },
  );
}

/** What the fake node sends as it is, with its media type, rather than as JSON. */
class RawAnswer {
  readonly type: string;
  readonly text: string;
  constructor(type: string, text: string) {
    this.type = type;
    this.text = text;
  }
}

/** A GET of `node`'s search endpoint signed as `by`'s institution. */
async function signedSearch(by: TestNode, node: TestNode, query: string): Promise<Response> {
  const sign = await institutionSigner(contextOf(by));
  return await fetch(await sign(new Request(new URL(`/federation/search?${query}`, node.url))));
}

/** `follower`'s institution follows `actor`, the follow recorded as accepted (no Accept sent). */
async function recordAcceptedFollow(follower: TestNode, actor: string): Promise<void> {
  const { follows } = follower.node.services;
  await follows.rememberActor({
    uri: actor,
    handle: null,
    type: "Organization",
    name: null,
    inbox: `${actor}/inbox`,
    sharedInbox: null,
  });
  const followId = `${follower.url.origin}/follows/${crypto.randomUUID()}`;
  await follows.startFollowing(follower.node.institution.id, actor, followId);
  await follows.answerFollowing(followId, actor, "accepted");
}

function titles(items: ReadonlyArray<{ title: string }>): string[] {
  return items.map((item) => item.title);
}

describe("network search", () => {
  beforeAll(async () => {
    workDir = mkdtempSync(join(tmpdir(), "coursefed-network-search-"));
    [searcher, partner, neighbour, faraway] = await Promise.all([
      startTestNode("searcher"),
      startTestNode("partner", "Partner University"),
      startTestNode("neighbour", "Neighbour School"),
      startTestNode("faraway", "Faraway College", { networkSearchRequestsPerMinute: 5 }),
    ]);
    await Promise.all([
      followAndApprove(searcher, partner),
      followAndApprove(searcher, neighbour),
      followAndApprove(partner, faraway),
    ]);
    await publish(partner, "algebraPublic", {
      title: "Algebra basics",
      summary: "<p>Groups and rings</p>",
      tags: ["maths"],
      license: "CC-BY-4.0",
    });
    await publish(partner, "algebraFollowers", {
      title: "Algebra for partners",
      visibility: "followers",
    });
    await publish(
      partner,
      "algebraTeacherFollowers",
      { title: "Algebra seminar", visibility: "followers" },
      {
        teacher: "emmy",
      },
    );
    await publish(partner, "algebraPrivate", { title: "Algebra drafts", visibility: "private" });
    const withdrawn = await publish(partner, "algebraWithdrawn", { title: "Algebra withdrawn" });
    // Withdrawn once delivered: its followers have it, its server no longer gives it.
    await eventually(() => searcher.node.services.catalog.catalogEntry(withdrawn));
    await partner.node.services.courses.withdraw(withdrawn.split("/").at(-1) ?? "");
    await publish(
      neighbour,
      "linearOld",
      { title: "Linear maps", summary: "<p>Some algebra in the summary</p>" },
      { release: "4.1" },
    );
    await publish(faraway, "geometry", { title: "Algebra and geometry far away" });
    // What followers receive arrives in the searcher's catalog.
    await eventually(() =>
      searcher.node.services.catalog.catalogEntry(objects.algebraPublic ?? ""),
    );

    const port = await freePort();
    fake = {
      origin: `http://127.0.0.1:${port}`,
      answer: async () => ({}),
      server: createServer((request, response) => {
        void fake.answer(fake.origin).then((body) => {
          if (body instanceof RawAnswer) {
            response.writeHead(200, { "content-type": body.type });
            response.end(body.text);
            return;
          }
          response.writeHead(200, { "content-type": "application/json" });
          response.end(JSON.stringify(body));
        });
        request.resume();
      }),
    };
    await new Promise<void>((resolve) => fake.server.listen(port, "127.0.0.1", resolve));
    // A node the searcher's institution follows.
    await recordAcceptedFollow(searcher, `${fake.origin}/actors/institution`);
  }, 120_000);

  afterAll(async () => {
    fake?.server.close();
    await Promise.all([searcher, partner, neighbour, faraway].map((peer) => peer?.stop()));
    rmSync(workDir, { recursive: true, force: true });
  });

  it("answers a signed request with the courses its server may see, and only those", async () => {
    // The searcher's institution follows partner's: the institution's and its teachers'
    // followers-only courses too.
    const response = await signedSearch(searcher, partner, "q=algebra");
    expect(response.status).toBe(200);
    const answer = (await response.json()) as NetworkSearchAnswer;
    expect(answer.node).toBe(partner.url.origin);
    expect(titles(answer.items).sort()).toEqual([
      "Algebra basics",
      "Algebra for partners",
      "Algebra seminar",
    ]);
    const basics = answer.items.find((item) => item.title === "Algebra basics");
    expect(basics).toMatchObject({
      object: objects.algebraPublic,
      url: objects.algebraPublic,
      summary: "<p>Groups and rings</p>",
      tags: ["maths"],
      license: "CC-BY-4.0",
      moodleBranch: "4.5",
      revision: 1,
      visibility: "public",
      teacher: null,
      institution: { actor: institutionOf(partner), name: "Partner University" },
    });
    expect(answer.items.find((item) => item.title === "Algebra seminar")?.teacher?.handle).toBe(
      `emmy@${partner.url.host}`,
    );
    // neighbour follows nobody on partner: public courses only.
    const outsider = (await (
      await signedSearch(neighbour, partner, "q=algebra")
    ).json()) as NetworkSearchAnswer;
    expect(titles(outsider.items)).toEqual(["Algebra basics"]);
    // partner follows faraway: its answer lists the server for a second hop.
    expect(answer.following).toEqual([faraway.url.origin]);
  });

  it("applies the catalog's filters, and pages with a cursor", async () => {
    const filtered = async (query: string) =>
      titles(
        ((await (await signedSearch(searcher, neighbour, query)).json()) as NetworkSearchAnswer)
          .items,
      );
    expect(await filtered("moodle=4.1")).toEqual(["Linear maps"]);
    expect(await filtered("moodle=4.0")).toEqual([]);
    expect(await filtered(`institution=${partner.url.host}`)).toEqual([]);
    expect(await filtered(`institution=${neighbour.url.host}&q=linear`)).toEqual(["Linear maps"]);
    const first = (await (
      await signedSearch(searcher, partner, "limit=2")
    ).json()) as NetworkSearchAnswer;
    expect(first.items).toHaveLength(2);
    expect(first.next).not.toBeNull();
    const second = (await (
      await signedSearch(searcher, partner, `limit=2&cursor=${first.next}`)
    ).json()) as NetworkSearchAnswer;
    expect(second.next).toBeNull();
    expect(titles([...first.items, ...second.items]).sort()).toEqual([
      "Algebra basics",
      "Algebra for partners",
      "Algebra seminar",
    ]);
    const refused = await signedSearch(searcher, partner, "moodle=latest");
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe(
      "invalid_query",
    );
  });

  it("refuses unsigned requests, unknown signers and servers its policy blocks", async () => {
    const unsigned = await fetch(new URL("/federation/search?q=algebra", partner.url));
    expect(unsigned.status).toBe(401);
    expect(((await unsigned.json()) as { error: { code: string } }).error.code).toBe(
      "signature_required",
    );
    // Signed with a key no actor publishes.
    const keys = await crypto.subtle.generateKey(
      {
        name: "RSASSA-PKCS1-v1_5",
        modulusLength: 2048,
        publicExponent: new Uint8Array([1, 0, 1]),
        hash: "SHA-256",
      },
      true,
      ["sign", "verify"],
    );
    const forged = await signRequest(
      new Request(new URL("/federation/search?q=algebra", partner.url)),
      keys.privateKey,
      new URL("/actors/nobody#main-key", searcher.url),
    );
    const unknown = await fetch(forged);
    expect(unknown.status).toBe(401);
    expect(((await unknown.json()) as { error: { code: string } }).error.code).toBe(
      "unknown_signer",
    );
    // Loopback nodes share a host name: an allowlist without it excludes every one of them.
    await partner.node.services.settings.update(
      { policy: { mode: "allowlist", domains: "univ.example" } },
      "test",
    );
    try {
      const blocked = await signedSearch(searcher, partner, "q=algebra");
      expect(blocked.status).toBe(403);
      expect(((await blocked.json()) as { error: { code: string } }).error.code).toBe(
        "not_federated",
      );
    } finally {
      await partner.node.services.settings.reset("policy");
    }
  });

  it("limits each server's searches, saying when to come back", async () => {
    for (let asked = 0; asked < 5; asked++) {
      expect((await signedSearch(neighbour, faraway, "q=geometry")).status).toBe(200);
    }
    const refused = await signedSearch(neighbour, faraway, "q=geometry");
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(Number(refused.headers.get("retry-after"))).toBeLessThanOrEqual(60);
    // Another server's quota is its own.
    expect((await signedSearch(partner, faraway, "q=geometry")).status).toBe(200);
  });

  it("merges the followed nodes' answers, ranked and marked, and drops a late node's", async () => {
    fake.answer = () => new Promise((resolve) => setTimeout(() => resolve({}), 5000));
    const started = Date.now();
    const result = await searchFromSearcher({ q: "algebra" }, 800);
    expect(Date.now() - started).toBeLessThan(2500);
    expect(result.late).toEqual([fake.origin]);
    expect(result.answered.sort()).toEqual([partner.url.origin, neighbour.url.origin].sort());
    expect(result.oneHop).toBe(false);
    // Title matches first; "Linear maps" holds the word in its summary only, though newest.
    expect(titles(result.items).at(-1)).toBe("Linear maps");
    expect(titles(result.items).slice(0, 3).sort()).toEqual([
      "Algebra basics",
      "Algebra for partners",
      "Algebra seminar",
    ]);
    const basics = result.items.find((item) => item.object === objects.algebraPublic);
    expect(basics).toMatchObject({ node: partner.url.origin, hop: 1, publisherFollowed: true });
    expect(basics?.inCatalog).toEqual({ revision: 1 });
    // The far node is one hop away: not asked while the admin has not turned it on.
    expect(titles(result.items)).not.toContain("Algebra and geometry far away");
  });

  it("drops what a node answers in another's name, and each course is listed once", async () => {
    const basics = (
      (await (await signedSearch(searcher, partner, "q=basics")).json()) as NetworkSearchAnswer
    ).items[0];
    fake.answer = async (origin) => ({
      node: origin,
      items: [
        { ...basics, title: "Algebra basics, better" },
        {
          ...basics,
          object: `${origin}/courses/own`,
          url: `${origin}/courses/own`,
          title: "Algebra of the fake node",
          institution: { actor: `${origin}/actors/institution`, name: "Fake", handle: null },
        },
        {
          ...basics,
          object: `${origin}/courses/own`,
          url: `${origin}/courses/own`,
          title: "Algebra of the fake node, again",
          institution: { actor: `${origin}/actors/institution`, name: "Fake", handle: null },
        },
        {
          ...basics,
          object: `${origin}/courses/unrelated`,
          title: "Cooking",
          summary: null,
          tags: [],
          institution: { actor: `${origin}/actors/institution`, name: "Fake", handle: null },
        },
      ],
      next: null,
      following: [],
    });
    const result = await searchFromSearcher({ q: "algebra" });
    expect(result.late).toEqual([]);
    const listed = titles(result.items);
    expect(listed).toContain("Algebra of the fake node");
    expect(listed).not.toContain("Algebra of the fake node, again");
    expect(listed).not.toContain("Algebra basics, better");
    expect(listed).not.toContain("Cooking");
    expect(result.items.filter((item) => item.object === objects.algebraPublic)).toHaveLength(1);
    const own = result.items.find((item) => item.title === "Algebra of the fake node");
    expect(own).toMatchObject({ inCatalog: null, publisherFollowed: true });
  });

  it("names a node that answers broken JSON, HTML or too much among the failed, saying what was wrong", async () => {
    const before = fake.answer;
    const ask = (answer: RawAnswer) => {
      fake.answer = async () => answer;
      return peerSearch(contextOf(searcher)).ask(
        fake.origin,
        { q: "algebra" },
        AbortSignal.timeout(5000),
      );
    };
    const host = new URL(fake.origin).host;
    const cases = [
      {
        answer: new RawAnswer("application/json", '{"node": "'),
        code: "NOT_JSON",
        says: "something that is not JSON",
      },
      {
        answer: new RawAnswer("text/html", "<html>Bad gateway</html>"),
        code: "WRONG_TYPE",
        says: "text/html",
      },
      {
        answer: new RawAnswer("application/json", `"${"x".repeat(1024 * 1024)}"`),
        code: "TOO_LARGE",
        says: "more than 1048576 bytes",
      },
      {
        answer: new RawAnswer("application/json", '{"node": 1}'),
        code: "WRONG_SHAPE",
        says: "something that is not a search answer",
      },
    ];
    for (const { answer, code, says } of cases) {
      const error = await ask(answer).catch((thrown: unknown) => thrown);
      expect(error).toBeInstanceOf(PeerDocumentError);
      expect(error).toMatchObject({ code });
      const result = await searchFromSearcher({ q: "algebra" });
      const failed = result.failed.find(({ node }) => node === fake.origin);
      expect(failed?.reason).toContain(`${host} answered ${says}`);
      expect(failed?.reason).toMatch(/try again later, and tell its administrators if it lasts\.$/);
      // The nodes that answered well are merged as ever.
      expect(result.answered.sort()).toEqual([partner.url.origin, neighbour.url.origin].sort());
    }
    fake.answer = before;
  });

  it("goes one hop further when the admin turns it on", async () => {
    fake.answer = async (origin) => ({ node: origin, items: [], next: null, following: [] });
    await searcher.node.services.settings.setNetworkSearchOneHop(true, "test");
    try {
      const result = await searchFromSearcher({ q: "geometry" });
      expect(result.oneHop).toBe(true);
      expect(result.answered).toContain(faraway.url.origin);
      expect(result.items).toHaveLength(1);
      expect(result.items[0]).toMatchObject({
        object: objects.geometry,
        node: faraway.url.origin,
        hop: 2,
        inCatalog: null,
        publisherFollowed: false,
      });
    } finally {
      await searcher.node.services.settings.setNetworkSearchOneHop(false, "test");
    }
  });

  it("is on the web: the catalog's network option, results with their marks and actions", async () => {
    const web = new WebClient(searcher.url);
    expect((await web.login("admin", searcher.node.initialAdminPassword as string)).status).toBe(
      303,
    );
    const catalog = await web.page("/catalog");
    expect(catalog.html).toContain('formaction="/catalog/network"');
    // The admin turns the second hop on in the console's settings.
    const settings = await web.page("/admin");
    expect(settings.html).toContain('action="/admin/settings/network-search"');
    expect((await web.post("/admin/settings/network-search", { oneHop: "on" })).status).toBe(303);
    expect(await searcher.node.services.settings.networkSearchOneHop()).toBe(true);
    try {
      const found = await web.page("/catalog/network?q=algebra");
      expect(found.status).toBe(200);
      expect(found.html).toContain("In the catalog (revision 1)");
      expect(found.html).toContain(
        `/catalog/course?object=${encodeURIComponent(objects.algebraPublic as string)}`,
      );
      // One hop further, a publisher nobody here follows: follow first.
      expect(found.html).toContain("One hop further");
      expect(found.html).toContain("Follow Faraway College");
      expect(found.html).toContain(`name="target" value="${institutionOf(faraway)}"`);
      const refused = await web.post("/catalog/network/catalog", {
        object: objects.geometry as string,
        institution: institutionOf(faraway),
      });
      expect(refused.status).toBe(409);
      expect(await refused.text()).toContain("follow");
      const french = await web.page("/catalog/network?q=algebra", { "accept-language": "fr" });
      expect(french.html).toContain("Chercher sur le réseau");
      expect(french.html).toContain("Dans le catalogue (révision 1)");
      const invalid = await web.page("/catalog/network?moodle=latest");
      expect(invalid.status).toBe(400);
      expect(invalid.html).toContain("major.minor");
    } finally {
      await web.page("/admin");
      await web.post("/admin/settings/network-search", {});
    }
    expect(await searcher.node.services.settings.networkSearchOneHop()).toBe(false);
    const audit = await searcher.node.db.select().from(searcher.node.db.tables.auditLog);
    expect(audit.filter((entry) => entry.action === "settings.network-search")).toHaveLength(2);
  });

  it("brings a result into the catalog only once its publisher is followed", async () => {
    const ctx = contextOf(searcher);
    const stores = { ...domainServices(ctx), catalogIntake: catalogIntake(ctx) };
    const geometry = objects.geometry as string;
    await expect(bringIntoCatalog(stores, geometry, institutionOf(faraway))).rejects.toMatchObject({
      code: "NOT_FOLLOWED",
    });
    expect(await searcher.node.services.catalog.catalogEntry(geometry)).toBeUndefined();
    // A follow accepted whose back-fill never ran (a restart cut it): the course is not
    // in the catalog, but may come in.
    const faraActor = institutionOf(faraway);
    await recordAcceptedFollow(searcher, faraActor);
    const kept = await bringIntoCatalog(stores, geometry, faraActor);
    expect(kept).toEqual({ objectUri: geometry, revision: 1, alreadyHeld: false });
    expect((await searcher.node.services.catalog.catalogEntry(geometry))?.title).toBe(
      "Algebra and geometry far away",
    );
    // A result the catalog holds is not fetched again.
    expect((await bringIntoCatalog(stores, geometry)).alreadyHeld).toBe(true);
    // Something that is not a course never enters.
    await expect(bringIntoCatalog(stores, faraActor, faraActor)).rejects.toMatchObject({
      code: "NOT_A_COURSE",
    });
  });

  it("is on the API: a search, and bringing a result in", async () => {
    const api = (path: string, init: RequestInit = {}) =>
      fetch(new URL(`/api/v1${path}`, searcher.url), {
        ...init,
        headers: {
          authorization: `Bearer ${searcher.token}`,
          "content-type": "application/json",
        },
      });
    const response = await api("/network-search?q=basics&budget=3000");
    expect(response.status).toBe(200);
    const body = (await response.json()) as { items: Array<{ object: string }>; budgetMs: number };
    expect(body.budgetMs).toBe(3000);
    expect(body.items.map((item) => item.object)).toContain(objects.algebraPublic);
    expect((await api("/network-search?moodle=latest")).status).toBe(400);
    const brought = await api("/network-search/catalog", {
      method: "POST",
      body: JSON.stringify({ object: objects.algebraPublic }),
    });
    expect(await brought.json()).toEqual({
      object: objects.algebraPublic,
      revision: 1,
      alreadyHeld: true,
    });
    const description = (await (
      await fetch(new URL("/api/openapi.json", searcher.url))
    ).json()) as {
      paths: Record<string, unknown>;
    };
    expect(Object.keys(description.paths)).toEqual(
      expect.arrayContaining([
        "/api/v1/network-search",
        "/api/v1/network-search/catalog",
        "/api/v1/settings/network-search",
      ]),
    );
  });

  it("is on the CLI: coursefed search-network, and --add", async () => {
    const found = await coursefed(
      searcher,
      "search-network",
      "--query",
      "geometry",
      "--budget",
      "3000",
    );
    expect(found.stderr).toBe("");
    expect(found.code).toBe(0);
    expect(found.stdout).toContain("Algebra and geometry far away");
    expect(found.stdout).toContain("in the catalog (revision 1)");
    const added = await coursefed(searcher, "search-network", "--add", objects.geometry as string);
    expect(added.code).toBe(0);
    expect(added.stdout).toContain("Already in the catalog (revision 1)");
    const refused = await coursefed(searcher, "search-network", "--moodle", "latest");
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("major.minor");
    const help = await coursefed(searcher, "search-network", "--help");
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("--budget <ms>");
  });
});
