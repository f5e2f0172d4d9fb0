import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually } from "../support/eventually.ts";
import { followAndApprove } from "../support/federation-steps.ts";
import { fixture, haveFixtures } from "../support/shared-fixtures.ts";
import { startTestNode, type TestNode } from "../support/test-node.ts";

let university: TestNode;
let school: TestNode;

async function call(
  peer: TestNode,
  token: string,
  path: string,
  init: { method?: string; json?: unknown; body?: Buffer } = {},
) {
  const response = await fetch(new URL(`/api/v1${path}`, peer.url), {
    method: init.method ?? "GET",
    headers: {
      authorization: `Bearer ${token}`,
      "content-type": init.body ? "application/octet-stream" : "application/json",
    },
    body: init.body ?? (init.json === undefined ? null : JSON.stringify(init.json)),
  });
  return {
    status: response.status,
    body: (await response.json()) as Record<string, unknown> & { error?: { code: string } },
  };
}

describe.runIf(haveFixtures())("teachers, and the institution announcing their courses", () => {
  beforeAll(async () => {
    [university, school] = await Promise.all([startTestNode("univ"), startTestNode("school")]);
    await followAndApprove(school, university);
  });
  afterAll(async () => {
    await Promise.all([university, school].map((peer) => peer?.stop()));
  });

  it("lets an admin create a teacher, whose token publishes as that teacher", async () => {
    const created = await call(university, university.token, "/teachers", {
      method: "POST",
      json: { handle: "ada", name: "Ada Lovelace" },
    });
    expect(created.status).toBe(201);
    const teacherToken = created.body.token as string;
    const teacherActor = created.body.actor as string;
    const actor = (await (
      await fetch(teacherActor, { headers: { accept: "application/activity+json" } })
    ).json()) as Record<string, unknown>;
    expect(actor).toMatchObject({
      type: "Person",
      preferredUsername: "ada",
      manuallyApprovesFollowers: true,
    });

    expect(
      (
        await call(university, university.token, "/teachers", {
          method: "POST",
          json: { handle: "ada", name: "Other" },
        })
      ).status,
    ).toBe(409);
    // A teacher answers the requests to follow themself, never the institution's.
    expect(await call(university, teacherToken, "/follow-requests")).toMatchObject({
      status: 200,
      body: { items: [] },
    });
    expect((await call(university, teacherToken, "/follow-requests?for=univ")).status).toBe(403);

    const upload = await call(university, teacherToken, "/uploads", {
      method: "POST",
      body: await readFile(fixture("m285-zip-activity-quiz-nousers.mbz")),
    });
    const published = await call(university, teacherToken, "/courses", {
      method: "POST",
      json: { uploadId: upload.body.id, title: "Quiz from Ada" },
    });
    expect(published.status).toBe(201);

    // The school follows only the institution: the course reaches it through the Announce.
    const entry = await eventually(() =>
      school.node.services.catalog.catalogEntry(published.body.object as string),
    );
    expect(entry.actorUri).toBe(teacherActor);
    expect(entry.title).toBe("Quiz from Ada");
  });
});
