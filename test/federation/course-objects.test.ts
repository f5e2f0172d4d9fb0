import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { LocalActor } from "../../packages/node/src/actors/local-actors.ts";
import {
  editCourse,
  publishCourse,
  withdrawCourse,
} from "../../packages/node/src/courses/publish-service.ts";
import {
  authoredActivityJson,
  courseActivityIds,
  wireActivity,
} from "../../packages/node/src/federation/course-activities.ts";
import { courseJson, type WireJson } from "../../packages/node/src/federation/course-object.ts";
import { sha256DigestMultibase } from "../../packages/node/src/federation/digest-multibase.ts";
import { domainServices } from "../../packages/node/src/federation/domain-services.ts";
import { answerId } from "../../packages/node/src/federation/follow-activities.ts";
import { eventually } from "../support/eventually.ts";
import { contextOf, followAndApprove, institutionOf } from "../support/federation-steps.ts";
import { FEDIVERSE_READERS } from "../support/fediverse-readers.ts";
import { fixture, haveFixtures } from "../support/shared-fixtures.ts";
import { startTestNode, type TestNode } from "../support/test-node.ts";

const PUBLIC = "https://www.w3.org/ns/activitystreams#Public";
const AP = { accept: "application/activity+json" };

/** univ publishes; school's institution follows univ's institution only; outsider is no one's. */
let univ: TestNode;
let school: TestNode;
let outsider: TestNode;
let marie: LocalActor;

/** Another server's follower of univ's institution: keeps every activity posted to it. */
let capture: Server;
const captured: WireJson[] = [];

function capturedActivity(type: string, objectId: string): WireJson | undefined {
  return captured.find(
    (activity) =>
      activity.type === type &&
      ((activity.object as WireJson | undefined)?.id === objectId || activity.object === objectId),
  );
}

async function publish(
  peer: TestNode,
  actor: LocalActor,
  title: string,
  options: {
    summary?: string;
    tags?: string[];
    visibility?: "public" | "followers";
    backup?: string;
  } = {},
): Promise<{ id: string; uri: string; sha256: string }> {
  const { backup = "m26dev-zip-course-glossary-nousers.mbz", ...metadata } = options;
  const published = await publishCourse(domainServices(contextOf(peer)), actor, fixture(backup), {
    title,
    ...metadata,
  });
  const id = published.course.id;
  return { id, uri: new URL(`/courses/${id}`, peer.url).href, sha256: published.report.sha256 };
}

async function getJson(url: string | URL, headers: Record<string, string> = AP): Promise<WireJson> {
  const response = await fetch(url, { headers });
  expect(response.status, String(url)).toBe(200);
  return (await response.json()) as WireJson;
}

function withoutContext(json: WireJson): WireJson {
  const { "@context": _context, ...rest } = json;
  return rest;
}

/** The activity of univ's institution outbox that carries `objectId`, from its first page. */
async function outboxItem(actor: string, objectId: string): Promise<WireJson | undefined> {
  const outbox = await getJson(`${actor}/outbox`);
  const first = await getJson(String(outbox.first));
  return (first.orderedItems as WireJson[]).find(
    (item) => (item.object as WireJson | undefined)?.id === objectId,
  );
}

describe.runIf(haveFixtures())("course objects as others read them", () => {
  beforeAll(async () => {
    [univ, school, outsider] = await Promise.all([
      startTestNode("univ", "University"),
      startTestNode("school", "School"),
      startTestNode("outsider", "Outsider"),
    ]);
    marie = await univ.node.services.actors.createTeacher("marie", "Marie Curie");
    await followAndApprove(school, univ);
    capture = createServer((request, response) => {
      let body = "";
      request.on("data", (chunk: Buffer) => {
        body += chunk.toString("utf8");
      });
      request.on("end", () => {
        if (request.method === "POST") captured.push(JSON.parse(body) as WireJson);
        response.writeHead(202).end();
      });
    });
    await new Promise<void>((resolve) => capture.listen(0, "127.0.0.1", resolve));
    const origin = `http://127.0.0.1:${(capture.address() as AddressInfo).port}`;
    const follower = `${origin}/actor`;
    const follows = univ.node.services.follows;
    await follows.rememberActor({
      uri: follower,
      handle: "reader@elsewhere.example",
      type: "Person",
      name: "A plain-JSON reader",
      inbox: `${origin}/inbox`,
      sharedInbox: null,
    });
    await follows.requestFollow(univ.node.institution.id, follower, `${origin}/follow`, "accepted");
    // Four more followers on as many inboxes: enough for Fedify to fan the delivery out
    // through its queue, which must still send our JSON, not its own reading of it.
    for (const number of [1, 2, 3, 4]) {
      const uri = `${origin}/actors/${number}`;
      await follows.rememberActor({
        uri,
        handle: `reader${number}@elsewhere.example`,
        type: "Person",
        name: `Reader ${number}`,
        inbox: `${origin}/actors/${number}/inbox`,
        sharedInbox: null,
      });
      await follows.requestFollow(univ.node.institution.id, uri, `${uri}/follow`, "accepted");
    }
  }, 60_000);
  afterAll(async () => {
    await new Promise((resolve) => capture?.close(resolve));
    await Promise.all([univ, school, outsider].map((peer) => peer?.stop()));
  });

  it("serves a course fetched, delivered, in the outbox and announced as the same JSON, full Public IRI and Hashtag tags", async () => {
    const own = await publish(univ, univ.node.institution, "Chemistry <b>basics</b>", {
      summary: "Atoms & molecules.\n\nA second paragraph.",
      tags: ["chemistry", "Lab"],
    });
    const taught = await publish(univ, marie, "Radioactivity", { tags: ["physics"] });
    const create = await eventually(() => capturedActivity("Create", own.uri), 30_000);
    const announce = await eventually(() => capturedActivity("Announce", taught.uri), 30_000);

    const fetched = withoutContext(await getJson(own.uri));
    expect(create.object).toEqual(fetched);
    expect((await outboxItem(institutionOf(univ), own.uri))?.object).toEqual(fetched);
    const fetchedTaught = withoutContext(await getJson(taught.uri));
    expect(announce.object).toEqual(fetchedTaught);
    expect((await outboxItem(institutionOf(univ), taught.uri))?.object).toEqual(fetchedTaught);

    // What a plain-JSON reader looks for, written out.
    expect(fetched.to).toEqual([PUBLIC]);
    expect(JSON.stringify(fetched)).not.toContain('"as:');
    expect(fetched.tag).toEqual([
      { type: "Hashtag", href: new URL("/tags/chemistry", univ.url).href, name: "#chemistry" },
      { type: "Hashtag", href: new URL("/tags/Lab", univ.url).href, name: "#Lab" },
    ]);
    // The tag's href: a collection of its courses for ActivityPub, its page for browsers.
    expect(await getJson(new URL("/tags/chemistry", univ.url))).toMatchObject({
      type: "OrderedCollection",
      orderedItems: [own.uri],
    });
    const tagPage = await fetch(new URL("/tags/chemistry", univ.url), {
      headers: { accept: "text/html" },
    });
    expect(tagPage.headers.get("content-type")).toContain("text/html");
    // The activities' ids resolve to them.
    expect(await getJson(String(create.id))).toMatchObject({ type: "Create", object: fetched });
    expect(await getJson(String(announce.id))).toMatchObject({
      type: "Announce",
      object: fetchedTaught,
    });
    // FEP-1311 on the archive link, beside what coursefed peers read.
    expect(fetched.attachment).toContainEqual(
      expect.objectContaining({
        type: "Link",
        href: new URL(`/blobs/${own.sha256}`, univ.url).href,
        mediaType: "application/vnd.moodle.backup",
        name: "Chemistry <b>basics</b>",
        digestMultibase: sha256DigestMultibase(own.sha256),
        size: expect.any(Number),
      }),
    );
  });

  it("shows title, plain summary, hashtags and page link in Mastodon, Misskey, GoToSocial and Pleroma, with no content warning or media", async () => {
    const course = await publish(univ, univ.node.institution, "Organic <i>chemistry</i>", {
      summary: "Carbon, and what it makes.",
      tags: ["organic", "Chemistry"],
    });
    const json = withoutContext(await getJson(course.uri));
    for (const [family, reads] of Object.entries(FEDIVERSE_READERS)) {
      const post = reads(json);
      expect(post, family).toBeDefined();
      if (!post) continue;
      const { words } = post;
      expect(post.contentWarning, family).toBe("");
      // The title once, as text: markup in it is shown as typed, not applied or doubled.
      expect(words.split("Organic <i>chemistry</i>").length - 1, family).toBe(1);
      expect(words, family).toContain("Carbon, and what it makes.");
      expect(words, family).toMatch(/Moodle course backup, revision 1: .+, Moodle \d/);
      expect(words, family).toContain(course.uri);
      expect(post.hashtags, family).toEqual(["organic", "chemistry"]);
      expect(post.mediaUrls, family).toEqual([]);
    }
  });

  it("sends a teacher's edit as an Update to the institution's followers too, which a coursefed follower of the institution takes", async () => {
    const course = await publish(univ, marie, "Optics", { tags: ["physics"] });
    await eventually(() => school.node.services.catalog.catalogEntry(course.uri), 30_000);
    await eventually(() => capturedActivity("Announce", course.uri), 30_000);
    const announces = () => captured.filter((each) => each.type === "Announce").length;
    const before = announces();
    await editCourse(
      domainServices(contextOf(univ)),
      { actorId: marie.id, mayEditAny: false },
      course.id,
      { title: "Optics and light" },
    );
    const update = await eventually(() => capturedActivity("Update", course.uri), 30_000);
    expect(update).toMatchObject({
      actor: new URL(`/actors/${marie.identifier}`, univ.url).href,
      audience: institutionOf(univ),
      object: {
        id: course.uri,
        attributedTo: new URL(`/actors/${marie.identifier}`, univ.url).href,
      },
    });
    // Its id resolves to it.
    expect(await getJson(String(update.id))).toMatchObject({
      type: "Update",
      object: { id: course.uri },
    });
    expect(announces()).toBe(before);
    await eventually(
      async () =>
        (await school.node.services.catalog.catalogEntry(course.uri))?.title === "Optics and light",
      30_000,
    );
  });

  it("sends a teacher's withdrawal as a Delete from the teacher to the institution's followers too", async () => {
    const course = await publish(univ, marie, "Mechanics");
    await eventually(() => school.node.services.catalog.catalogEntry(course.uri), 30_000);
    await withdrawCourse(domainServices(contextOf(univ)), marie, course.id);
    const deletion = await eventually(() => capturedActivity("Delete", course.uri), 30_000);
    expect(deletion).toMatchObject({
      actor: new URL(`/actors/${marie.identifier}`, univ.url).href,
      object: { id: course.uri, type: "Tombstone" },
    });
    await eventually(
      async () => (await school.node.services.catalog.catalogEntry(course.uri))?.deletedAt,
      30_000,
    );
  });

  it("takes a teacher's Update on the institution's account only from the institution's own server, and never a Create", async () => {
    const course = await publish(univ, marie, "Acoustics");
    await eventually(() => school.node.services.catalog.catalogEntry(course.uri), 30_000);
    const ctx = contextOf(univ);
    const courseRow = await univ.node.services.courses.course(course.id);
    const revision = await univ.node.services.courses.latestRevision(course.id);
    if (!courseRow || !revision) throw new Error("not published");
    const retitled = (title: string) => {
      const object = courseJson(ctx, { ...courseRow, title }, revision, marie.identifier);
      return object;
    };
    const schoolInbox = {
      id: new URL(institutionOf(school)),
      inboxId: new URL("/inbox", school.url),
      endpoints: null,
    };
    const sendAsMarie = async (json: WireJson) =>
      await ctx.sendActivity(
        { identifier: marie.identifier },
        schoolInbox,
        await wireActivity(ctx, json),
        {
          immediate: true,
        },
      );
    // No audience: school follows the institution, not the teacher.
    await sendAsMarie(
      authoredActivityJson(
        "Update",
        courseActivityIds.edited(ctx, course.id, 1),
        retitled("No audience"),
        {
          published: new Date().toISOString(),
        },
      ),
    );
    // A Create naming the institution as audience is not an Announce.
    await sendAsMarie(
      authoredActivityJson(
        "Create",
        courseActivityIds.edited(ctx, course.id, 2),
        retitled("Created"),
        {
          audience: new URL(institutionOf(univ)),
          published: new Date().toISOString(),
        },
      ),
    );
    // Another server's teacher naming univ's institution as its audience.
    const stranger = await outsider.node.services.actors.createTeacher("eve", "Eve");
    const strangerCourse = await publish(outsider, stranger, "Someone else's");
    const outsiderCtx = contextOf(outsider);
    const strangerRow = await outsider.node.services.courses.course(strangerCourse.id);
    const strangerRevision = await outsider.node.services.courses.latestRevision(strangerCourse.id);
    if (!strangerRow || !strangerRevision) throw new Error("not published");
    await outsiderCtx.sendActivity(
      { identifier: stranger.identifier },
      schoolInbox,
      await wireActivity(
        outsiderCtx,
        authoredActivityJson(
          "Update",
          courseActivityIds.edited(outsiderCtx, strangerCourse.id, 3),
          courseJson(outsiderCtx, strangerRow, strangerRevision, stranger.identifier),
          { audience: new URL(institutionOf(univ)), published: new Date().toISOString() },
        ),
      ),
      { immediate: true },
    );
    // The genuine path, last: once it is in, everything before it was handled.
    await sendAsMarie(
      authoredActivityJson(
        "Update",
        courseActivityIds.edited(ctx, course.id, 4),
        retitled("Acoustics, revised"),
        {
          audience: new URL(institutionOf(univ)),
          published: new Date().toISOString(),
        },
      ),
    );
    await eventually(
      async () =>
        (await school.node.services.catalog.catalogEntry(course.uri))?.title ===
        "Acoustics, revised",
      30_000,
    );
    expect(await school.node.services.catalog.catalogEntry(strangerCourse.uri)).toBeUndefined();
  });

  it("refuses a course whose FEP-1311 digest or size disagrees with its signed manifest, saying why, and takes one without them", async () => {
    const course = await publish(univ, univ.node.institution, "Thermodynamics");
    await eventually(() => school.node.services.catalog.catalogEntry(course.uri), 30_000);
    const ctx = contextOf(univ);
    const row = await univ.node.services.courses.course(course.id);
    const revision = await univ.node.services.courses.latestRevision(course.id);
    if (!row || !revision) throw new Error("not published");
    const warnings = vi.spyOn(console, "warn");
    let edit = 100;
    /** An Update of the course by its publisher, its archive link changed by `change`. */
    const sendUpdate = async (title: string, change: (archive: WireJson) => void) => {
      const object = courseJson(ctx, row, revision, "institution");
      const archive = (object.attachment as WireJson[]).find(
        (each) => each.mediaType === "application/vnd.moodle.backup",
      ) as WireJson;
      archive.name = title;
      change(archive);
      await ctx.sendActivity(
        { identifier: "institution" },
        {
          id: new URL(institutionOf(school)),
          inboxId: new URL("/inbox", school.url),
          endpoints: null,
        },
        await wireActivity(
          ctx,
          authoredActivityJson("Update", courseActivityIds.edited(ctx, course.id, edit++), object, {
            published: new Date().toISOString(),
          }),
        ),
        { immediate: true },
      );
    };
    const otherDigest = sha256DigestMultibase("ab".repeat(32));
    await sendUpdate("Another archive", (archive) => {
      archive.digestMultibase = otherDigest;
    });
    await sendUpdate("Another size", (archive) => {
      archive.size = Number(archive.size) + 1;
    });
    await sendUpdate("Not a multihash", (archive) => {
      archive.digestMultibase = `f${revision.sha256}`;
    });
    // As an older node sends it: no digest, no size.
    await sendUpdate("Thermodynamics, as before", (archive) => {
      delete archive.digestMultibase;
      delete archive.size;
    });
    await eventually(
      async () =>
        (await school.node.services.catalog.catalogEntry(course.uri))?.title ===
        "Thermodynamics, as before",
      30_000,
    );
    const logged = warnings.mock.calls.map((call) => String(call[0]));
    warnings.mockRestore();
    const about = logged.filter((line) => line.includes(course.uri));
    expect(about).toEqual([
      expect.stringContaining(
        `digestMultibase names sha256 ${"ab".repeat(32)}, its signed manifest ${revision.sha256}`,
      ),
      expect.stringContaining(
        `says ${revision.size + 1} bytes, its signed manifest ${revision.size}`,
      ),
      expect.stringContaining("is not a base58btc sha-256 multihash"),
    ]);
  });

  it("serves manifests and archives for caches to ask again, and an archive made followers-only stops being public at once", async () => {
    // An archive of its own: another course with the same one would keep it public.
    const course = await publish(univ, univ.node.institution, "Caching", {
      backup: "m285-zip-activity-quiz-nousers.mbz",
    });
    const revision = await univ.node.services.courses.latestRevision(course.id);
    const manifestUrl = new URL(`/courses/${course.id}/revisions/1/manifest`, univ.url);
    const manifest = await fetch(manifestUrl);
    expect(manifest.status).toBe(200);
    expect(manifest.headers.get("cache-control")).toBe("public, no-cache");
    const etag = manifest.headers.get("etag") ?? "";
    expect(etag).toMatch(/^"[0-9a-f]{64}"$/);
    expect((await fetch(manifestUrl, { headers: { "if-none-match": etag } })).status).toBe(304);
    // A licence edit signs the manifest again, at the same address, with another ETag.
    await editCourse(
      domainServices(contextOf(univ)),
      { actorId: univ.node.institution.id, mayEditAny: true },
      course.id,
      { license: "CC-BY-SA-4.0" },
    );
    const resigned = await fetch(manifestUrl, { headers: { "if-none-match": etag } });
    expect(resigned.status).toBe(200);
    expect(resigned.headers.get("etag")).not.toBe(etag);

    const archiveUrl = new URL(`/blobs/${revision?.sha256}`, univ.url);
    const archive = await fetch(archiveUrl, { method: "HEAD" });
    expect(archive.headers.get("cache-control")).toBe("public, no-cache");
    await editCourse(
      domainServices(contextOf(univ)),
      { actorId: univ.node.institution.id, mayEditAny: true },
      course.id,
      { visibility: "followers" },
    );
    expect((await fetch(archiveUrl, { method: "HEAD" })).status).toBe(403);
  });

  it("resolves the ids of a Follow and of its Accept while the follow stands", async () => {
    const following = await school.node.services.follows.following(
      school.node.institution.id,
      institutionOf(univ),
    );
    if (!following) throw new Error("school does not follow univ");
    expect(await getJson(following.followId)).toMatchObject({
      id: following.followId,
      type: "Follow",
      actor: institutionOf(school),
      object: institutionOf(univ),
    });
    const accept = answerId(
      contextOf(univ),
      "institution",
      institutionOf(school),
      following.followId,
    );
    expect(await getJson(accept)).toMatchObject({
      id: accept.href,
      type: "Accept",
      actor: institutionOf(univ),
      object: { id: following.followId, type: "Follow", actor: institutionOf(school) },
    });
    // Another request's digest, or no follow at all: nothing there.
    const other = answerId(
      contextOf(univ),
      "institution",
      institutionOf(school),
      `${following.followId}x`,
    );
    expect((await fetch(other, { headers: AP })).status).toBe(404);
    const nobody = answerId(
      contextOf(univ),
      "institution",
      institutionOf(outsider),
      following.followId,
    );
    expect((await fetch(nobody, { headers: AP })).status).toBe(404);
  });

  it("pages its outbox without skipping or repeating courses published in the same millisecond, and lists a revision of its oldest course first, as its Update", async () => {
    // A node of its own, whose outbox holds only these: 45 courses of one millisecond.
    const lone = await startTestNode("lone", "Lone");
    try {
      const model = await publish(lone, lone.node.institution, "Model");
      const revision = await lone.node.services.courses.latestRevision(model.id);
      if (!revision) throw new Error("not published");
      const at = Date.now() + 60_000;
      const ids = Array.from(
        { length: 45 },
        (_, index) => `same-ms-${String(index).padStart(2, "0")}`,
      );
      for (const id of ids) {
        await lone.node.services.courses.publish(
          {
            id,
            actorId: lone.node.institution.id,
            title: id,
            summary: null,
            tags: [],
            license: null,
            visibility: "public",
          },
          { ...revision, revision: 1, publishedAt: at },
        );
      }
      const listed: string[] = [];
      let page = await getJson(String((await getJson(`${institutionOf(lone)}/outbox`)).first));
      for (;;) {
        listed.push(
          ...(page.orderedItems as WireJson[]).map((item) => String((item.object as WireJson).id)),
        );
        if (typeof page.next !== "string") break;
        page = await getJson(page.next);
      }
      const expected = [...ids.map((id) => new URL(`/courses/${id}`, lone.url).href), model.uri];
      expect(listed).toHaveLength(expected.length);
      expect(new Set(listed)).toEqual(new Set(expected));

      // The oldest course revised after them all: first, as the Update that carried it.
      await lone.node.services.courses.publish(
        {
          id: model.id,
          actorId: lone.node.institution.id,
          title: "Model",
          summary: null,
          tags: [],
          license: null,
          visibility: "public",
        },
        { ...revision, revision: 2, publishedAt: at + 1 },
      );
      const outbox = `${institutionOf(lone)}/outbox`;
      const first = await getJson(String((await getJson(outbox)).first));
      const [latest, next] = first.orderedItems as WireJson[];
      expect(latest).toMatchObject({
        type: "Update",
        id: `${model.uri}/revisions/2/activity`,
        actor: institutionOf(lone),
        object: { id: model.uri },
      });
      expect(latest).not.toHaveProperty("audience");
      // The rest as before, among equal times by id, newest first.
      expect(next).toMatchObject({
        type: "Create",
        id: new URL(`/courses/${ids.at(-1)}/revisions/1/activity`, lone.url).href,
      });
      // A cursor of the outbox ordered by first publication names a place in another
      // order: answered as any cursor it cannot read.
      const bad = await fetch(`${outbox}?cursor=nonsense`, { headers: AP });
      const old = await fetch(`${outbox}?cursor=${at}.${ids[0]}`, { headers: AP });
      expect(old.status).toBe(bad.status);
      expect(old.status).toBeGreaterThanOrEqual(400);
    } finally {
      await lone.stop();
    }
  });
});
