import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fetchCatalogArchive } from "../../packages/node/src/courses/fetch-service.ts";
import { publishCourse } from "../../packages/node/src/courses/publish-service.ts";
import { institutionSigner } from "../../packages/node/src/federation/signed-fetch.ts";
import { eventually } from "../support/eventually.ts";
import { contextOf, followAndApprove } from "../support/federation-steps.ts";
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
      contextOf(publisher),
      publisher.node.institution,
      fixture("m324-tgz-course-files-scorm-nousers.mbz"),
      { title: "For our partners", visibility: "followers" },
    );
    const object = new URL(`/courses/${published.course.id}`, publisher.url).href;
    const archive = new URL(`/blobs/${published.revision.sha256}`, publisher.url);

    // The follower receives it (its manifest fetch is signed) and downloads it, signed.
    await eventually(() => follower.node.services.courses.catalogEntry(object));
    const stored = await fetchCatalogArchive(contextOf(follower), object);
    expect(stored.sha256).toBe(published.revision.sha256);

    // Anyone else: refused, signed or not.
    expect((await fetch(archive)).status).toBe(403);
    const sign = await institutionSigner(contextOf(outsider));
    expect((await fetch(await sign(new Request(archive)))).status).toBe(403);
    const asObject = await fetch(object, { headers: { accept: "application/activity+json" } });
    expect(asObject.status).toBe(401);
  });

  it("keeps a private course to itself: not delivered, not served", async () => {
    const published = await publishCourse(
      contextOf(publisher),
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
    expect(follower.node.services.courses.catalogEntry(object)).toBeUndefined();
  });
});
