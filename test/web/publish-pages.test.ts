import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AccountRepository } from "../../packages/node/src/accounts/account-repository.ts";
import { createAccount } from "../../packages/node/src/accounts/account-service.ts";
import { eventually } from "../support/eventually.ts";
import { followAndApprove } from "../support/federation-steps.ts";
import { fixture, haveFixtures } from "../support/shared-fixtures.ts";
import { startTestNode, type TestNode } from "../support/test-node.ts";
import { WebClient } from "./web-client.ts";

const CLEAN = "m26dev-zip-course-glossary-nousers.mbz";
const WITH_USERS = "m3107-tgz-course-quiz-users-logs.mbz";

let publisher: TestNode;
let follower: TestNode;

async function signedIn(node: TestNode, username: string, role: "admin" | "teacher" | "viewer") {
  const { password } = await createAccount(
    { actors: node.node.services.actors, accounts: new AccountRepository(node.node.db) },
    { username, role, displayName: username === "marie" ? "Marie Curie" : username },
  );
  const client = new WebClient(node.url);
  expect((await client.login(username, password)).status).toBe(303);
  return client;
}

function sessionCookie(client: WebClient): string {
  return `coursefed_session=${client.cookie("coursefed_session")}`;
}

/** What the page's script does: the file as the raw body, the token in a header. */
async function uploadRaw(
  client: WebClient,
  file: string | Uint8Array,
  path = "/publish/upload",
  token = client.csrf,
): Promise<Response> {
  return fetch(new URL(path, publisher.url), {
    method: "POST",
    redirect: "manual",
    headers: {
      cookie: sessionCookie(client),
      "content-type": "application/octet-stream",
      "x-csrf-token": token,
    },
    body: typeof file === "string" ? readFileSync(fixture(file)) : file,
  });
}

/** What a browser without script sends: the form, token first, then the file. */
async function uploadForm(
  client: WebClient,
  name: string,
  token = client.csrf,
  path = "/publish/upload",
): Promise<Response> {
  const form = new FormData();
  form.set("_csrf", token);
  form.set("backup", new Blob([readFileSync(fixture(name))]), name);
  return fetch(new URL(path, publisher.url), {
    method: "POST",
    redirect: "manual",
    headers: { cookie: sessionCookie(client) },
    body: form,
  });
}

describe.runIf(haveFixtures())("publishing from the web interface", () => {
  let admin: WebClient;
  let teacher: WebClient;
  let viewer: WebClient;

  beforeAll(async () => {
    [publisher, follower] = await Promise.all([
      startTestNode("univ", "Université Exemple", { maxUpload: "1MiB" }),
      startTestNode("school"),
    ]);
    await followAndApprove(follower, publisher);
    [admin, teacher, viewer] = await Promise.all([
      signedIn(publisher, "alice", "admin"),
      signedIn(publisher, "marie", "teacher"),
      signedIn(publisher, "victor", "viewer"),
    ]);
  });
  afterAll(async () => {
    await Promise.all([publisher, follower].map((peer) => peer?.stop()));
  });

  it("uploads a clean backup without script, shows the scan, publishes it to followers", async () => {
    const form = await admin.page("/publish");
    expect(form.status).toBe(200);
    expect(form.html).toContain('enctype="multipart/form-data"');
    expect(form.html).toContain('<progress id="upload-bar"');
    const uploaded = await uploadForm(admin, CLEAN);
    expect(uploaded.status).toBe(303);
    const review = await admin.page(uploaded.headers.get("location") ?? "");
    expect(review.status).toBe(200);
    expect(review.html).toContain("No personal data");
    expect(review.html).toMatch(/Made on Moodle<\/dt><dd>2\.6dev/);
    expect(review.html).toContain("glossary × 1");
    expect(review.html).not.toContain("Remove personal data");

    const action = /action="(\/publish\/review\/[^"]+)"/.exec(review.html)?.[1] ?? "";
    const published = await admin.post(action, {
      title: "Glossaire de chimie",
      summary: "Les termes du cours.",
      tags: "chimie, #glossaire",
      license: "CC-BY-4.0",
      visibility: "public",
    });
    expect(published.status).toBe(303);
    expect(published.headers.get("location")).toMatch(/^\/my-courses\?notice=published&course=/);
    const course = (
      await publisher.node.services.courses.publishedCourses(publisher.node.institution.id)
    ).find((c) => c.title === "Glossaire de chimie");
    expect(course?.tags).toEqual(["chimie", "glossaire"]);
    const objectUri = new URL(`/courses/${course?.id}`, publisher.url).href;
    await eventually(() => follower.node.services.catalog.catalogEntry(objectUri));

    const mine = await admin.page(published.headers.get("location") ?? "");
    expect(mine.html).toContain("Published: followers receive it.");
    expect(mine.html).toContain(`<a href="/courses/${course?.id}">Glossaire de chimie</a>`);
    // The upload was published: its review page is gone.
    expect((await admin.page(action)).status).toBe(404);
  });

  it("streams the raw body the page's script sends, like the API", async () => {
    await teacher.page("/publish");
    const uploaded = await uploadRaw(teacher, CLEAN);
    expect(uploaded.status).toBe(303);
    expect((await teacher.page(uploaded.headers.get("location") ?? "")).html).toContain(
      "No personal data",
    );
  });

  it("refuses a backup with users, lists the findings, then sanitizes and publishes", async () => {
    await teacher.page("/publish");
    const uploaded = await uploadRaw(teacher, WITH_USERS);
    expect(uploaded.status).toBe(303);
    const review = await teacher.page(uploaded.headers.get("location") ?? "");
    expect(review.html).toContain("Personal data found");
    expect(review.html).toMatch(/<th scope="row">User accounts<\/th><td>\d+<\/td>/);
    expect(review.html).toMatch(/<th scope="row">Logs<\/th>/);
    expect(review.html).toContain("Remove personal data and publish");
    expect(review.html).not.toMatch(/<button type="submit">Publish<\/button>/);
    const action = /action="(\/publish\/review\/[^"]+)"/.exec(review.html)?.[1] ?? "";

    // Sent without asking to sanitize (an old page, a crafted form): refused, nothing published.
    const asIs = await teacher.post(action, { title: "Quiz", visibility: "public" });
    expect(asIs.status).toBe(422);
    expect(await asIs.text()).toContain("holds personal data: it was not published");
    const marie = await publisher.node.services.actors.byHandle("marie");
    expect(await publisher.node.services.courses.publishedCourses(marie?.id)).toEqual([]);

    const sanitized = await teacher.post(action, {
      title: "Quiz sans étudiants",
      visibility: "followers",
      sanitize: "true",
    });
    expect(sanitized.status).toBe(303);
    // A teacher publishes as their own actor, not as the institution.
    const [course] = await publisher.node.services.courses.publishedCourses(marie?.id);
    expect(course?.title).toBe("Quiz sans étudiants");
    expect(course?.visibility).toBe("followers");
    // The backup as uploaded, with its personal data, is not kept once published sanitized.
    const original = createHash("sha256")
      .update(readFileSync(fixture(WITH_USERS)))
      .digest("hex");
    expect(existsSync(publisher.node.services.blobs.pathOf(original))).toBe(false);
  });

  it("answers an upload over the cap with a page saying so (413)", async () => {
    await teacher.page("/publish");
    const big = await uploadRaw(teacher, new Uint8Array(2 * 1024 * 1024));
    expect(big.status).toBe(413);
    const text = await big.text();
    expect(text).toContain("Backup too large");
    expect(text).toContain("larger than this node accepts (1 MiB)");
    expect(text).toContain('<a href="/publish">Upload another backup</a>');
  });

  it("says a file that is not a backup is refused", async () => {
    await teacher.page("/publish");
    const refused = await uploadRaw(teacher, new TextEncoder().encode("not a zip"));
    expect(refused.status).toBe(422);
    const text = await refused.text();
    expect(text).toContain("not a Moodle backup coursefed can read");
    // The way on is another file, not the catalog.
    expect(text).toContain('<a href="/publish">Upload another backup</a>');
  });

  it("publishes a new revision of one's course, then withdraws it after confirming", async () => {
    const marie = await publisher.node.services.actors.byHandle("marie");
    const [course] = await publisher.node.services.courses.publishedCourses(marie?.id);
    const mine = await teacher.page("/my-courses");
    expect(mine.html).toContain(`href="/publish?course=${course?.id}"`);
    const form = await teacher.page(`/publish?course=${course?.id}`);
    expect(form.html).toContain("Publish a new revision");
    const uploaded = await uploadForm(
      teacher,
      CLEAN,
      teacher.csrf,
      `/publish/upload?course=${course?.id}`,
    );
    expect(uploaded.status).toBe(303);
    const review = await teacher.page(uploaded.headers.get("location") ?? "");
    // The form starts from the course's metadata.
    expect(review.html).toContain('value="Quiz sans étudiants"');
    const action = /action="(\/publish\/review\/[^"]+)"/.exec(review.html)?.[1] ?? "";
    expect(
      (await teacher.post(action, { title: "Quiz, révision 2", visibility: "followers" })).status,
    ).toBe(303);
    expect(await publisher.node.services.courses.revisions(course?.id ?? "")).toHaveLength(2);
    expect((await teacher.page("/my-courses")).html).toContain("revision 2");

    // Another account's course is out of reach.
    expect((await admin.page(`/publish?course=${course?.id}`)).status).toBe(404);
    expect((await admin.page(`/my-courses/${course?.id}/withdraw`)).status).toBe(404);

    const confirm = await teacher.page(`/my-courses/${course?.id}/withdraw`);
    expect(confirm.html).toContain("This cannot be undone.");
    const withdrawn = await teacher.post(`/my-courses/${course?.id}/withdraw`, {});
    expect(withdrawn.headers.get("location")).toBe("/my-courses?notice=withdrawn");
    expect(
      (await publisher.node.services.courses.course(course?.id ?? ""))?.deletedAt,
    ).not.toBeNull();
  });

  it("lets an admin see every course; a viewer publishes nothing", async () => {
    const all = await admin.page("/my-courses");
    expect(all.html).toContain("Glossaire de chimie");
    for (const path of ["/publish", "/my-courses"]) {
      expect((await viewer.get(path)).status).toBe(403);
    }
    await viewer.page("/catalog");
    expect((await uploadRaw(viewer, CLEAN)).status).toBe(403);
    // Publishing from a Moodle target is for admins.
    expect(
      (await teacher.post("/publish/moodle", { target: "x", moodleCourseId: "2" })).status,
    ).toBe(403);
    expect((await admin.page("/publish")).html).toContain("Publish from a Moodle site");
    expect((await teacher.page("/publish")).html).not.toContain("Publish from a Moodle site");
  });

  it("refuses every publishing POST without the session's CSRF token", async () => {
    await admin.page("/publish");
    const wrong = "x".repeat(43);
    expect((await uploadRaw(admin, CLEAN, "/publish/upload", wrong)).status).toBe(403);
    expect((await uploadForm(admin, CLEAN, wrong)).status).toBe(403);
    expect((await uploadForm(admin, CLEAN, "")).status).toBe(403);
    const uploaded = await uploadRaw(admin, CLEAN);
    const review = uploaded.headers.get("location") ?? "";
    for (const path of [review, "/publish/moodle", "/my-courses/any/withdraw"]) {
      const refused = await admin.post(path, { _csrf: wrong, title: "t" });
      expect(refused.status, path).toBe(403);
      expect(await refused.text()).toContain("Form expired");
    }
  });
});
