import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  PublishError,
  publishCourse,
  withdrawCourse,
} from "../../packages/node/src/courses/publish-service.ts";
import { domainServices } from "../../packages/node/src/federation/domain-services.ts";
import { eventually } from "../support/eventually.ts";
import { contextOf, followAndApprove, institutionOf } from "../support/federation-steps.ts";
import { fixture, haveFixtures } from "../support/shared-fixtures.ts";
import { startTestNode, type TestNode } from "../support/test-node.ts";

let publisher: TestNode;
let follower: TestNode;

describe.runIf(haveFixtures())("publishing a course to followers", () => {
  beforeAll(async () => {
    [publisher, follower] = await Promise.all([
      startTestNode("univ", "University"),
      startTestNode("school", "School"),
    ]);
    await followAndApprove(follower, publisher);
  });
  afterAll(async () => {
    await Promise.all([publisher, follower].map((peer) => peer?.stop()));
  });

  let courseId: string;

  it("refuses a backup with personal data, listing what it found", async () => {
    const refused = await publishCourse(
      domainServices(contextOf(publisher)),
      publisher.node.institution,
      fixture("m3107-tgz-course-quiz-users-logs.mbz"),
      { title: "Quiz course" },
    ).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(PublishError);
    expect((refused as PublishError).code).toBe("PERSONAL_DATA");
    expect((refused as PublishError).message).toContain("userAccounts");
  });

  it("delivers a Create that the follower verifies and lists in its catalog", async () => {
    const published = await publishCourse(
      domainServices(contextOf(publisher)),
      publisher.node.institution,
      fixture("m324-tgz-course-files-scorm-nousers.mbz"),
      {
        title: "SCORM <b>and</b> files",
        summary: "Forum, folder, IMS CP, SCORM",
        tags: ["scorm", "demo"],
        license: "CC-BY-4.0",
      },
    );
    courseId = published.course.id;
    const objectUri = new URL(`/courses/${courseId}`, publisher.url).href;
    const entry = await eventually(() => follower.node.services.catalog.catalogEntry(objectUri));
    expect(entry).toMatchObject({
      actorUri: institutionOf(publisher),
      title: "SCORM <b>and</b> files",
      summary: "<p>Forum, folder, IMS CP, SCORM</p>",
      tags: ["scorm", "demo"],
      revision: 1,
      sha256: published.report.sha256,
    });
    expect(entry.manifest).toMatchObject({
      object: objectUri,
      requiredPlugins: [],
      personalData: "clean",
    });
  });

  it("serves the archive by digest, whole and in ranges", async () => {
    const entry = await follower.node.services.catalog.catalogEntry(
      new URL(`/courses/${courseId}`, publisher.url).href,
    );
    const whole = await fetch(entry?.archiveUrl as string);
    expect(whole.status).toBe(200);
    const bytes = Buffer.from(await whole.arrayBuffer());
    expect(createHash("sha256").update(bytes).digest("hex")).toBe(entry?.sha256);
    const tail = await fetch(entry?.archiveUrl as string, { headers: { range: "bytes=100-" } });
    expect(tail.status).toBe(206);
    expect(Buffer.from(await tail.arrayBuffer()).equals(bytes.subarray(100))).toBe(true);
    const head = await fetch(entry?.archiveUrl as string, { method: "HEAD" });
    expect(head.headers.get("etag")).toBe(`"${entry?.sha256}"`);
    expect(head.headers.get("content-length")).toBe(String(bytes.length));
    const beyond = await fetch(entry?.archiveUrl as string, {
      headers: { range: `bytes=${bytes.length}-` },
    });
    expect(beyond.status).toBe(416);
  });

  it("sends an Update for a new revision", async () => {
    await publishCourse(
      domainServices(contextOf(publisher)),
      publisher.node.institution,
      fixture("m262-tgz-course-availability-nousers.mbz"),
      { title: "SCORM and files, revised", tags: ["scorm"] },
      { courseId },
    );
    const objectUri = new URL(`/courses/${courseId}`, publisher.url).href;
    const entry = await eventually(async () => {
      const held = await follower.node.services.catalog.catalogEntry(objectUri);
      return held?.revision === 2 ? held : undefined;
    });
    expect(entry.title).toBe("SCORM and files, revised");
    expect(await publisher.node.services.courses.revision(courseId, 1)).toBeDefined();
    // The follower keeps both revisions, and the filters follow the current one (2.6).
    const held = await follower.node.services.catalog.catalogRevisions(objectUri);
    expect(held.map(({ revision }) => revision)).toEqual([2, 1]);
    const api = async (query: string) => {
      const response = await fetch(new URL(`/api/v1/catalog?${query}`, follower.url), {
        headers: { authorization: `Bearer ${follower.token}` },
      });
      return ((await response.json()) as { items: Array<{ object: string }> }).items;
    };
    expect(await api("moodle=2.6&withoutPlugins=true")).toHaveLength(1);
    expect(await api("moodle=2.5")).toHaveLength(0);
    expect(await api(`institution=${publisher.url.host}`)).toHaveLength(1);
    const shown = await fetch(
      new URL(`/api/v1/catalog/course?object=${encodeURIComponent(objectUri)}`, follower.url),
      { headers: { authorization: `Bearer ${follower.token}` } },
    );
    const course = (await shown.json()) as { revisions: Array<{ revision: number }> };
    expect(course.revisions.map(({ revision }) => revision)).toEqual([2, 1]);
  });

  it("fetches an older revision's archive, verified against its own manifest", async () => {
    const objectUri = new URL(`/courses/${courseId}`, publisher.url).href;
    const fetched = await fetch(new URL("/api/v1/catalog/fetch", follower.url), {
      method: "POST",
      headers: { authorization: `Bearer ${follower.token}`, "content-type": "application/json" },
      body: JSON.stringify({ object: objectUri, revision: 1 }),
    });
    expect(fetched.status).toBe(200);
    const first = await publisher.node.services.courses.revision(courseId, 1);
    expect(await fetched.json()).toMatchObject({ revision: 1, sha256: first?.sha256 });
    const missing = await fetch(new URL("/api/v1/catalog/fetch", follower.url), {
      method: "POST",
      headers: { authorization: `Bearer ${follower.token}`, "content-type": "application/json" },
      body: JSON.stringify({ object: objectUri, revision: 7 }),
    });
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { message: string } }).error.message).toContain(
      "revisions held: 2, 1",
    );
  });

  it("sends a Delete when the course is withdrawn, and the follower drops it", async () => {
    await withdrawCourse(
      domainServices(contextOf(publisher)),
      publisher.node.institution,
      courseId,
    );
    const objectUri = new URL(`/courses/${courseId}`, publisher.url).href;
    await eventually(
      async () => (await follower.node.services.catalog.catalogEntry(objectUri))?.deletedAt,
    );
    // Gone for good, and said so: the id answers a Tombstone, the archive and manifest 410.
    const gone = await fetch(objectUri, { headers: { accept: "application/activity+json" } });
    expect(gone.status).toBe(410);
    expect(await gone.json()).toMatchObject({
      id: objectUri,
      type: "Tombstone",
      formerType: "Note",
    });
    const revision = await publisher.node.services.courses.latestRevision(courseId);
    const manifest = await fetch(
      new URL(`/courses/${courseId}/revisions/2/manifest`, publisher.url),
    );
    expect(manifest.status).toBe(410);
    expect((await fetch(new URL(`/blobs/${revision?.sha256}`, publisher.url))).status).toBe(410);
    // The Delete that said so resolves too.
    const deletion = await fetch(new URL(`/courses/${courseId}/delete`, publisher.url), {
      headers: { accept: "application/activity+json" },
    });
    expect(deletion.status).toBe(200);
    expect(await deletion.json()).toMatchObject({
      type: "Delete",
      actor: institutionOf(publisher),
      object: { id: objectUri, type: "Tombstone" },
    });
    // A browser still gets the page that says the course is gone.
    const page = await fetch(objectUri, { headers: { accept: "text/html" } });
    expect(page.headers.get("content-type")).toContain("text/html");
  });
});
