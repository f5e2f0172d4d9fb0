import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BoostError, boostCourse } from "../../packages/node/src/catalog/boost-service.ts";
import { publishCourse } from "../../packages/node/src/courses/publish-service.ts";
import { domainServices } from "../../packages/node/src/federation/domain-services.ts";
import { eventually } from "../support/eventually.ts";
import { contextOf, followAndApprove, institutionOf } from "../support/federation-steps.ts";
import { fixture, haveFixtures } from "../support/shared-fixtures.ts";
import { startTestNode, type TestNode } from "../support/test-node.ts";

let university: TestNode;
let academy: TestNode;
let school: TestNode;

describe.runIf(haveFixtures())("a node boosting another's course to its own followers", () => {
  beforeAll(async () => {
    [university, academy, school] = await Promise.all([
      startTestNode("univ"),
      startTestNode("academy"),
      startTestNode("school"),
    ]);
    // The academy follows the university; the school follows only the academy.
    await followAndApprove(academy, university);
    await followAndApprove(school, academy);
  });
  afterAll(async () => {
    await Promise.all([university, academy, school].map((peer) => peer?.stop()));
  });

  async function publishAt(visibility: "public" | "followers", title: string) {
    const published = await publishCourse(
      domainServices(contextOf(university)),
      university.node.institution,
      fixture("m285-zip-activity-quiz-nousers.mbz"),
      { title, visibility },
    );
    const object = new URL(`/courses/${published.course.id}`, university.url).href;
    await eventually(() => academy.node.services.catalog.catalogEntry(object));
    return object;
  }

  it("reaches the followers of the booster, verified against its publisher", async () => {
    const object = await publishAt("public", "Quiz worth sharing");
    await boostCourse(domainServices(contextOf(academy)), academy.node.institution, object);
    const entry = await eventually(() => school.node.services.catalog.catalogEntry(object));
    // Kept as the university's course, not the academy's: the manifest was checked with
    // the university's key.
    expect(entry).toMatchObject({
      actorUri: institutionOf(university),
      title: "Quiz worth sharing",
    });
  });

  it("refuses to boost a followers-only course, or one it has not received", async () => {
    const object = await publishAt("followers", "For partners");
    const refused = await boostCourse(
      domainServices(contextOf(academy)),
      academy.node.institution,
      object,
    ).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(BoostError);
    expect((refused as BoostError).code).toBe("NOT_PUBLIC");
    const throughApi = await fetch(new URL("/api/v1/catalog/boost", academy.url), {
      method: "POST",
      headers: { authorization: `Bearer ${academy.token}`, "content-type": "application/json" },
      body: JSON.stringify({ object }),
    });
    expect(throughApi.status).toBe(409);
    expect(((await throughApi.json()) as { error: { code: string } }).error.code).toBe(
      "not_public",
    );
    const unknown = await boostCourse(
      domainServices(contextOf(academy)),
      academy.node.institution,
      new URL("/courses/nope", university.url).href,
    ).catch((error: unknown) => error);
    expect((unknown as BoostError).code).toBe("NOT_IN_CATALOG");
  });
});
