import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  Accept,
  Announce,
  Article,
  Create,
  Delete,
  digest,
  Follow,
  Move,
  Note,
  OrderedCollection,
  Person,
  PUBLIC_COLLECTION,
  parseNodeInfo,
  traverseCollection,
  Undo,
} from "fedify1";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { LocalActor } from "../../packages/node/src/actors/local-actors.ts";
import { publishCourse } from "../../packages/node/src/courses/publish-service.ts";
import { domainServices } from "../../packages/node/src/federation/domain-services.ts";
import { answerFollow, follow } from "../../packages/node/src/follows/follow-service.ts";
import { eventually } from "../support/eventually.ts";
import {
  contextOf,
  inboxSyncFlag,
  institutionOf,
  writeOnePageBackup,
} from "../support/federation-steps.ts";
import { startTestNode, type TestNode } from "../support/test-node.ts";
import { type Fedify1Peer, startFedify1Peer } from "./fedify1-peer.ts";

const AS = "https://www.w3.org/ns/activitystreams";

let node: TestNode;
let peer: Fedify1Peer;
let workDir: string;
let backup: string;
let teacher: LocalActor;
let institution: string;
let sharedInbox: URL;
/** What the node logged on console.warn/info/error while the file ran. */
const logged: { warn: string[]; info: string[]; error: string[] } = {
  warn: [],
  info: [],
  error: [],
};

const teacherUri = () => new URL(`/actors/${teacher.identifier}`, node.url).href;
const follows = () => node.node.services.follows;

/** The node's institution follows the peer's actor `identifier` (which accepts at once). */
async function nodeFollows(identifier: string): Promise<void> {
  await follow(
    domainServices(contextOf(node)),
    node.node.institution,
    peer.actorUri(identifier).href,
  );
  await eventually(
    async () =>
      (await follows().following(node.node.institution.id, peer.actorUri(identifier).href))
        ?.state === "accepted",
  );
}

/** The peer's reader follows `actor` on the node, and the node accepts as `local`. */
async function readerFollows(actor: string, local: LocalActor): Promise<Follow> {
  const request = await peer.follow(actor);
  await eventually(() => follows().follower(local.id, peer.actorId.href));
  await answerFollow(domainServices(contextOf(node)), local, peer.actorId.href, "accepted");
  await eventually(() =>
    peer.received.find(
      ({ activity }) => activity instanceof Accept && activity.objectId?.href === request.id?.href,
    ),
  );
  return request;
}

function receivedOf<T>(type: abstract new (...args: never[]) => T): T[] {
  return peer.received.flatMap(({ activity }) => (activity instanceof type ? [activity] : []));
}

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), "coursefed-interop-actors-"));
  backup = await writeOnePageBackup(workDir);
  [node, peer] = await Promise.all([
    startTestNode("univ", "University"),
    startFedify1Peer({ signsWith: "rfc9421", acceptsRfc9421: true }),
  ]);
  for (const level of ["warn", "info", "error"] as const) {
    vi.spyOn(console, level).mockImplementation((...args: unknown[]) => {
      logged[level].push(args.map(String).join(" "));
    });
  }
  institution = institutionOf(node);
  sharedInbox = new URL("/inbox", node.url);
  teacher = await node.node.services.actors.createTeacher("tina", "Tina");
}, 60_000);
afterAll(async () => {
  vi.restoreAllMocks();
  await Promise.all([node?.stop(), peer?.stop()]);
  await rm(workDir, { recursive: true, force: true });
});

describe("a coursefed node seen from a Fedify 1.x server", () => {
  it("resolves the institution and a teacher by WebFinger, and reads NodeInfo", async () => {
    for (const [handle, expected] of [
      ["univ", institution],
      ["tina", teacherUri()],
    ]) {
      const url = new URL("/.well-known/webfinger", node.url);
      url.searchParams.set("resource", `acct:${handle}@${node.url.host}`);
      const jrd = (await (await fetch(url)).json()) as {
        subject: string;
        links: Array<{ rel: string; type?: string; href?: string }>;
      };
      expect(jrd.subject).toBe(`acct:${handle}@${node.url.host}`);
      const self = jrd.links.find((link) => link.rel === "self");
      expect(self).toEqual({ rel: "self", type: "application/activity+json", href: expected });
      const actor = await peer.lookup(self?.href as string);
      expect(actor?.id?.href).toBe(expected);
    }
    // Fedify 1.x's getNodeInfo fetches public addresses only: the same steps by hand.
    const links = (await (await fetch(new URL("/.well-known/nodeinfo", node.url))).json()) as {
      links: Array<{ rel: string; href: string }>;
    };
    const href = links.links.find((link) => link.rel.endsWith("/schema/2.1"))?.href as string;
    const info = parseNodeInfo(await (await fetch(href)).json(), { tryBestEffort: false });
    expect(info?.software.name).toBe("coursefed");
    expect(info?.usage.users).toMatchObject({ total: 2, activeMonth: 0, activeHalfyear: 0 });
  });

  it("follows a teacher, reads it as a Person, and gets its course and the institution's Announce", async () => {
    await readerFollows(teacherUri(), teacher);
    await readerFollows(institution, node.node.institution);
    const person = await peer.lookup(teacherUri());
    expect(person).toBeInstanceOf(Person);
    if (!(person instanceof Person)) return;
    expect(person.url).toEqual(new URL(teacherUri()));
    expect(person.followingId?.href).toBe(`${teacherUri()}/following`);
    expect(person.iconId).toBeNull();
    const followers = await person.getFollowers({ documentLoader: await peer.documentLoader() });
    expect(followers?.totalItems).toBe(1);

    const published = await publishCourse(domainServices(contextOf(node)), teacher, backup, {
      title: "Tina's fractions",
    });
    const object = new URL(`/courses/${published.course.id}`, node.url).href;
    const create = await eventually(() =>
      receivedOf(Create).find((activity) => activity.objectId?.href === object),
    );
    expect(create.actorId?.href).toBe(teacherUri());
    const announce = await eventually(() =>
      receivedOf(Announce).find((activity) => activity.objectId?.href === object),
    );
    expect(announce.actorId?.href).toBe(institution);
    // A client that takes anything (a link preview, curl) gets the course's page, not a 406.
    const anything = await fetch(object, { headers: { accept: "*/*" } });
    expect(anything.status).toBe(200);
    expect(anything.headers.get("content-type")).toContain("text/html");
    expect(announce.toIds.map(String)).toEqual([PUBLIC_COLLECTION.href]);
  });

  it("reads a followers-only course signed, is told which of its actors follow (FEP-8fcf), and cannot read it unsigned", async () => {
    const published = await publishCourse(domainServices(contextOf(node)), teacher, backup, {
      title: "Tina's answers",
      visibility: "followers",
    });
    const object = new URL(`/courses/${published.course.id}`, node.url).href;
    await eventually(() =>
      receivedOf(Create).find((activity) => activity.objectId?.href === object),
    );
    // Read with the peer's signed fetch, as a follower's server does.
    expect((await peer.lookup(object))?.id?.href).toBe(object);
    const anonymous = await fetch(object, { headers: { accept: "application/activity+json" } });
    expect(anonymous.status).toBeGreaterThanOrEqual(400);

    const delivery = peer.rawIn.find((raw) => raw.body.includes(`"${object}"`));
    // FEP-8b32: what we send carries an Object Integrity Proof by the teacher's Ed25519 key.
    const proof = (JSON.parse(delivery?.body ?? "{}") as { proof?: Record<string, unknown> }).proof;
    expect(proof).toMatchObject({
      type: "DataIntegrityProof",
      cryptosuite: "eddsa-jcs-2022",
      verificationMethod: expect.stringContaining(teacherUri()),
    });
    const header = delivery?.headers.get("collection-synchronization") ?? "";
    const parameters = Object.fromEntries(
      [...header.matchAll(/(\w+)="([^"]*)"/g)].map((match) => [match[1], match[2]]),
    );
    expect(parameters.collectionId).toBe(`${teacherUri()}/followers`);
    expect(new URL(parameters.url as string).searchParams.get("base-url")).toBe(
      `${peer.url.origin}/`,
    );
    expect(parameters.digest).toBe(Buffer.from(await digest([peer.actorId])).toString("hex"));
    const documentLoader = await peer.documentLoader();
    const partial = await peer.lookup(parameters.url as string);
    expect(partial).toBeInstanceOf(OrderedCollection);
    const listed: string[] = [];
    for await (const item of traverseCollection(partial as OrderedCollection, {
      documentLoader,
    })) {
      listed.push(item.id?.href ?? "");
    }
    expect(listed).toEqual([peer.actorId.href]);
    // A public course's delivery carries no such header, as Mastodon's public posts.
    const publicDelivery = peer.rawIn.find((raw) => raw.body.includes("Tina's fractions"));
    expect(publicDelivery?.headers.has("collection-synchronization")).toBe(false);
  });

  it("has what it sends checked: the Follow repeated with the same id is handled once", async () => {
    const repeated = await peer.follow(institution);
    const accepts = () =>
      receivedOf(Accept).filter((accept) => accept.objectId?.href === repeated.id?.href);
    // Followed before, so accepted at once, once.
    await eventually(() => accepts().length === 1);
    const body = JSON.stringify(await repeated.toJsonLd({ format: "compact" }));
    expect((await peer.post(sharedInbox, body, "reader")).status).toBe(202);
    // A later Follow, accepted at once too: the inbox takes the repeat first (one activity
    // at a time, in order), and an Accept the repeat caused would be delivered before this
    // one's, queued in the same line (same subject, same inbox).
    const later = await peer.follow(institution);
    await eventually(() =>
      receivedOf(Accept).some((accept) => accept.objectId?.href === later.id?.href),
    );
    expect(accepts()).toHaveLength(1);
  });
});

describe("a coursefed node following a Fedify 1.x server", () => {
  beforeAll(async () => {
    peer.addActor("author");
    await nodeFollows("author");
  });

  it("lists whom it follows, and ignores the Note and the Article it is sent, without an error", async () => {
    const following = await peer.lookup(`${institution}/following`);
    expect(following).toBeInstanceOf(OrderedCollection);
    const items: string[] = [];
    for await (const item of traverseCollection(following as OrderedCollection, {
      documentLoader: await peer.documentLoader(),
    })) {
      items.push(item.id?.href ?? "");
    }
    expect(items).toEqual([peer.actorUri("author").href]);

    const author = peer.actorUri("author");
    for (const [type, object] of [
      ["note", new Note({ id: new URL(`${author.href}/notes/1`), content: "Hello" })],
      ["article", new Article({ id: new URL(`${author.href}/articles/1`), name: "Essay" })],
    ] as const) {
      await peer.send(
        "author",
        new Create({
          id: new URL(`${author.href}/${type}/create`),
          actor: author,
          object,
          to: PUBLIC_COLLECTION,
        }),
        { id: new URL(institution), inboxId: sharedInbox, endpoints: null },
      );
    }
    // Handled once a later activity is: the node's inbox takes them one at a time, in order.
    const sync = inboxSyncFlag(author);
    const syncBody = JSON.stringify(await sync.toJsonLd({ format: "compact" }));
    expect((await peer.post(sharedInbox, syncBody, "author")).status).toBe(202);
    await eventually(() => logged.warn.some((line) => line.includes(sync.id?.href ?? "?")));
    expect(await node.node.services.catalog.searchCatalog({ limit: 10, offset: 0 })).toMatchObject({
      total: 0,
    });
    expect(logged.error).toEqual([]);
  });

  it("answers malformed activities with a 4xx, never a 500, and keeps nothing of them", async () => {
    const author = peer.actorUri("author").href;
    const bodies = {
      "not JSON": "{ not json",
      "a context that cannot be loaded": JSON.stringify({
        "@context": "https://contexts.invalid/none.jsonld",
        id: `${author}/bad-context`,
        type: "Create",
        actor: author,
        object: { type: "Note", content: "x" },
      }),
      "no actor": JSON.stringify({
        "@context": AS,
        id: `${author}/no-actor`,
        type: "Create",
        object: { id: `${author}/notes/2`, type: "Note", content: "x" },
      }),
      "an object of the wrong type": JSON.stringify({
        "@context": AS,
        id: `${author}/wrong-type`,
        type: "Create",
        actor: author,
        object: 42,
      }),
      "a type no one knows": JSON.stringify({
        "@context": AS,
        id: `${author}/unknown-type`,
        type: "Frobnicate",
        actor: author,
      }),
    };
    for (const [what, body] of Object.entries(bodies)) {
      const response = await peer.post(sharedInbox, body, "author");
      expect(response.status, what).toBeLessThan(500);
    }
    expect((await peer.post(sharedInbox, bodies["not JSON"], "author")).status).toBe(400);
    expect(
      (await peer.post(sharedInbox, bodies["a context that cannot be loaded"], "author")).status,
    ).toBe(400);
    expect(await node.node.services.catalog.searchCatalog({ limit: 10, offset: 0 })).toMatchObject({
      total: 0,
    });
  });

  it("follows an actor that moved to its new account, once the new one names the old", async () => {
    const old = peer.addActor("old");
    const moved = peer.addActor("moved", [old]);
    await nodeFollows("old");
    await peer.send(
      "old",
      new Move({ id: new URL(`${old.href}/move`), actor: old, object: old, target: moved }),
      { id: new URL(institution), inboxId: sharedInbox, endpoints: null },
    );
    await eventually(
      async () =>
        (await follows().following(node.node.institution.id, moved.href))?.state === "accepted",
    );
    expect(await follows().following(node.node.institution.id, old.href)).toBeUndefined();
    await eventually(() =>
      peer.received.find(
        ({ activity }) => activity instanceof Undo && activity.actorId?.href === institution,
      ),
    );
  });

  it("refuses a Move without alsoKnownAs, one signed by someone else and one to a blocked server", async () => {
    const old = peer.addActor("staying");
    const stray = peer.addActor("stray");
    await nodeFollows("staying");
    const inbox = { id: new URL(institution), inboxId: sharedInbox, endpoints: null };
    const move = (id: string, target: URL) =>
      new Move({ id: new URL(`${old.href}/${id}`), actor: old, object: old, target });

    await peer.send("staying", move("to-stray", stray), inbox);
    await eventually(() => logged.warn.find((line) => line.includes(`${old.href}/to-stray`)));
    expect(logged.warn.find((line) => line.includes(`${old.href}/to-stray`))).toMatch(
      /does not name .* in alsoKnownAs/,
    );

    const forged = JSON.stringify(await move("forged", stray).toJsonLd({ format: "compact" }));
    expect((await peer.post(sharedInbox, forged, "reader")).status).toBe(401);

    await node.node.services.settings.update(
      { policy: { mode: "blocklist", domains: "blocked.example" } },
      "test",
    );
    try {
      await peer.send("staying", move("to-blocked", new URL("https://blocked.example/u")), inbox);
      await eventually(() => logged.warn.find((line) => line.includes(`${old.href}/to-blocked`)));
      expect(logged.warn.find((line) => line.includes(`${old.href}/to-blocked`))).toMatch(
        /does not federate with/,
      );
    } finally {
      await node.node.services.settings.reset("policy");
    }
    expect(await follows().following(node.node.institution.id, old.href)).toMatchObject({
      state: "accepted",
    });
    expect(await follows().following(node.node.institution.id, stray.href)).toBeUndefined();
  });

  it("forgets an actor that deleted itself, both ways", async () => {
    const leaver = peer.addActor("leaver");
    await nodeFollows("leaver");
    await peer.send(
      "leaver",
      new Follow({
        id: new URL(`${leaver.href}/follows/1`),
        actor: leaver,
        object: new URL(institution),
      }),
      { id: new URL(institution), inboxId: sharedInbox, endpoints: null },
    );
    await eventually(() => follows().follower(node.node.institution.id, leaver.href));
    await peer.send(
      "leaver",
      new Delete({ id: new URL(`${leaver.href}#delete`), actor: leaver, object: leaver }),
      { id: new URL(institution), inboxId: sharedInbox, endpoints: null },
    );
    await eventually(
      async () =>
        (await follows().following(node.node.institution.id, leaver.href)) === undefined &&
        (await follows().follower(node.node.institution.id, leaver.href)) === undefined,
    );
  });

  it("drops a follow the followed server no longer counts, when its followers-only activity says so (FEP-8fcf)", async () => {
    const author = peer.actorUri("author");
    await follow(domainServices(contextOf(node)), teacher, author.href);
    await eventually(
      async () => (await follows().following(teacher.id, author.href))?.state === "accepted",
    );
    // The peer lost tina's follow; the node still counts it.
    peer.dropFollower("author", new URL(teacherUri()));
    await peer.send(
      "author",
      new Create({
        id: new URL(`${author.href}/notes/3/create`),
        actor: author,
        object: new Note({ id: new URL(`${author.href}/notes/3`), content: "followers only" }),
        to: new URL(`${author.href}/followers`),
      }),
      "followers",
      { syncCollection: true },
    );
    await eventually(
      async () => (await follows().following(teacher.id, author.href)) === undefined,
    );
    expect(await follows().following(node.node.institution.id, author.href)).toMatchObject({
      state: "accepted",
    });
  });
});
