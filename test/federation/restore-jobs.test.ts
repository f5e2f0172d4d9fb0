import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { publishCourse } from "../../packages/node/src/courses/publish-service.ts";
import { requestRestore } from "../../packages/node/src/restores/restore-service.ts";
import { eventually } from "../support/eventually.ts";
import { contextOf, followAndApprove } from "../support/federation-steps.ts";
import { fixture, haveFixtures } from "../support/shared-fixtures.ts";
import { freePort, startTestNode, type TestNode } from "../support/test-node.ts";

let publisher: TestNode;
let follower: TestNode;

describe.runIf(haveFixtures())("restore jobs, whatever the Moodle site does", () => {
  let objectUri: string;

  beforeAll(async () => {
    [publisher, follower] = await Promise.all([startTestNode("univ"), startTestNode("school")]);
    await followAndApprove(follower, publisher);
    const published = await publishCourse(
      contextOf(publisher),
      publisher.node.institution,
      fixture("m26dev-zip-course-glossary-nousers.mbz"),
      { title: "Glossary" },
    );
    objectUri = new URL(`/courses/${published.course.id}`, publisher.url).href;
    await eventually(() => follower.node.services.courses.catalogEntry(objectUri));
    // A site that is down: nothing listens on its port.
    await follower.node.services.moodleTargets.add({
      name: "down",
      driver: "ws",
      url: `http://127.0.0.1:${await freePort()}`,
      token: "t",
      timeoutMs: 5000,
    });
  });
  afterAll(async () => {
    await Promise.all([publisher, follower].map((peer) => peer?.stop()));
  });

  it("gives back the same job for the same revision, target and destination", async () => {
    const ask = () =>
      requestRestore(follower.node.services, {
        objectUri,
        targetName: "down",
        destination: { kind: "new-course", categoryId: 3 },
        requestedBy: "teacher",
      });
    const first = await ask();
    expect((await ask()).id).toBe(first.id);
    const elsewhere = await requestRestore(follower.node.services, {
      objectUri,
      targetName: "down",
      destination: { kind: "existing-course", courseId: 7, mode: "replace" },
      requestedBy: "teacher",
    });
    expect(elsewhere.id).not.toBe(first.id);
  });

  it("keeps a job whose site is unreachable, to try again later, with the reason", async () => {
    const job = await requestRestore(follower.node.services, {
      objectUri,
      targetName: "down",
      requestedBy: "teacher",
    });
    const retrying = await eventually(async () => {
      const held = await follower.node.services.restores.job(job.id);
      return held?.attempts === 1 && held.state === "queued" ? held : undefined;
    });
    expect(retrying.errorCode).toBe("unreachable");
    expect(retrying.errorMessage).toContain("127.0.0.1");
    // The archive was fetched and verified before the site was tried.
    const sha256 = (await follower.node.services.courses.catalogEntry(objectUri))?.sha256 as string;
    expect(await follower.node.services.blobs.has(sha256)).toBeDefined();
    const depth = await follower.node.services.restoreQueue.getDepth?.();
    expect(depth?.delayed).toBeGreaterThanOrEqual(1);
  });

  it("refuses what cannot be restored, naming it", async () => {
    const attempt = (request: Partial<Parameters<typeof requestRestore>[1]>) =>
      requestRestore(follower.node.services, {
        objectUri,
        targetName: "down",
        requestedBy: "teacher",
        ...request,
      }).catch((error: unknown) => error as Error & { code: string });
    expect(await attempt({ objectUri: "https://elsewhere.example/courses/1" })).toMatchObject({
      code: "NOT_IN_CATALOG",
    });
    expect(await attempt({ revision: 9 })).toMatchObject({ code: "NO_SUCH_REVISION" });
    expect(await attempt({ targetName: "nowhere" })).toMatchObject({
      code: "NO_SUCH_TARGET",
      message: expect.stringContaining("nowhere"),
    });
  });
});
