import { mkdtempSync, rmSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eq, inArray } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RevisionReceived } from "../../packages/node/src/catalog/catalog-events.ts";
import { publishCourse, withdrawCourse } from "../../packages/node/src/courses/publish-service.ts";
import {
  CATCH_UP_LIMITS,
  type CatchUpOutcome,
  catchUp,
} from "../../packages/node/src/federation/catch-up.ts";
import { PERIODIC } from "../../packages/node/src/federation/catch-up-runs.ts";
import { domainServices } from "../../packages/node/src/federation/domain-services.ts";
import { formatDate } from "../../packages/node/src/web/format.ts";
import { buildTarGz, moodleBackupXml } from "../support/archive-builder.ts";
import { coursefed } from "../support/coursefed-cli.ts";
import { eventually } from "../support/eventually.ts";
import {
  contextOf,
  followAndApprove,
  institutionOf,
  publishToFollower,
} from "../support/federation-steps.ts";
import { startTestNode, type TestNode } from "../support/test-node.ts";
import { WebClient } from "../web/web-client.ts";

let publisher: TestNode;
let follower: TestNode;
let hostile: Server;
let hostileUrl: URL;
let scratch: string;
/** Lets the hostile server answer for `slow`. */
let releaseSlowServer: () => void = () => undefined;
const slowServerHeld = new Promise<void>((resolve) => {
  releaseSlowServer = resolve;
});

/** What the hostile server was asked, path and query. */
const asked: string[] = [];

/** A one-page backup whose page is `title`: each one's archive differs. */
async function backup(title: string): Promise<string> {
  const file = join(scratch, `${title.replace(/\W+/g, "-")}.mbz`);
  await writeFile(
    file,
    await buildTarGz([
      {
        name: "moodle_backup.xml",
        data: moodleBackupXml({ activities: [{ module: "page", id: 4, title }] }),
      },
    ]),
  );
  return file;
}

/**
 * Throws away the publisher's deliveries still waiting for a retry, once each has been
 * tried: what its retries come to after the follower was down longer than they last.
 */
async function senderGivesUp(): Promise<void> {
  const { db } = publisher.node;
  const { queueMessages } = db.tables;
  await eventually(async () => {
    const rows = await db.select().from(queueMessages).where(eq(queueMessages.channel, "outbox"));
    return (
      rows.length > 0 &&
      rows.every(
        (row) => row.leasedUntil === null && (row.attempts > 0 || row.availableAt > row.enqueuedAt),
      )
    );
  });
  await db.delete(queueMessages).where(eq(queueMessages.channel, "outbox"));
}

function outcomeOf(outcomes: CatchUpOutcome[], actorUri: string): CatchUpOutcome {
  const outcome = outcomes.find((each) => each.actorUri === actorUri);
  if (!outcome) throw new Error(`no outcome for ${actorUri}`);
  return outcome;
}

/** The follower follows `actorUri` of the hostile server, accepted (no server there to ask). */
async function followHostile(name: string): Promise<string> {
  const uri = new URL(`/actors/${name}`, hostileUrl).href;
  const { follows } = follower.node.services;
  await follows.rememberActor({
    uri,
    handle: null,
    type: "Person",
    name,
    inbox: `${uri}/inbox`,
    sharedInbox: null,
  });
  const institution = follower.node.institution;
  await follows.startFollowing(institution.id, uri, `${uri}#follow-${crypto.randomUUID()}`);
  await follows.acceptFollowing(institution.id, uri);
  return uri;
}

const AS = "https://www.w3.org/ns/activitystreams";

/**
 * A server whose outboxes misbehave: `loop` pages back to itself, `endless` always has
 * a next page, `huge` lists too many items on a page, `bloated` sends a page larger than
 * the follower reads, `flaky` lists a course its server fails to serve, `liar` lists a Create from its
 * own actor of an object on another server, a Create in another actor's name and one
 * of a course attributed to another actor.
 */
function hostileAnswer(url: URL, publisherCourse: string): unknown {
  const base = hostileUrl.origin;
  const actor = /^\/actors\/(\w+)$/.exec(url.pathname)?.[1];
  if (actor) {
    return {
      "@context": AS,
      id: `${base}/actors/${actor}`,
      type: "Person",
      inbox: `${base}/actors/${actor}/inbox`,
      outbox: `${base}/actors/${actor}/outbox`,
    };
  }
  const name = /^\/actors\/(\w+)\/outbox$/.exec(url.pathname)?.[1];
  if (!name) return undefined;
  const self = `${base}/actors/${name}`;
  const page = Number(url.searchParams.get("page") ?? "0");
  if (page === 0) {
    return { "@context": AS, type: "OrderedCollection", first: `${self}/outbox?page=1` };
  }
  const items = (count: number) =>
    Array.from({ length: count }, (_, index) => ({
      id: `${self}/activities/${page}-${index}`,
      type: "Announce",
      actor: self,
      object: `${base}/courses/${page}-${index}`,
    }));
  const next =
    name === "loop"
      ? `${self}/outbox?page=${page === 2 ? 1 : 2}`
      : name === "endless"
        ? `${self}/outbox?page=${page + 1}`
        : undefined;
  const orderedItems =
    name === "huge"
      ? items(CATCH_UP_LIMITS.itemsPerPage + 1)
      : name === "liar"
        ? [
            {
              id: `${self}/activities/1`,
              type: "Create",
              actor: self,
              object: { id: publisherCourse, type: "Note", attributedTo: self },
            },
            {
              id: `${self}/activities/2`,
              type: "Create",
              actor: institutionOf(publisher),
              object: { id: `${base}/courses/2`, type: "Note" },
            },
            {
              id: `${self}/activities/3`,
              type: "Create",
              actor: self,
              object: {
                id: `${base}/courses/3`,
                type: "Note",
                attributedTo: institutionOf(publisher),
              },
            },
          ]
        : name === "flaky"
          ? [
              {
                id: `${self}/activities/1`,
                type: "Create",
                actor: self,
                object: `${base}/objects/unreadable`,
              },
            ]
          : [];
  return {
    "@context": AS,
    id: `${self}/outbox?page=${page}`,
    type: "OrderedCollectionPage",
    ...(name === "bloated" ? { summary: "x".repeat(64 * 1024) } : {}),
    orderedItems,
    ...(next ? { next } : {}),
  };
}

describe("catching up on what deliveries missed", () => {
  let course: string;
  let gone: string;

  beforeAll(async () => {
    scratch = mkdtempSync(join(tmpdir(), "coursefed-catch-up-"));
    [publisher, follower] = await Promise.all([startTestNode("univ"), startTestNode("late")]);
    await followAndApprove(follower, publisher);
    course = await publishToFollower(publisher, follower, await backup("Algebra"), {
      title: "Algebra",
    });
    gone = await publishToFollower(publisher, follower, await backup("Geometry"), {
      title: "Geometry",
    });
    hostile = createServer((request, response) => {
      const url = new URL(request.url ?? "/", hostileUrl);
      asked.push(`${url.pathname}${url.search}`);
      if (url.pathname.startsWith("/objects/")) {
        response.writeHead(500).end();
        return;
      }
      // Two actors whose own documents are not ActivityPub's JSON: a truncated one, and
      // the HTML page a proxy or a login form gives.
      if (url.pathname === "/actors/garbled") {
        response.writeHead(200, { "content-type": "application/activity+json" });
        response.end('{"type": "Person", "outbox":');
        return;
      }
      // An actor whose server holds its answer until the test lets it go.
      if (url.pathname === "/actors/slow") {
        void slowServerHeld.then(() => {
          response.writeHead(200, { "content-type": "application/activity+json" });
          response.end(JSON.stringify(hostileAnswer(new URL("/actors/slow", hostileUrl), course)));
        });
        return;
      }
      if (url.pathname === "/actors/html") {
        response.writeHead(200, { "content-type": "text/html; charset=utf-8" });
        response.end("<html><body>Sign in</body></html>");
        return;
      }
      const answer = hostileAnswer(url, course);
      if (answer === undefined) {
        response.writeHead(404).end();
        return;
      }
      response.writeHead(200, { "content-type": "application/activity+json" });
      response.end(JSON.stringify(answer));
    });
    await new Promise<void>((resolve) => hostile.listen(0, "127.0.0.1", resolve));
    const address = hostile.address();
    hostileUrl = new URL(
      `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}/`,
    );
  }, 60_000);

  afterAll(async () => {
    await Promise.all([publisher, follower].map((peer) => peer?.stop()));
    await new Promise((resolve) => hostile?.close(resolve));
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it("a follower down while its followed actor published, revised and withdrew has them all after catching up", async () => {
    await follower.pause();
    const ctx = domainServices(contextOf(publisher));
    const institution = publisher.node.institution;
    const added = await publishCourse(ctx, institution, await backup("Statistics"), {
      title: "Statistics",
    });
    const revised = await publishCourse(
      ctx,
      institution,
      await backup("Algebra, second"),
      {},
      {
        courseId: course.split("/").at(-1) as string,
      },
    );
    await withdrawCourse(ctx, institution, gone.split("/").at(-1) as string);
    await senderGivesUp();
    await follower.resume();

    const { catalog } = follower.node.services;
    const fresh = new URL(`/courses/${added.course.id}`, publisher.url).href;
    // Nothing came in while it was down, and no retry brings it now.
    expect(await catalog.catalogEntry(fresh)).toBeUndefined();
    expect((await catalog.catalogEntry(course))?.revision).toBe(1);
    expect((await catalog.catalogEntry(gone))?.deletedAt).toBeNull();

    // Published after the follow was accepted: the auto-restore rules hear of them as of
    // a delivery.
    const heard: RevisionReceived[] = [];
    follower.node.services.catalogEvents.onRevisionReceived(async (event) => {
      heard.push(event);
    });
    const outcomes = await catchUp(contextOf(follower));
    const outcome = outcomeOf(outcomes, institutionOf(publisher));
    expect(heard.map(({ objectUri, revision, isNew }) => ({ objectUri, revision, isNew }))).toEqual(
      expect.arrayContaining([
        { objectUri: fresh, revision: 1, isNew: true },
        { objectUri: course, revision: revised.revision.revision, isNew: false },
      ]),
    );
    expect(heard).toHaveLength(2);
    expect(outcome).toMatchObject({ caughtUp: true, received: 2, withdrawn: 1, refused: 0 });
    expect((await catalog.catalogEntry(fresh))?.title).toBe("Statistics");
    expect((await catalog.catalogEntry(course))?.revision).toBe(revised.revision.revision);
    expect((await catalog.catalogEntry(gone))?.deletedAt).not.toBeNull();
    // The outbox's Update says what the revision changed, as a delivered one would.
    const [latest] = await catalog.catalogRevisions(course);
    expect(latest?.changes).toEqual(revised.revision.changesByLanguage);
    expect(Object.keys(latest?.changes ?? {}).sort()).toEqual(["en", "fr"]);

    // What it holds at the outbox's revision is not fetched again.
    const again = outcomeOf(await catchUp(contextOf(follower)), institutionOf(publisher));
    expect(again).toMatchObject({ caughtUp: true, received: 0, withdrawn: 0 });
    const [following] = await follower.node.services.follows.followings(
      follower.node.institution.id,
    );
    expect(following?.catchUpResult).toBe("ok: 0 received, 0 withdrawn, 1 pages");
    expect(following?.caughtUpAt).toBeGreaterThan(0);
  });

  it("a followed server that is down is logged in one line, withdraws nothing, and is read again once back", async () => {
    const lines: string[] = [];
    await publisher.pause();
    const publisherUri = institutionOf(publisher);
    try {
      const outcome = outcomeOf(
        await catchUp(contextOf(follower), {
          actorUri: publisherUri,
          log: (line) => lines.push(line),
        }),
        publisherUri,
      );
      expect(outcome.caughtUp).toBe(false);
      expect(outcome.result).toMatch(/^failed: .* could not be read/);
    } finally {
      await publisher.resume();
    }
    expect(lines).toEqual([
      expect.stringMatching(
        new RegExp(`^coursefed: catch-up: ${publisherUri} failed: .*; read again next run$`),
      ),
    ]);
    expect((await follower.node.services.catalog.catalogEntry(course))?.deletedAt).toBeNull();
    const [following] = await follower.node.services.follows.followings(
      follower.node.institution.id,
    );
    expect(following?.catchUpResult).toMatch(/^failed: /);

    // Marked behind (an activity of it failed for good): read first, and no longer behind.
    const { follows } = follower.node.services;
    await follows.markBehind(publisherUri, Date.now());
    expect((await follows.catchUpCandidates({ behindOnly: true })).map((c) => c.actorUri)).toEqual([
      publisherUri,
    ]);
    const behind = await catchUp(contextOf(follower), { behindOnly: true });
    expect(behind.map((each) => [each.actorUri, each.caughtUp])).toEqual([[publisherUri, true]]);
    expect(await follows.catchUpCandidates({ behindOnly: true })).toEqual([]);
  });

  it("a Create dropped after its last try marks its sender behind, and the catch-up of the behind brings the course", async () => {
    const publisherUri = institutionOf(publisher);
    const { follows, catalog } = follower.node.services;
    // The publisher still delivers, but its server does not answer: the follower cannot
    // read the course's manifest, tries the Create again by its schedule and drops it.
    await publisher.pause();
    let object: string;
    try {
      const published = await publishCourse(
        domainServices(contextOf(publisher)),
        publisher.node.institution,
        await backup("Topology"),
        { title: "Topology" },
      );
      object = new URL(`/courses/${published.course.id}`, publisher.url).href;
      const [candidate] = await eventually(
        () =>
          follows
            .catchUpCandidates({ behindOnly: true })
            .then((found) => found.length > 0 && found),
        20_000,
      );
      expect(candidate?.actorUri).toBe(publisherUri);
    } finally {
      await publisher.resume();
    }
    expect(await catalog.catalogEntry(object)).toBeUndefined();
    const outcomes = await catchUp(contextOf(follower), { behindOnly: true });
    expect(outcomes.map((each) => [each.actorUri, each.received])).toEqual([[publisherUri, 1]]);
    expect((await catalog.catalogEntry(object))?.title).toBe("Topology");
    expect(await follows.catchUpCandidates({ behindOnly: true })).toEqual([]);
  }, 40_000);

  it("an admin catches up now and lists how it went from the CLI; an actor not followed is refused", async () => {
    const publisherUri = institutionOf(publisher);
    const now = await coursefed(follower, "catch-up", "--actor", publisherUri);
    expect(now.stderr).toBe("");
    expect(now.stdout).toBe(`${publisherUri}  ok: 0 received, 0 withdrawn, 1 pages\n`);
    const listed = await coursefed(follower, "catch-up", "--list", "--json");
    expect(JSON.parse(listed.stdout)).toContainEqual({
      actor: publisherUri,
      caughtUpAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      result: "ok: 0 received, 0 withdrawn, 1 pages",
      behindSince: null,
      notBefore: null,
    });
    // The Feeds page says it too, beside the follow.
    const admin = new WebClient(follower.url);
    expect((await admin.login("admin", follower.node.initialAdminPassword as string)).status).toBe(
      303,
    );
    const feeds = await admin.page("/feeds");
    expect(feeds.html).toContain(
      `<small class="catch-up">caught up ${formatDate(Date.now(), "en")}: ok: 0 received, 0 withdrawn, 1 pages</small>`,
    );
    // The node registered both catch-ups and ran the periodic one when it started.
    const { db } = follower.node;
    const tasks = await db
      .select()
      .from(db.tables.scheduledTasks)
      .where(inArray(db.tables.scheduledTasks.name, ["catch-up", "catch-up-behind"]));
    expect(tasks.map((task) => task.name).sort()).toEqual(["catch-up", "catch-up-behind"]);
    const periodic = tasks.find((task) => task.name === "catch-up");
    expect((periodic?.nextRunAt ?? 0) - (periodic?.lastRunAt ?? 0)).toBe(6 * 3600_000);
    const stranger = await coursefed(
      follower,
      "catch-up",
      "--actor",
      "https://nowhere.example/actors/x",
    );
    expect(stranger.code).not.toBe(0);
    expect(stranger.stderr).toContain(
      "No local actor follows https://nowhere.example/actors/x with an accepted follow",
    );
  });

  it("a node that talks to public addresses only reads nothing from a followed actor now on a private one", async () => {
    const publicOnly = follower.node.federation.createContext(follower.url, {
      ...follower.node.services,
      allowPrivateAddresses: false,
    });
    const publisherUri = institutionOf(publisher);
    const [outcome] = await catchUp(publicOnly, { actorUri: publisherUri, log: () => {} });
    expect(outcome?.result).toMatch(/^failed: 127\.0\.0\.1 is a private or loopback address/);
  });

  it("a 429 keeps the actor away for its Retry-After", async () => {
    const limited = createServer((_request, response) => {
      response.writeHead(429, { "retry-after": "120" }).end();
    });
    await new Promise<void>((resolve) => limited.listen(0, "127.0.0.1", resolve));
    const address = limited.address();
    const port = typeof address === "object" && address ? address.port : 0;
    const uri = `http://127.0.0.1:${port}/actors/busy`;
    const { follows } = follower.node.services;
    try {
      await follows.rememberActor({
        uri,
        handle: null,
        type: "Person",
        name: "busy",
        inbox: `${uri}/inbox`,
        sharedInbox: null,
      });
      await follows.startFollowing(follower.node.institution.id, uri, `${uri}#follow`);
      await follows.acceptFollowing(follower.node.institution.id, uri);
      const lines: string[] = [];
      const [outcome] = await catchUp(contextOf(follower), {
        actorUri: uri,
        log: (line) => lines.push(line),
      });
      expect(outcome?.result).toMatch(/answered 429 .*retry after 120 s/);
      const [candidate] = await follows.catchUpCandidates({ actorUri: uri });
      expect(candidate?.notBefore).toBeGreaterThan(Date.now() + 100_000);
      // Not asked again before then.
      expect(await catchUp(contextOf(follower), { actorUri: uri })).toEqual([]);
    } finally {
      await follows.forgetFollowing(follower.node.institution.id, uri);
      await new Promise((resolve) => limited.close(resolve));
    }
  });

  it("a hostile outbox is bounded and what it says for others is refused", async () => {
    const [loop, endless, huge, bloated, flaky, liar, garbled, html] = await Promise.all(
      ["loop", "endless", "huge", "bloated", "flaky", "liar", "garbled", "html"].map((name) =>
        followHostile(name),
      ),
    );
    const { follows } = follower.node.services;
    await Promise.all([endless, flaky].map((uri) => follows.markBehind(uri as string, Date.now())));
    const lines: string[] = [];
    const limits = { ...CATCH_UP_LIMITS, pagesPerActor: 5, documentBytes: 32 * 1024 };
    const outcomes = await catchUp(contextOf(follower), {
      limits,
      log: (line) => lines.push(line),
    });

    expect(outcomeOf(outcomes, loop as string).result).toMatch(/pages loop back to .*page=1$/);
    const endlessOutcome = outcomeOf(outcomes, endless as string);
    expect(endlessOutcome).toMatchObject({ caughtUp: false, pages: 5 });
    expect(endlessOutcome.result).toMatch(/^partly: .*stopped after 5 pages$/);
    expect(asked.filter((path) => path.startsWith("/actors/endless/outbox?"))).toHaveLength(5);
    // Read as far as it ever will be, it is no longer behind; the one whose course failed
    // is, left to the next period (the behind run waits for a new failure).
    const behindSince = async (uri: string) =>
      (await follows.catchUpCandidates({ actorUri: uri }))[0]?.behindSince;
    expect(await behindSince(endless as string)).toBeNull();
    expect(await behindSince(flaky as string)).toBeGreaterThan(0);
    expect(outcomeOf(outcomes, huge as string).result).toMatch(
      new RegExp(`lists ${CATCH_UP_LIMITS.itemsPerPage + 1} items, more than`),
    );
    expect(outcomeOf(outcomes, bloated as string).result).toMatch(
      /^failed: 127\.0\.0\.1:\d+ answered more than 32768 bytes for .*\/actors\/bloated\/outbox\?page=1, more than this node reads: try again later, and tell its administrators if it lasts\.$/,
    );
    expect(outcomeOf(outcomes, garbled as string).result).toMatch(
      /^failed: 127\.0\.0\.1:\d+ answered something that is not JSON for .*\/actors\/garbled: /,
    );
    expect(outcomeOf(outcomes, html as string).result).toMatch(
      /^failed: 127\.0\.0\.1:\d+ answered text\/html for .*\/actors\/html, not JSON/,
    );
    // A course its own server fails to serve leaves the actor behind, logged in one line.
    const flakyOutcome = outcomeOf(outcomes, flaky as string);
    expect(flakyOutcome).toMatchObject({ caughtUp: false, failed: 1, pages: 1 });
    expect(flakyOutcome.result).toMatch(
      /^partly: 0 received, 0 withdrawn, 1 pages, 1 courses could not be read \(first http:.*\/objects\/unreadable: .*500/,
    );
    expect(lines.filter((line) => line.includes("/actors/flaky:"))).toEqual([
      `coursefed: catch-up: ${flaky}: ${flakyOutcome.result}; read again next run`,
    ]);
    // The liar's outbox names the publisher's course, speaks for the publisher and says
    // its own course is the publisher's: all refused, nothing fetched for them.
    expect(outcomeOf(outcomes, liar as string)).toMatchObject({ caughtUp: true, refused: 3 });
    expect(lines.filter((line) => line.includes("/actors/liar"))).toEqual([]);
    expect(
      lines.filter((line) => /actors\/(loop|huge|bloated|garbled|html) failed/.test(line)),
    ).toHaveLength(5);
    expect(asked.filter((path) => path.startsWith("/courses/"))).toEqual([]);
    expect((await follower.node.services.catalog.catalogEntry(course))?.actorUri).toBe(
      institutionOf(publisher),
    );
  });

  // Last: it leaves the publisher's outbox three pages long.
  it("after a revision of its oldest course on a long outbox, reads it no further than its first page all held (two of three) and brings it; reads it through a week later, withdrawing what it no longer lists", async () => {
    const publisherUri = institutionOf(publisher);
    const courseId = course.split("/").at(-1) as string;
    const { courses } = publisher.node.services;
    const revision = await courses.latestRevision(courseId);
    const { db } = follower.node;
    const { catalogEntries } = db.tables;
    const [held] = await db
      .select()
      .from(catalogEntries)
      .where(eq(catalogEntries.objectUri, course));
    if (!revision || !held) throw new Error("the course is not published and held");
    // 45 courses newer than it, held by the follower at the revision the outbox lists.
    const fillers = Array.from({ length: 45 }, (_, index) => `filler-${index}`);
    const now = Date.now();
    for (const [index, id] of fillers.entries()) {
      await courses.publish(
        {
          id,
          actorId: publisher.node.institution.id,
          title: id,
          summary: null,
          tags: [],
          license: null,
          visibility: "public",
        },
        { ...revision, revision: 1, publishedAt: now + index },
      );
      await db.insert(catalogEntries).values({
        ...held,
        objectUri: new URL(`/courses/${id}`, publisher.url).href,
        searchKey: (held.searchKey ?? 0) + 1 + index,
      });
    }
    const outboxPages: string[] = [];
    const realFetch = globalThis.fetch;
    globalThis.fetch = (async (input: Request | string | URL, init?: RequestInit) => {
      const url = input instanceof Request ? input.url : String(input);
      if (url.startsWith(`${publisherUri}/outbox?`)) outboxPages.push(url);
      return await realFetch(input, init);
    }) as typeof fetch;
    try {
      // Read through once (if no earlier catch-up did), so that it is not due again.
      await catchUp(contextOf(follower), { actorUri: publisherUri });
      const oldest = fillers[0] as string;
      await courses.withdraw(oldest);
      await follower.pause();
      await publishCourse(
        domainServices(contextOf(publisher)),
        publisher.node.institution,
        await backup("Algebra, third"),
        {},
        { courseId },
      );
      await senderGivesUp();
      await follower.resume();
      const { catalog } = follower.node.services;
      expect((await catalog.catalogEntry(course))?.revision).toBe(revision.revision);

      outboxPages.length = 0;
      const [outcome] = await catchUp(contextOf(follower), { actorUri: publisherUri });
      // The revision on the first page, the second all held: no further.
      expect(outboxPages).toHaveLength(2);
      expect(outcome).toMatchObject({ caughtUp: true, received: 1, withdrawn: 0, pages: 2 });
      expect(outcome?.result).toBe(
        "ok: 1 received, 0 withdrawn, 2 pages, stopped at page 2, already held",
      );
      expect((await catalog.catalogEntry(course))?.revision).toBe(revision.revision + 1);
      // Only a read to the end tells what the outbox no longer lists.
      const withdrawn = new URL(`/courses/${oldest}`, publisher.url).href;
      expect((await catalog.catalogEntry(withdrawn))?.deletedAt).toBeNull();

      // A week on, it is read through, and the course withdrawn meanwhile goes.
      outboxPages.length = 0;
      const later = Date.now() + CATCH_UP_LIMITS.readThroughEveryMs;
      const [through] = await catchUp(contextOf(follower), {
        actorUri: publisherUri,
        now: () => later,
      });
      expect(outboxPages.length).toBeGreaterThanOrEqual(3);
      expect(through).toMatchObject({ caughtUp: true, received: 0, withdrawn: 1 });
      expect((await catalog.catalogEntry(withdrawn))?.deletedAt).not.toBeNull();
      // And not again before another week.
      outboxPages.length = 0;
      await catchUp(contextOf(follower), { actorUri: publisherUri, now: () => later + 1 });
      expect(outboxPages).toHaveLength(1);
      // But an admin asking now has it read through.
      outboxPages.length = 0;
      const asked = await coursefed(follower, "catch-up", "--actor", publisherUri);
      expect(asked.stdout).toMatch(/^\S+ {2}ok: 0 received, 0 withdrawn, [3-9] pages\n$/);
      expect(outboxPages.length).toBeGreaterThanOrEqual(3);
    } finally {
      globalThis.fetch = realFetch;
    }
  }, 40_000);
  it("an admin's catch-up of every actor runs in the background, one at a time, its progress and end shown; one actor is read within the request", async () => {
    const slow = await followHostile("slow");
    const api = (method: string, body?: unknown) =>
      fetch(new URL("/api/v1/follows/catch-up", follower.url), {
        method,
        headers: { authorization: `Bearer ${follower.token}`, "content-type": "application/json" },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    // The periodic catch-up the node ran when it started took the same slot.
    const before = (await (await api("GET")).json()) as { run: unknown };
    expect(before.run).toMatchObject({ requestedBy: PERIODIC, state: "ended", error: null });
    const started = await api("POST", {});
    expect(started.status).toBe(202);
    expect(started.headers.get("location")).toBe("/api/v1/follows/catch-up");
    const { run } = (await started.json()) as { run: { id: string; state: string } };
    expect(run).toMatchObject({ state: "under-way", requestedBy: expect.any(String), read: 0 });

    // The slow server holds the run: a second one is refused while it is under way.
    const again = await api("POST", {});
    expect(again.status).toBe(409);
    const refusal = (await again.json()) as { error: { code: string; message: string } };
    expect(refusal.error.code).toBe("catch_up_under_way");
    expect(refusal.error.message).toMatch(
      /^A catch-up of every followed actor is under way since \S+ \(asked by .*; (listing the actors|\d+ of \d+ actors read)\): see how it goes with GET \/api\/v1\/follows\/catch-up/,
    );
    const cli = await coursefed(follower, "catch-up");
    expect(cli.code).toBe(2);
    expect(cli.stderr).toContain("A catch-up of every followed actor is under way since");
    // One actor is still read within the request meanwhile.
    const one = await api("POST", { actor: institutionOf(publisher) });
    expect(one.status).toBe(200);
    expect(((await one.json()) as { items: unknown[] }).items).toHaveLength(1);
    const underWay = (await (await api("GET")).json()) as {
      run: { id: string; state: string; actors: number; read: number };
    };
    expect(underWay.run).toMatchObject({ id: run.id, state: "under-way" });
    const followed = (await follower.node.services.follows.catchUpCandidates()).length;
    expect(underWay.run.actors).toBe(followed);
    expect(underWay.run.read).toBeLessThan(followed);

    releaseSlowServer();
    const ended = await eventually(async () => {
      const listed = (await (await api("GET")).json()) as {
        items: Array<{ actor: string; caughtUpAt: string | null; result: string }>;
        run: { state: string; endedAt: string | null; read: number; caughtUp: number };
      };
      return listed.run.state === "ended" ? listed : undefined;
    });
    expect(ended.run).toMatchObject({ read: followed, error: null });
    expect(ended.run.caughtUp).toBeGreaterThan(0);
    expect(ended.items.find((item) => item.actor === slow)?.result).toMatch(/^ok: /);
    const listed = await coursefed(follower, "catch-up", "--list");
    expect(listed.stdout).toMatch(
      new RegExp(
        `^Catch-up of every actor started \\S+ \\(asked by .*\\) ended at \\S+: ${followed} of ${followed} actors read, \\d+ caught up\\.\n`,
      ),
    );

    // Once ended, another may start; --wait prints each actor read and how the run ended.
    const waited = await coursefed(follower, "catch-up", "--wait");
    expect(waited.code).toBe(0);
    expect(waited.stdout).toContain(`${slow}  ok: `);
    expect(waited.stdout).toMatch(
      new RegExp(
        `Catch-up of every actor started \\S+ \\(asked by .*\\) ended at \\S+: ${followed} of ${followed} actors read, \\d+ caught up\\.\n$`,
      ),
    );
  });
});
