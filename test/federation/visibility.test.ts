import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fetchCatalogArchive } from "../../packages/node/src/catalog/fetch-service.ts";
import { publishCourse } from "../../packages/node/src/courses/publish-service.ts";
import { domainServices } from "../../packages/node/src/federation/domain-services.ts";
import {
  institutionSigner,
  withInstitutionSigner,
} from "../../packages/node/src/federation/signed-fetch.ts";
import { follow } from "../../packages/node/src/follows/follow-service.ts";
import { eventually } from "../support/eventually.ts";
import {
  actorUri,
  contextOf,
  followAccepted,
  followAndApprove,
} from "../support/federation-steps.ts";
import { fixture, haveFixtures } from "../support/shared-fixtures.ts";
import { startTestNode, type TestNode } from "../support/test-node.ts";

let publisher: TestNode;
let follower: TestNode;
let outsider: TestNode;

describe.runIf(haveFixtures())("who may download what", () => {
  beforeAll(async () => {
    [publisher, follower, outsider] = await Promise.all([
      startTestNode("univ"),
      startTestNode("school"),
      startTestNode("stranger"),
    ]);
    await followAndApprove(follower, publisher);
  });
  afterAll(async () => {
    await Promise.all([publisher, follower, outsider].map((peer) => peer?.stop()));
  });

  it("gives a followers-only course to an accepted follower, and to nobody else", async () => {
    const published = await publishCourse(
      domainServices(contextOf(publisher)),
      publisher.node.institution,
      fixture("m324-tgz-course-files-scorm-nousers.mbz"),
      { title: "For our partners", visibility: "followers" },
    );
    const object = new URL(`/courses/${published.course.id}`, publisher.url).href;
    const archive = new URL(`/blobs/${published.revision.sha256}`, publisher.url);

    // The follower receives it (its manifest fetch is signed) and downloads it, signed.
    await eventually(() => follower.node.services.catalog.catalogEntry(object));
    const stored = await fetchCatalogArchive(withInstitutionSigner(contextOf(follower)), object);
    expect(stored.sha256).toBe(published.revision.sha256);

    // Anyone else: refused, signed or not.
    expect((await fetch(archive)).status).toBe(403);
    const sign = await institutionSigner(contextOf(outsider));
    expect((await fetch(await sign(new Request(archive)))).status).toBe(403);
    const asObject = await fetch(object, { headers: { accept: "application/activity+json" } });
    expect(asObject.status).toBe(401);
  });

  it("gives an accepted follower a short-lived link that works unsigned, for that archive alone", async () => {
    const published = await publishCourse(
      domainServices(contextOf(publisher)),
      publisher.node.institution,
      fixture("m285-zip-activity-quiz-nousers.mbz"),
      { title: "Partners' quiz", visibility: "followers" },
    );
    const linkRequest = new URL(
      `/courses/${published.course.id}/revisions/1/download-link`,
      publisher.url,
    );
    const asFollower = await institutionSigner(contextOf(follower));
    const answer = await fetch(await asFollower(new Request(linkRequest, { method: "POST" })));
    expect(answer.status).toBe(200);
    const { url } = (await answer.json()) as { url: string; expiresAt: string };
    const download = await fetch(url);
    expect(download.status).toBe(200);
    const bytes = Buffer.from(await download.arrayBuffer());
    expect(createHash("sha256").update(bytes).digest("hex")).toBe(published.revision.sha256);

    // The token names one digest; altered, it is refused.
    const token = new URL(url).searchParams.get("access_token") as string;
    const other = await publishCourse(
      domainServices(contextOf(publisher)),
      publisher.node.institution,
      fixture("m3118-tgz-course-tiles-files-nousers.mbz"),
      { title: "Another partners' course", visibility: "followers" },
    );
    const elsewhere = new URL(`/blobs/${other.revision.sha256}`, publisher.url);
    elsewhere.searchParams.set("access_token", token);
    expect((await fetch(elsewhere)).status).toBe(403);
    const tampered = new URL(url);
    tampered.searchParams.set("access_token", `${token.slice(0, -4)}AAAA`);
    expect((await fetch(tampered)).status).toBe(403);

    // Neither an unsigned request nor a non-follower gets a link.
    expect((await fetch(linkRequest, { method: "POST" })).status).toBe(403);
    const asOutsider = await institutionSigner(contextOf(outsider));
    expect(
      (await fetch(await asOutsider(new Request(linkRequest, { method: "POST" })))).status,
    ).toBe(403);
  });

  it("lets the author make a download link through the API, never for a private course", async () => {
    const shared = await publishCourse(
      domainServices(contextOf(publisher)),
      publisher.node.institution,
      fixture("m262-tgz-course-availability-nousers.mbz"),
      { title: "Linked", visibility: "followers" },
    );
    const api = (id: string, body: unknown) =>
      fetch(new URL(`/api/v1/courses/${id}/download-links`, publisher.url), {
        method: "POST",
        headers: { authorization: `Bearer ${publisher.token}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    const made = await api(shared.course.id, { seconds: 120 });
    expect(made.status).toBe(201);
    const { url, expiresAt } = (await made.json()) as { url: string; expiresAt: string };
    expect(Date.parse(expiresAt) - Date.now()).toBeLessThanOrEqual(120_000);
    expect((await fetch(url, { method: "HEAD" })).status).toBe(200);
    const hidden = await publishCourse(
      domainServices(contextOf(publisher)),
      publisher.node.institution,
      fixture("m262-tgz-course-availability-nousers.mbz"),
      { title: "Hidden", visibility: "private" },
    );
    expect((await api(hidden.course.id, {})).status).toBe(409);
    expect((await api(shared.course.id, { seconds: 10 })).status).toBe(400);
  });

  it("gives a teacher's followers-only course to the server of her accepted follower, a teacher there", async () => {
    // Only teachers follow each other here: the outsider's institution follows nobody.
    const ada = await publisher.node.services.actors.createTeacher("ada", "Ada");
    const bob = await publisher.node.services.actors.createTeacher("bob", "Bob");
    const sam = await outsider.node.services.actors.createTeacher("sam", "Sam");
    await followAccepted(outsider, sam, publisher, ada);
    const published = await publishCourse(
      domainServices(contextOf(publisher)),
      ada,
      fixture("m324-tgz-course-files-scorm-nousers.mbz"),
      { title: "Ada's lab", visibility: "followers" },
    );
    const object = new URL(`/courses/${published.course.id}`, publisher.url).href;
    // Delivered to sam's server, which fetches the manifest and the archive as its own
    // institution: the catalog it offers all its teachers is the server's.
    await eventually(() => outsider.node.services.catalog.catalogEntry(object));
    const stored = await fetchCatalogArchive(withInstitutionSigner(contextOf(outsider)), object);
    expect(stored.sha256).toBe(published.revision.sha256);

    // Only the actors followed there with an accepted follow: not bob, whom sam has only
    // asked to follow, nor the institution that announces bob's course.
    await follow(domainServices(contextOf(outsider)), sam, actorUri(publisher, bob));
    expect(
      await eventually(() =>
        publisher.node.services.follows.follower(bob.id, actorUri(outsider, sam)),
      ),
    ).toMatchObject({ state: "pending" });
    const bobs = await publishCourse(
      domainServices(contextOf(publisher)),
      bob,
      fixture("m285-zip-activity-quiz-nousers.mbz"),
      { title: "Bob's quiz", visibility: "followers" },
    );
    const sign = await institutionSigner(contextOf(outsider));
    for (const path of [
      `/blobs/${bobs.revision.sha256}`,
      `/courses/${bobs.course.id}/revisions/1/manifest`,
    ]) {
      expect((await fetch(await sign(new Request(new URL(path, publisher.url))))).status).toBe(403);
    }
  });

  it("keeps a private course to itself: not delivered, not served", async () => {
    const published = await publishCourse(
      domainServices(contextOf(publisher)),
      publisher.node.institution,
      fixture("m26dev-zip-course-glossary-nousers.mbz"),
      { title: "Internal only", visibility: "private" },
    );
    const object = new URL(`/courses/${published.course.id}`, publisher.url).href;
    const sign = await institutionSigner(contextOf(follower));
    const download = await fetch(
      await sign(new Request(new URL(`/blobs/${published.revision.sha256}`, publisher.url))),
    );
    expect(download.status).toBe(404);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(await follower.node.services.catalog.catalogEntry(object)).toBeUndefined();
  });
});
