import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { publishCourse } from "../../packages/node/src/courses/publish-service.ts";
import { answerFollow, follow } from "../../packages/node/src/follows/follow-service.ts";
import { contextOf, institutionOf } from "../support/federation-steps.ts";
import { fixture, haveFixtures } from "../support/shared-fixtures.ts";
import { startTestNode, type TestNode } from "../support/test-node.ts";

let publisher: TestNode;
let latecomer: TestNode;

describe.runIf(haveFixtures())("a new follower back-fills from the outbox", () => {
  beforeAll(async () => {
    [publisher, latecomer] = await Promise.all([startTestNode("univ"), startTestNode("late")]);
  });
  afterAll(async () => {
    await Promise.all([publisher, latecomer].map((peer) => peer?.stop()));
  });

  it("lists courses published before the follow, once accepted", async () => {
    const published = [];
    for (const [name, title] of [
      ["m26dev-zip-course-glossary-nousers.mbz", "Glossary"],
      ["m324-tgz-course-files-scorm-nousers.mbz", "SCORM"],
    ] as const) {
      published.push(
        await publishCourse(contextOf(publisher), publisher.node.institution, fixture(name), {
          title,
        }),
      );
    }
    const outbox = await fetch(new URL("/actors/institution/outbox", publisher.url), {
      headers: { accept: "application/activity+json" },
    });
    expect(((await outbox.json()) as { totalItems: number }).totalItems).toBe(2);

    await follow(contextOf(latecomer), latecomer.node.institution, institutionOf(publisher));
    for (let tries = 0; tries < 100; tries++) {
      if (
        await publisher.node.services.follows.follower(
          publisher.node.institution.id,
          institutionOf(latecomer),
        )
      )
        break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await answerFollow(
      contextOf(publisher),
      publisher.node.institution,
      institutionOf(latecomer),
      "accepted",
    );

    let total = 0;
    for (let tries = 0; tries < 200 && total < 2; tries++) {
      total = (await latecomer.node.services.courses.searchCatalog({ limit: 10, offset: 0 })).total;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const { entries } = await latecomer.node.services.courses.searchCatalog({
      limit: 10,
      offset: 0,
    });
    expect(entries.map((entry) => entry.title).sort()).toEqual(["Glossary", "SCORM"]);
    expect(entries.map((entry) => entry.sha256).sort()).toEqual(
      published.map((p) => p.report.sha256).sort(),
    );
  });
});
