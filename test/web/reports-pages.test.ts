import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AccountRepository } from "../../packages/node/src/accounts/account-repository.ts";
import { createAccount } from "../../packages/node/src/accounts/account-service.ts";
import { publishCourse } from "../../packages/node/src/courses/publish-service.ts";
import { domainServices } from "../../packages/node/src/federation/domain-services.ts";
import { eventually } from "../support/eventually.ts";
import {
  contextOf,
  followAndApprove,
  publishToFollower,
  writeOnePageBackup,
} from "../support/federation-steps.ts";
import { startTestNode, type TestNode } from "../support/test-node.ts";
import { WebClient } from "./web-client.ts";

// univ publishes and adapts its own course; school follows univ and reports from its pages.
let univ: TestNode;
let school: TestNode;
let directory: string;
let original: string;
let adapted: string;

/** A signed-in web account of `role` on `peer`. */
async function signedIn(peer: TestNode, username: string, role: "admin" | "teacher" | "viewer") {
  const { password } = await createAccount(
    { actors: peer.node.services.actors, accounts: new AccountRepository(peer.node.db) },
    { username, role },
  );
  const client = new WebClient(peer.url);
  expect((await client.login(username, password)).status).toBe(303);
  return client;
}

const coursePage = (object: string) => `/catalog/course?object=${encodeURIComponent(object)}`;

beforeAll(async () => {
  [univ, school] = await Promise.all([
    startTestNode("univ", "Université A"),
    startTestNode("school"),
  ]);
  await followAndApprove(school, univ);
  directory = await mkdtemp(join(tmpdir(), "coursefed-report-pages-"));
  const file = await writeOnePageBackup(directory);
  original = await publishToFollower(univ, school, file, {
    title: "Optique",
    license: "CC BY-SA 4.0",
  });
  const derived = await publishCourse(
    domainServices(contextOf(univ)),
    univ.node.institution,
    file,
    { title: "Optique (adaptée)" },
    { derivedFrom: { object: original, revision: 1 } },
  );
  adapted = new URL(`/courses/${derived.course.id}`, univ.url).href;
  await eventually(() => school.node.services.catalog.catalogEntry(adapted));
});
afterAll(async () => {
  await Promise.all([univ, school].map((peer) => peer?.stop()));
  if (directory) await rm(directory, { recursive: true, force: true });
});

describe("reports and lineage on the web", () => {
  it("shows the lineage with each ancestor's authors and licence", async () => {
    const viewer = await signedIn(school, "vera", "viewer");
    const { html } = await viewer.page(coursePage(adapted));
    expect(html).toContain("Every course this one adapts");
    expect(html).toMatch(
      /by Université A — licence CC BY-SA 4\.0 <small>\(in our catalog\)<\/small>/,
    );
    // A viewer may read, not report.
    expect(html).not.toContain("Report this course");
  });

  it("lets a teacher report a course from its page, and the publisher's admin answer it", async () => {
    const teacher = await signedIn(school, "tess", "teacher");
    const page = await teacher.page(coursePage(original));
    expect(page.html).toContain("Report this course");
    expect(page.html).toContain('<option value="personal-data">Personal data</option>');
    const sent = await teacher.post("/catalog/report", {
      object: original,
      reason: "personal-data",
      comment: "Des noms d'élèves dans le forum.",
    });
    expect(sent.status).toBe(303);
    expect((await teacher.page(sent.headers.get("location") ?? "")).html).toContain("Report sent");
    const refused = await teacher.post("/catalog/report", {
      object: original,
      reason: "gossip",
      comment: "",
    });
    expect(refused.status).toBe(422);
    expect(await refused.text()).toContain("is not a reason for a report");

    const admin = await signedIn(univ, "ada", "admin");
    const queue = await eventually(async () => {
      const { html } = await admin.page("/admin/reports");
      return html.includes("Des noms d&#39;élèves dans le forum.") && html;
    });
    expect(queue).toContain(`from ${school.url.host}`);
    expect(queue).toContain("Personal data");
    const [report] = await univ.node.services.reports.list("received");
    const answered = await admin.post("/admin/reports", {
      report: report?.id ?? "",
      action: "answer",
      answer: "Retiré du forum, merci.",
    });
    expect(answered.status).toBe(303);
    await eventually(
      async () =>
        (await school.node.services.reports.list("sent"))[0]?.answer === "Retiré du forum, merci.",
    );
    const schoolAdmin = await signedIn(school, "sam", "admin");
    const french = await schoolAdmin.page("/admin/reports", { "accept-language": "fr" });
    expect(french.html).toContain("Envoyés sur des cours d&#39;autres nœuds");
    expect(french.html).toContain("Retiré du forum, merci.");
    expect(french.html).toContain("Bloquer le serveur de l&#39;éditeur");
  });

  it("checks the source's licence on the publish form, and credits it", async () => {
    const teacher = await signedIn(school, "paul", "teacher");
    await teacher.page("/publish");
    const form = new FormData();
    form.set("_csrf", teacher.csrf);
    form.set("backup", new Blob([await readFile(join(directory, "course.mbz"))]), "course.mbz");
    const uploaded = await fetch(new URL("/publish/upload", school.url), {
      method: "POST",
      redirect: "manual",
      headers: { cookie: `coursefed_session=${teacher.cookie("coursefed_session")}` },
      body: form,
    });
    const review = await teacher.page(uploaded.headers.get("location") ?? "");
    expect(review.html).toContain('name="derivedFrom"');
    const action = /action="(\/publish\/review\/[^"]+)"/.exec(review.html)?.[1] ?? "";
    const fields = { title: "Optique, version B", visibility: "public", derivedFrom: original };
    const refused = await teacher.post(action, { ...fields, license: "CC BY-NC 4.0" });
    expect(refused.status).toBe(422);
    const page = await refused.text();
    expect(page).toContain("share-alike: publish it under the same licence");
    expect(page).toContain(`value="${original}"`);
    const published = await teacher.post(action, { ...fields, license: "" });
    expect(published.status).toBe(303);
    const [course] = await school.node.services.courses.publishedCourses();
    expect(course?.license).toBe("CC BY-SA 4.0");
    expect(course?.summary).toContain(`licence CC BY-SA 4.0: ${original}`);
  });

  it("keeps the console's queue to admins", async () => {
    const teacher = await signedIn(univ, "theo", "teacher");
    expect((await teacher.get("/admin/reports")).status).toBe(403);
  });
});
