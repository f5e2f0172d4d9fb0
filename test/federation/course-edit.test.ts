import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AccountRepository } from "../../packages/node/src/accounts/account-repository.ts";
import { createAccount } from "../../packages/node/src/accounts/account-service.ts";
import { TokenRepository } from "../../packages/node/src/tokens/token-repository.ts";
import { eventually } from "../support/eventually.ts";
import { followAndApprove } from "../support/federation-steps.ts";
import { fixture, haveFixtures } from "../support/shared-fixtures.ts";
import { startTestNode, type TestNode } from "../support/test-node.ts";
import { WebClient } from "../web/web-client.ts";

let university: TestNode;
let school: TestNode;
const passwords: Record<string, string> = {};
const tokens: Record<string, string> = {};

async function call(token: string, path: string, init: RequestInit = {}) {
  const response = await fetch(new URL(`/api/v1${path}`, university.url), {
    ...init,
    headers: {
      authorization: `Bearer ${token}`,
      "content-type": init.body instanceof Buffer ? "application/octet-stream" : "application/json",
    },
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function publish(token: string, title: string, license?: string) {
  const upload = await call(token, "/uploads", {
    method: "POST",
    body: await readFile(fixture("m285-zip-activity-quiz-nousers.mbz")),
  });
  const published = await call(token, "/courses", {
    method: "POST",
    body: JSON.stringify({ uploadId: upload.body.id, title, license, tags: ["quiz"] }),
  });
  expect(published.status).toBe(201);
  return published.body as { id: string; object: string; sha256: string };
}

const edit = (token: string, id: string, changes: Record<string, unknown>) =>
  call(token, `/courses/${id}`, { method: "PATCH", body: JSON.stringify(changes) });

/** The licence the school's catalog holds for a course, from its signed manifest. */
async function licenseAtSchool(object: string): Promise<unknown> {
  return (await school.node.services.catalog.catalogEntry(object))?.manifest.license;
}

describe.runIf(haveFixtures())("editing a published course's details", () => {
  beforeAll(async () => {
    [university, school] = await Promise.all([startTestNode("univ"), startTestNode("school")]);
    await followAndApprove(school, university);
    const stores = {
      actors: university.node.services.actors,
      accounts: new AccountRepository(university.node.db),
    };
    for (const username of ["ada", "bob"]) {
      const { account, password } = await createAccount(stores, { username, role: "teacher" });
      passwords[username] = password;
      tokens[username] = (
        await new TokenRepository(university.node.db).create(username, "teacher", account.actorId)
      ).token;
    }
    passwords.viewer = (
      await createAccount(stores, { username: "viewer", role: "viewer" })
    ).password;
  });
  afterAll(async () => {
    await Promise.all([university, school].map((peer) => peer?.stop()));
  });

  it("sends the new title, tags and licence to followers, with the same revision and archive", async () => {
    const course = await publish(university.token, "Quiz", "CC-BY-4.0");
    const received = await eventually(() =>
      school.node.services.catalog.catalogEntry(course.object),
    );
    expect(received).toMatchObject({ title: "Quiz", revision: 1, tags: ["quiz"] });
    expect(received.manifest.license).toBe("CC-BY-4.0");

    const edited = await edit(university.token, course.id, {
      title: "Quiz, revised wording",
      summary: "Ten questions on probability.",
      tags: ["probability", "maths"],
      license: "CC-BY-SA-4.0",
    });
    expect(edited.status).toBe(200);
    expect(edited.body).toMatchObject({
      id: course.id,
      revision: 1,
      title: "Quiz, revised wording",
      license: "CC-BY-SA-4.0",
      visibility: "public",
    });
    expect(await university.node.services.courses.revisions(course.id)).toHaveLength(1);

    const updated = await eventually(async () => {
      const entry = await school.node.services.catalog.catalogEntry(course.object);
      return entry?.title === "Quiz, revised wording" && entry;
    });
    expect(updated).toMatchObject({
      revision: 1,
      sha256: course.sha256,
      tags: ["probability", "maths"],
      summary: "<p>Ten questions on probability.</p>",
    });
    // The licence is in the revision's manifest, signed again; the archive did not change.
    expect(await licenseAtSchool(course.object)).toBe("CC-BY-SA-4.0");
    const revisions = await school.node.services.catalog.catalogRevisions(course.object);
    expect(revisions.map((revision) => [revision.revision, revision.sha256])).toEqual([
      [1, course.sha256],
    ]);
    expect(revisions[0]?.manifest.license).toBe("CC-BY-SA-4.0");
    const manifest = await fetch(
      new URL(`/courses/${course.id}/revisions/1/manifest`, university.url),
    );
    const payload = JSON.parse(
      Buffer.from((await manifest.text()).split(".")[1] as string, "base64url").toString(),
    ) as { license: string; revision: number; archive: { sha256: string } };
    expect(payload).toMatchObject({
      license: "CC-BY-SA-4.0",
      revision: 1,
      archive: { sha256: course.sha256 },
    });
  });

  it("lets a teacher edit their own course from My courses; the institution's followers see it", async () => {
    const course = await publish(tokens.ada as string, "Ada's quiz");
    await eventually(() => school.node.services.catalog.catalogEntry(course.object));

    const ada = new WebClient(university.url);
    await ada.login("ada", passwords.ada as string);
    const list = await ada.page("/my-courses");
    expect(list.html).toContain(`href="/my-courses/${course.id}/edit"`);
    const form = await ada.page(`/my-courses/${course.id}/edit`);
    expect(form.status).toBe(200);
    expect(form.html).toContain('value="Ada&#39;s quiz"');
    expect(form.html).toContain("The backup and its revision stay as they are");

    const empty = await ada.post(`/my-courses/${course.id}/edit`, {
      title: " ",
      visibility: "public",
    });
    expect(empty.status).toBe(422);
    expect(await empty.text()).toContain("Give the course a title.");

    const saved = await ada.post(`/my-courses/${course.id}/edit`, {
      title: "Ada's probability quiz",
      summary: "",
      tags: "probability, first year",
      license: "CC0-1.0",
      visibility: "public",
    });
    expect(saved.status).toBe(303);
    expect(saved.headers.get("location")).toBe(`/my-courses?notice=edited&course=${course.id}`);
    expect((await ada.page(saved.headers.get("location") as string)).html).toContain(
      "Details changed: followers receive them, with the same revision.",
    );
    // The school follows only the institution, which announces the edit again.
    const updated = await eventually(async () => {
      const entry = await school.node.services.catalog.catalogEntry(course.object);
      return entry?.title === "Ada's probability quiz" && entry;
    });
    expect(updated).toMatchObject({ revision: 1, tags: ["probability", "first year"] });
    expect(await licenseAtSchool(course.object)).toBe("CC0-1.0");
  });

  it("lets only the author or an admin edit a course", async () => {
    const course = await publish(tokens.ada as string, "Ada's second quiz");
    const bob = await edit(tokens.bob as string, course.id, { title: "Bob's now" });
    expect(bob.status).toBe(403);
    expect((await edit(tokens.bob as string, "no-such-course", { title: "x" })).status).toBe(404);
    expect((await edit(tokens.ada as string, course.id, { title: "" })).status).toBe(400);
    expect((await edit(tokens.ada as string, course.id, {})).status).toBe(400);

    const bobWeb = new WebClient(university.url);
    await bobWeb.login("bob", passwords.bob as string);
    expect((await bobWeb.page(`/my-courses/${course.id}/edit`)).status).toBe(404);
    await bobWeb.page("/my-courses");
    expect(
      (await bobWeb.post(`/my-courses/${course.id}/edit`, { title: "Bob's now" })).status,
    ).toBe(404);
    const viewer = new WebClient(university.url);
    await viewer.login("viewer", passwords.viewer as string);
    expect((await viewer.page(`/my-courses/${course.id}/edit`)).status).toBe(403);
    expect((await university.node.services.courses.course(course.id))?.title).toBe(
      "Ada's second quiz",
    );

    // An admin may edit any course, as the API's admin token and in the console's list.
    const byAdmin = await edit(university.token, course.id, { title: "Retitled by the admin" });
    expect(byAdmin.status).toBe(200);
    const admin = new WebClient(university.url);
    await admin.login("admin", university.node.initialAdminPassword as string);
    expect((await admin.page("/my-courses")).html).toContain(
      `href="/my-courses/${course.id}/edit"`,
    );
    expect((await admin.page(`/my-courses/${course.id}/edit`)).status).toBe(200);
  });

  it("takes a course made private out of followers' catalogs, and brings it back", async () => {
    const course = await publish(university.token, "Shared then private");
    await eventually(() => school.node.services.catalog.catalogEntry(course.object));
    expect((await edit(university.token, course.id, { visibility: "private" })).status).toBe(200);
    await eventually(
      async () => (await school.node.services.catalog.catalogEntry(course.object))?.deletedAt,
    );
    expect((await edit(university.token, course.id, { visibility: "public" })).status).toBe(200);
    const back = await eventually(async () => {
      const entry = await school.node.services.catalog.catalogEntry(course.object);
      return entry?.deletedAt === null && entry;
    });
    expect(back.revision).toBe(1);
  });
});
