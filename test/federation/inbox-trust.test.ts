import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { signObject } from "@fedify/fedify";
import {
  Announce,
  Create,
  Delete,
  Link,
  Page,
  type Recipient,
  Tombstone,
  Undo,
} from "@fedify/vocab";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { LocalActor } from "../../packages/node/src/actors/local-actors.ts";
import {
  editCourse,
  publishCourse,
  withdrawCourse,
} from "../../packages/node/src/courses/publish-service.ts";
import { courseObject, JWS_MEDIA_TYPE } from "../../packages/node/src/federation/course-object.ts";
import { domainServices } from "../../packages/node/src/federation/domain-services.ts";
import { inboxAttempts } from "../../packages/node/src/federation/inbox-retry.ts";
import { institutionSigner } from "../../packages/node/src/federation/signed-fetch.ts";
import { follow } from "../../packages/node/src/follows/follow-service.ts";
import { MBZ_MEDIA_TYPE } from "../../packages/node/src/manifests/course-manifest.ts";
import { Temporal } from "../../packages/node/src/temporal.ts";
import { eventually } from "../support/eventually.ts";
import { contextOf, followAndApprove, institutionOf } from "../support/federation-steps.ts";
import { fixture, haveFixtures } from "../support/shared-fixtures.ts";
import {
  freePort,
  startTestNode,
  TEST_INBOX_RETRY_SCHEDULE,
  type TestNode,
} from "../support/test-node.ts";

/** How many times a test node tries an incoming activity, the first included. */
const INBOX_ATTEMPTS = inboxAttempts(TEST_INBOX_RETRY_SCHEDULE);

/** The school follows univ and relay; outsider is followed by nobody. */
let univ: TestNode;
let school: TestNode;
let relay: TestNode;
let outsider: TestNode;

/** A server that is none of the nodes: counts what it is asked, answers 404. */
let thirdServer: Server;
const thirdServerPaths: string[] = [];
let thirdOrigin: string;

async function call(
  peer: TestNode,
  token: string,
  path: string,
  init: { method?: string; json?: unknown } = {},
) {
  const response = await fetch(new URL(`/api/v1${path}`, peer.url), {
    method: init.method ?? "GET",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: init.json === undefined ? null : JSON.stringify(init.json),
  });
  return {
    status: response.status,
    body: (await response.json().catch(() => ({}))) as Record<string, unknown>,
  };
}

/** Where `to`'s shared inbox is, as a recipient of an activity. */
function sharedInboxOf(to: TestNode): Recipient {
  return {
    id: new URL(institutionOf(to)),
    inboxId: new URL("/inbox", to.url),
    endpoints: null,
  };
}

/** Publishes a course on `peer` as `actor` and returns its object URI. */
async function publish(
  peer: TestNode,
  actor: LocalActor,
  title: string,
  options: { tags?: string[]; visibility?: "public" | "followers"; backup?: string } = {},
): Promise<string> {
  const { backup = "m26dev-zip-course-glossary-nousers.mbz", ...metadata } = options;
  const published = await publishCourse(domainServices(contextOf(peer)), actor, fixture(backup), {
    title,
    ...metadata,
  });
  return new URL(`/courses/${published.course.id}`, peer.url).href;
}

/**
 * The Create `peer`'s institution sent (or would send) its followers for a course, with
 * the integrity proof Fedify puts on it, as JSON: what anyone who saw it can post again.
 */
async function genuineCreate(peer: TestNode, objectUri: string): Promise<string> {
  const ctx = contextOf(peer);
  const id = objectUri.split("/").at(-1) as string;
  const course = await peer.node.services.courses.course(id);
  const revision = await peer.node.services.courses.latestRevision(id);
  if (!course || !revision) throw new Error(`no course ${objectUri}`);
  const object = await courseObject(ctx, course, revision, "institution");
  const create = new Create({
    id: new URL(`/courses/${id}/revisions/1/activity`, peer.url),
    actor: ctx.getActorUri("institution"),
    object,
    tos: object.toIds,
    ccs: object.ccIds,
  });
  // Both lists come from the same key pairs, in the same order.
  const pairs = await peer.node.services.actors.keyPairs(peer.node.institution);
  const published = await ctx.getActorKeyPairs("institution");
  const index = pairs.findIndex((pair) => pair.privateKey.algorithm.name === "Ed25519");
  const privateKey = pairs[index]?.privateKey;
  const keyId = published[index]?.multikey.id;
  if (!privateKey || !keyId) throw new Error("no Ed25519 key");
  const signed = await signObject(create, privateKey, keyId, {
    contextLoader: ctx.contextLoader,
    documentLoader: ctx.documentLoader,
  });
  return JSON.stringify(await signed.toJsonLd({ contextLoader: ctx.contextLoader }));
}

/** Posts an activity to `to`'s shared inbox, HTTP-signed by `signer`'s institution or not at all. */
async function postToInbox(to: TestNode, body: string, signer?: TestNode): Promise<number> {
  const request = new Request(new URL("/inbox", to.url), {
    method: "POST",
    headers: { "content-type": "application/activity+json" },
    body,
  });
  const response = await fetch(
    signer ? await (await institutionSigner(contextOf(signer)))(request) : request,
  );
  return response.status;
}

/**
 * Has `from`'s institution send the school a course of its own (followed by the school),
 * and waits until it is in the school's catalog: everything the school's inbox was given
 * before it has been handled by then, since the inbox takes one activity at a time.
 */
async function syncPoint(from: TestNode, title: string, tags: string[] = []): Promise<string> {
  const object = await publish(from, from.node.institution, title, { tags });
  await eventually(() => school.node.services.catalog.catalogEntry(object), 30_000);
  return object;
}

describe.runIf(haveFixtures())("what a node takes in from its inbox", () => {
  beforeAll(async () => {
    [univ, school, relay, outsider] = await Promise.all([
      startTestNode("univ"),
      startTestNode("school"),
      startTestNode("relay"),
      startTestNode("outsider"),
    ]);
    await followAndApprove(school, univ);
    await followAndApprove(school, relay);
    thirdServer = createServer((request, response) => {
      thirdServerPaths.push(request.url ?? "");
      response.writeHead(404).end();
    });
    const port = await freePort();
    // On every loopback address: it is also asked for as localhost, which may be ::1.
    await new Promise<void>((resolve) => thirdServer.listen(port, resolve));
    thirdOrigin = `http://127.0.0.1:${(thirdServer.address() as AddressInfo).port}`;
    // Every course tagged chemistry is restored at once on the school's (unreachable) site.
    const target = await school.node.services.moodleTargets.add({
      name: "lab",
      driver: "ws",
      url: `http://127.0.0.1:${await freePort()}`,
      token: "t",
      timeoutMs: 5000,
    });
    await school.node.services.restores.addRule({
      actorUri: null,
      tag: "chemistry",
      on: "both",
      targetId: target.id,
      categoryId: 1,
      mode: "new-course",
      createdBy: "test admin",
    });
  }, 60_000);
  afterAll(async () => {
    await new Promise((resolve) => thirdServer?.close(resolve));
    await Promise.all([univ, school, relay, outsider].map((peer) => peer?.stop()));
  });

  async function restoredObjects(): Promise<string[]> {
    const jobs = await school.node.services.restores.jobs({ limit: 100, offset: 0 });
    return jobs.map((job) => job.objectUri);
  }

  it("keeps out a genuine Create of a node nobody follows, unsigned, forwarded or sent by itself, and runs no rule on it", async () => {
    const unsolicited = await publish(outsider, outsider.node.institution, "Unasked chemistry", {
      tags: ["chemistry"],
    });
    const create = await genuineCreate(outsider, unsolicited);
    // Its integrity proof holds whoever posts it: unsigned, signed by a followed node, and
    // signed by the publisher itself.
    expect(await postToInbox(school, create)).toBe(202);
    expect(await postToInbox(school, create, relay)).toBe(202);
    expect(await postToInbox(school, create, outsider)).toBe(202);

    // The rule works on what comes from a followed node, and the school's inbox has handled
    // the three posts before that.
    const followed = await syncPoint(univ, "Followed chemistry", ["chemistry"]);
    await eventually(async () => (await restoredObjects()).includes(followed));
    expect(await school.node.services.catalog.catalogEntry(unsolicited)).toBeUndefined();
    expect(await restoredObjects()).not.toContain(unsolicited);
  });

  it("lets a followed node bring another's course by an Announce only, never under a Create", async () => {
    const others = await publish(outsider, outsider.node.institution, "Not relay's course");
    const ctx = contextOf(relay);
    // The genuine Create of the course's publisher, delivered by the followed relay.
    expect(await postToInbox(school, await genuineCreate(outsider, others), relay)).toBe(202);
    // The relay's own Create of a course attributed to the outsider.
    const outsiderCtx = contextOf(outsider);
    const id = others.split("/").at(-1) as string;
    const course = await outsider.node.services.courses.course(id);
    const revision = await outsider.node.services.courses.latestRevision(id);
    if (!course || !revision) throw new Error("not published");
    await ctx.sendActivity(
      { identifier: "institution" },
      sharedInboxOf(school),
      new Create({
        id: new URL(`/injected/${crypto.randomUUID()}`, relay.url),
        actor: ctx.getActorUri("institution"),
        object: await courseObject(outsiderCtx, course, revision, "institution"),
      }),
      { immediate: true },
    );
    await syncPoint(relay, "Relay's own course");
    expect(await school.node.services.catalog.catalogEntry(others)).toBeUndefined();

    // Boosted by the relay, the same course comes in, fetched from its publisher.
    await ctx.sendActivity(
      { identifier: "institution" },
      sharedInboxOf(school),
      new Announce({
        id: new URL(`/boosts/${crypto.randomUUID()}`, relay.url),
        actor: ctx.getActorUri("institution"),
        object: new URL(others),
      }),
      { immediate: true },
    );
    const entry = await eventually(() => school.node.services.catalog.catalogEntry(others));
    expect(entry.actorUri).toBe(institutionOf(outsider));
  });

  it("keeps a teacher's follower pending until the teacher approves, without followers-only courses meanwhile", async () => {
    const created = await call(univ, univ.token, "/teachers", {
      method: "POST",
      json: { handle: "marie", name: "Marie Curie" },
    });
    expect(created.status).toBe(201);
    const teacherToken = created.body.token as string;
    const teacherUri = created.body.actor as string;
    const marie = await univ.node.services.actors.byHandle("marie");
    if (!marie) throw new Error("no teacher");
    // An archive no public course shares: archives are served by digest.
    const partners = await publish(univ, marie, "For Marie's followers", {
      visibility: "followers",
      backup: "m285-zip-activity-quiz-nousers.mbz",
    });
    const course = await univ.node.services.courses.course(partners.split("/").at(-1) as string);
    const sha256 = (await univ.node.services.courses.latestRevision(course?.id as string))?.sha256;
    // The outsider, unlike the school, follows nobody at univ: a follower of univ's
    // institution reads its teachers' followers-only courses too.
    const asOutsider = await institutionSigner(contextOf(outsider));
    const signedGet = async (url: string | URL) =>
      (
        await fetch(
          await asOutsider(new Request(url, { headers: { accept: "application/activity+json" } })),
        )
      ).status;

    await follow(domainServices(contextOf(outsider)), outsider.node.institution, teacherUri);
    const request = await eventually(() =>
      univ.node.services.follows.follower(marie.id, institutionOf(outsider)),
    );
    expect(request.state).toBe("pending");
    expect(
      (await outsider.node.services.follows.following(outsider.node.institution.id, teacherUri))
        ?.state,
    ).toBe("pending");
    // The teacher sees the request; the institution's admin list for itself does not have it.
    const waiting = await call(univ, teacherToken, "/follow-requests");
    expect(waiting.body.items).toEqual([
      expect.objectContaining({ actor: institutionOf(outsider) }),
    ]);
    expect((await call(univ, univ.token, "/follow-requests")).body.items).toEqual([]);
    expect(await signedGet(partners)).not.toBe(200);
    expect(await signedGet(new URL(`/blobs/${sha256}`, univ.url))).not.toBe(200);
    expect(
      (
        await call(univ, teacherToken, "/follow-requests/accept?for=univ", {
          method: "POST",
          json: { actor: institutionOf(outsider) },
        })
      ).status,
    ).toBe(403);

    expect(
      (
        await call(univ, teacherToken, "/follow-requests/accept", {
          method: "POST",
          json: { actor: institutionOf(outsider) },
        })
      ).status,
    ).toBe(204);
    await eventually(
      async () =>
        (await outsider.node.services.follows.following(outsider.node.institution.id, teacherUri))
          ?.state === "accepted",
    );
    expect(await signedGet(partners)).toBe(200);
    expect(await signedGet(new URL(`/blobs/${sha256}`, univ.url))).toBe(200);
  });

  it("drops a teacher's withdrawn or hidden course from the catalogs of the institution's followers, and hears no third server on it", async () => {
    const ada = await univ.node.services.actors.createTeacher("ada", "Ada Lovelace");
    const announced = await publish(univ, ada, "Ada's announced course");
    // The school follows the institution only: the course came announced.
    await eventually(() => school.node.services.catalog.catalogEntry(announced));
    const adaUri = new URL(`/actors/${ada.identifier}`, univ.url).href;
    expect(
      await school.node.services.follows.following(school.node.institution.id, adaUri),
    ).toBeUndefined();

    // A Delete of it from another server is not heard, even from a node the school follows.
    const relayCtx = contextOf(relay);
    await relayCtx.sendActivity(
      { identifier: "institution" },
      sharedInboxOf(school),
      new Delete({
        id: new URL(`/deletes/${crypto.randomUUID()}`, relay.url),
        actor: relayCtx.getActorUri("institution"),
        object: new Tombstone({ id: new URL(announced), deleted: Temporal.Now.instant() }),
      }),
      { immediate: true },
    );
    await syncPoint(relay, "After the relay's Delete");
    expect((await school.node.services.catalog.catalogEntry(announced))?.deletedAt).toBeNull();

    await withdrawCourse(
      domainServices(contextOf(univ)),
      ada,
      announced.split("/").at(-1) as string,
    );
    await eventually(
      async () => (await school.node.services.catalog.catalogEntry(announced))?.deletedAt,
    );

    // Made private, another of her courses leaves those catalogs the same way.
    const hidden = await publish(univ, ada, "Ada's course made private");
    await eventually(() => school.node.services.catalog.catalogEntry(hidden));
    await editCourse(
      domainServices(contextOf(univ)),
      { actorId: ada.id, mayEditAny: false },
      hidden.split("/").at(-1) as string,
      { visibility: "private" },
    );
    await eventually(
      async () => (await school.node.services.catalog.catalogEntry(hidden))?.deletedAt,
    );
  });

  it("logs a failing activity once per attempt, stops after the bounded retries, and asks no third server", async () => {
    const log = vi.spyOn(console, "error");
    try {
      const ctx = contextOf(relay);
      const relayActor = ctx.getActorUri("institution");
      const courseOn = (origin: string) => {
        const id = new URL(`/courses/${crypto.randomUUID()}`, origin);
        return new Page({
          id,
          attribution: relayActor,
          name: "Nowhere to be found",
          attachments: [
            new Link({ href: new URL("/blobs/0", relay.url), mediaType: MBZ_MEDIA_TYPE }),
            // A manifest the relay does not have: fetching it fails every time.
            new Link({
              href: new URL(`${id.pathname}/manifest`, relay.url),
              mediaType: JWS_MEDIA_TYPE,
            }),
          ],
        });
      };
      // An object that claims to live on a third server: not fetched from there.
      const elsewhere = new Create({
        id: new URL(`/creates/${crypto.randomUUID()}`, relay.url),
        actor: relayActor,
        object: courseOn(thirdOrigin),
      });
      // The relay's own object, whose manifest is missing: handling it fails.
      const failing = new Create({
        id: new URL(`/creates/${crypto.randomUUID()}`, relay.url),
        actor: relayActor,
        object: courseOn(relay.url.origin),
      });
      // An Undo of a Follow said to be on a third server: not fetched from there either.
      const undoElsewhere = new Undo({
        id: new URL(`/undos/${crypto.randomUUID()}`, relay.url),
        actor: relayActor,
        object: new URL(`${thirdOrigin}/follows/1`),
      });
      // A boost of a course on a server the school's policy excludes: not fetched.
      await school.node.services.settings.update(
        { policy: { mode: "blocklist", domains: "localhost" } },
        "test admin",
      );
      const boostOfBlocked = new Announce({
        id: new URL(`/boosts/${crypto.randomUUID()}`, relay.url),
        actor: relayActor,
        object: new URL(`/courses/blocked`, thirdOrigin.replace("127.0.0.1", "localhost")),
      });
      for (const activity of [elsewhere, undoElsewhere, boostOfBlocked, failing]) {
        await ctx.sendActivity({ identifier: "institution" }, sharedInboxOf(school), activity, {
          immediate: true,
        });
      }
      const failures = () =>
        log.mock.calls
          .map(([line]) => String(line))
          .filter((line) => line.includes(failing.id?.href as string));
      await eventually(() => failures().length >= INBOX_ATTEMPTS, 60_000);
      // Past the longest wait between the last two attempts: no attempt after the last.
      await new Promise((resolve) => setTimeout(resolve, 10_000));
      expect(failures()).toHaveLength(INBOX_ATTEMPTS);
      for (const [index, line] of failures().entries()) {
        expect(line).toContain(`from ${relayActor.href}`);
        expect(line).toContain(`(attempt ${index + 1} of ${INBOX_ATTEMPTS})`);
        expect(line).toMatch(/manifest .* answered 404/);
      }
      expect(failures().at(-1)).toMatch(/; dropped$/);
      expect(thirdServerPaths).toEqual([]);
    } finally {
      log.mockRestore();
      await school.node.services.settings.reset("policy");
    }
  }, 90_000);
});
