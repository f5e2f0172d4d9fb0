import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { AccountRepository } from "../../packages/node/src/accounts/account-repository.ts";
import { createAccount } from "../../packages/node/src/accounts/account-service.ts";
import { applyRestoreRules } from "../../packages/node/src/restores/auto-restore.ts";
import { buildTarGz, moodleBackupXml } from "../support/archive-builder.ts";
import { coursefed } from "../support/coursefed-cli.ts";
import { eventually } from "../support/eventually.ts";
import {
  followAndApprove,
  publishRevisionToFollower,
  publishToFollower,
} from "../support/federation-steps.ts";
import { nodeApi } from "../support/node-api.ts";
import { startTestNode, type TestNode } from "../support/test-node.ts";
import { WebClient } from "../web/web-client.ts";

let university: TestNode;
let school: TestNode;
let directory: string;
let algebra: { id: string; object: string };
/** A course whose first revision's archive its publisher lost (see the test that loses it). */
let geometry: { id: string; object: string };
const delivered: string[] = [];

async function backup(
  name: string,
  activities: Array<{ module: string; id: number; title: string }>,
): Promise<string> {
  const path = join(directory, name);
  await writeFile(
    path,
    await buildTarGz([{ name: "moodle_backup.xml", data: moodleBackupXml({ activities }) }]),
  );
  return path;
}

/** Publishes `file` as revision 1 and `next` as revision 2 of a course the school follows. */
async function twoRevisions(title: string, file: string, next: string) {
  const object = await publishToFollower(university, school, file, { title });
  await publishRevisionToFollower(university, school, object, next);
  return { id: object.split("/").at(-1) as string, object };
}

describe("what changed between two revisions, across nodes", () => {
  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), "coursefed-changes-"));
    [university, school] = await Promise.all([startTestNode("univ"), startTestNode("school")]);
    await followAndApprove(school, university);
    // What the school's inbox is posted: the Update as it arrives, however it was sent
    // (deliveries need not go through fetch).
    const federation = school.node.federation;
    const handle = federation.fetch.bind(federation);
    vi.spyOn(federation, "fetch").mockImplementation(async (request, options) => {
      if (request.method === "POST") delivered.push(await request.clone().text());
      return await handle(request, options);
    });
    algebra = await twoRevisions(
      "Algebra",
      await backup("algebra-1.mbz", [{ module: "page", id: 4, title: "Welcome" }]),
      await backup("algebra-2.mbz", [
        { module: "page", id: 4, title: "Welcome back" },
        { module: "quiz", id: 5, title: "First check" },
      ]),
    );
  });
  afterAll(async () => {
    vi.restoreAllMocks();
    await Promise.all([university, school].map((peer) => peer?.stop()));
    await rm(directory, { recursive: true, force: true });
  });

  it("tells followers in the Update what the new revision changed", async () => {
    const updates = delivered
      .map((body) => JSON.parse(body) as { type: string; object: { content: string } })
      .filter((activity) => activity.type === "Update");
    expect(updates).toHaveLength(1);
    expect(updates[0]?.object.content).toContain(
      "<p>Changes since revision 1: 1 activity added, 1 renamed.</p>",
    );
    const response = await fetch(algebra.object, {
      headers: { accept: "application/activity+json" },
    });
    const object = (await response.json()) as { content: string };
    expect(object.content).toContain(
      "<p>Changes since revision 1: 1 activity added, 1 renamed.</p>",
    );
    const first = await university.node.services.courses.revision(algebra.id, 1);
    expect(first?.changes).toBeNull();
  });

  it("says what changed in English and French, and the follower shows it in its reader's language", async () => {
    const english = "1 activity added, 1 renamed.";
    const french = "1 activité ajoutée, 1 renommée.";
    const [update] = delivered
      .map((body) => JSON.parse(body) as { type: string; summary?: string; summaryMap?: unknown })
      .filter((activity) => activity.type === "Update");
    // Those that read only `summary` (or the object's content) get English.
    expect(update?.summary).toBe(english);
    expect(update?.summaryMap).toEqual({ en: english, fr: french });
    const revisions = await school.node.services.catalog.catalogRevisions(algebra.object);
    expect(revisions.map((revision) => [revision.revision, revision.changes])).toEqual([
      [2, { en: english, fr: french }],
      [1, null],
    ]);
    const { body } = await nodeApi(
      school,
      `/catalog/course?${new URLSearchParams({ object: algebra.object })}`,
    );
    expect((body as { revisions: Array<{ changes: unknown }> }).revisions[0]?.changes).toEqual({
      en: english,
      fr: french,
    });
    const web = new WebClient(school.url);
    const { password } = await createAccount(
      { actors: school.node.services.actors, accounts: new AccountRepository(school.node.db) },
      { username: "reader", role: "viewer" },
    );
    await web.login("reader", password);
    const path = `/catalog/course?object=${encodeURIComponent(algebra.object)}`;
    expect((await web.page(path)).html).toContain(`<td class="revision-changes">${english}</td>`);
    const inFrench = await web.page(path, { "accept-language": "fr" });
    expect(inFrench.html).toContain('<th scope="col">Ce qui a changé</th>');
    expect(inFrench.html).toContain(`<td class="revision-changes">${french}</td>`);
  });

  it("works the changes of a catalog course out from both archives, fetched verified", async () => {
    const held = (await school.node.services.catalog.catalogRevisions(algebra.object)).map(
      (revision) => revision.sha256,
    );
    for (const sha256 of held) expect(await school.node.services.blobs.has(sha256)).toBeUndefined();
    const query = new URLSearchParams({ object: algebra.object, from: "1", to: "2" });
    const { status, body } = await nodeApi(school, `/catalog/changes?${query}`);
    expect(status).toBe(200);
    expect(body).toMatchObject({ object: algebra.object, from: 1, to: 2 });
    expect(body.diff.activities.added).toEqual([
      { id: 5, module: "quiz", title: "First check", section: { id: 1, number: 0, title: "0" } },
    ]);
    expect(body.diff.activities.renamed).toEqual([
      { id: 4, module: "page", title: "Welcome back", oldTitle: "Welcome" },
    ]);
    for (const sha256 of held) expect(await school.node.services.blobs.has(sha256)).toBeDefined();
  });

  it("coursefed catalog --object URL --changes 1..2 prints them", async () => {
    const run = await coursefed(school, "catalog", "--object", algebra.object, "--changes", "1..2");
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`Revision 1 → 2 of ${algebra.object}`);
    expect(run.stdout).toContain("1 activity added, 1 renamed.");
    expect(run.stdout).toContain('quiz "First check" in section 0');
    const json = await coursefed(
      school,
      "catalog",
      "--object",
      algebra.object,
      "--changes",
      "2",
      "--json",
    );
    expect(JSON.parse(json.stdout).diff.unchanged).toBe(false);
    const alone = await coursefed(school, "catalog", "--changes", "1..2");
    expect(alone.code).toBe(2);
    expect(alone.stderr).toContain("--changes needs --object");
  });

  it("says so when a revision's archive is no longer available from its publisher", async () => {
    geometry = await twoRevisions(
      "Geometry",
      await backup("geometry-1.mbz", [{ module: "page", id: 7, title: "Angles" }]),
      await backup("geometry-2.mbz", [{ module: "page", id: 7, title: "Angles and lines" }]),
    );
    const first = await university.node.services.courses.revision(geometry.id, 1);
    await rm(university.node.services.blobs.pathOf(first?.sha256 as string));
    const query = new URLSearchParams({ object: geometry.object, from: "1", to: "2" });
    const { status, body } = await nodeApi(school, `/catalog/changes?${query}`);
    expect(status).toBe(502);
    expect(body.error.code).toBe("archive_unavailable");
    expect(body.error.message).toContain(`The archive of revision 1 of ${geometry.object}`);
    const missing = await nodeApi(
      school,
      `/catalog/changes?${new URLSearchParams({ object: geometry.object, from: "1", to: "9" })}`,
    );
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe("no_such_revision");
  });

  it("shows the changes on the web to a teacher, from the course page's revision picker", async () => {
    const stores = {
      actors: school.node.services.actors,
      accounts: new AccountRepository(school.node.db),
    };
    const web = new WebClient(school.url);
    const { password } = await createAccount(stores, { username: "tess", role: "teacher" });
    await web.login("tess", password);
    const course = await web.page(`/catalog/course?object=${encodeURIComponent(algebra.object)}`);
    expect(course.html).toContain('action="/catalog/changes"');
    const query = new URLSearchParams({ object: algebra.object, from: "1", to: "2" });
    const changes = await web.page(`/catalog/changes?${query}`);
    expect(changes.status).toBe(200);
    expect(changes.html).toContain("Algebra: what changed from revision 1 to 2");
    expect(changes.html).toContain("quiz “First check” in section 0");
    expect(changes.html).toContain("page “Welcome” → “Welcome back”");
    const french = await web.page(`/catalog/changes?${query}`, { "accept-language": "fr" });
    expect(french.html).toContain("Activités ajoutées");

    const { password: viewerPassword } = await createAccount(stores, {
      username: "vic",
      role: "viewer",
    });
    const viewer = new WebClient(school.url);
    await viewer.login("vic", viewerPassword);
    expect((await viewer.page(`/catalog/changes?${query}`)).status).toBe(403);
  });

  it("shows what an update changes before it is applied to a restored course", async () => {
    const target = await school.node.services.moodleTargets.add({
      name: "campus",
      driver: "ws",
      // Nothing listens: the changes are the node's to tell, Moodle is not asked for them.
      url: "http://127.0.0.1:9",
      token: "t",
      timeoutMs: 2_000,
    });
    const job = {
      targetId: target.id,
      objectUri: algebra.object,
      revision: 1,
      id: "earlier-restore",
    };
    await school.node.services.restores.recordLineage(job as never, 42);
    const query = new URLSearchParams({ object: algebra.object, target: "campus", course: "42" });
    const { status, body } = await nodeApi(school, `/restores/changes?${query}`);
    expect(status).toBe(200);
    expect(body.changes).toMatchObject({ from: 1, to: 2 });
    expect(body.changes.diff.activities.added[0].title).toBe("First check");
    const elsewhere = await nodeApi(
      school,
      `/restores/changes?${query.toString().replace("course=42", "course=43")}`,
    );
    expect(elsewhere.body).toEqual({ changes: null });
    const noTarget = await nodeApi(
      school,
      `/restores/changes?${query.toString().replace("campus", "nowhere")}`,
    );
    expect(noTarget.status).toBe(404);

    const run = await coursefed(
      school,
      "restore",
      algebra.object,
      "--target",
      "campus",
      "--into-course",
      "42",
      "--mode",
      "merge",
    );
    expect(run.stdout).toContain(
      "What the update changes, from revision 1 (in Moodle course 42) to 2:\n1 activity added, 1 renamed.",
    );

    const stores = {
      actors: school.node.services.actors,
      accounts: new AccountRepository(school.node.db),
    };
    const { password } = await createAccount(stores, { username: "ada", role: "admin" });
    const web = new WebClient(school.url);
    await web.login("ada", password);
    await web.page(`/catalog/course?object=${encodeURIComponent(algebra.object)}`);
    const confirm = await web.post("/catalog/restore", {
      object: algebra.object,
      target: "campus",
      destination: "existing-course",
      intoCourse: "42",
      mode: "merge",
    });
    const html = await confirm.text();
    expect(html).toContain("What the update changes, from revision 1 (in the Moodle course) to 2");
    expect(html).toContain("quiz “First check” in section 0");
  });

  it("shows the changes of a course published here on its author's pages", async () => {
    const stores = {
      actors: university.node.services.actors,
      accounts: new AccountRepository(university.node.db),
    };
    const { password } = await createAccount(stores, { username: "root", role: "admin" });
    const web = new WebClient(university.url);
    await web.login("root", password);
    const mine = await web.page("/my-courses");
    expect(mine.html).toContain(`href="/my-courses/${algebra.id}/changes"`);
    const changes = await web.page(`/my-courses/${algebra.id}/changes`);
    expect(changes.status).toBe(200);
    expect(changes.html).toContain("Algebra: what changed from revision 1 to 2");
    expect(changes.html).toContain("quiz “First check” in section 0");
    const missing = await web.page(`/my-courses/${algebra.id}/changes?from=1&to=5`);
    expect(missing.status).toBe(404);
    expect(missing.html).toContain("has no revision 5");
  });

  it("shows the changes of a course published here to its node", async () => {
    const { status, body } = await nodeApi(
      university,
      `/courses/${algebra.id}/changes?from=1&to=2`,
    );
    expect(status).toBe(200);
    expect(body.diff.activities.added.map((activity: { title: string }) => activity.title)).toEqual(
      ["First check"],
    );
    const missing = await nodeApi(university, `/courses/${algebra.id}/changes?from=1&to=3`);
    expect(missing.status).toBe(404);
    expect(missing.body.error.message).toContain("has no revision 3");
  });

  it("records on an auto-restore rule's job what its update in place changed, or why it cannot tell", async () => {
    const services = school.node.services;
    const target = await services.moodleTargets.add({
      name: "by-rules",
      driver: "cli",
      url: "https://by-rules.example",
      // Moodle is not there: the restore fails after the changes are worked out.
      moodleDir: join(directory, "no-moodle"),
    });
    await services.moodleTargets.saveProbe(target, {
      version: "2024100706.00",
      release: "4.5.6 (Build: 20250811)",
      branch: "4.5",
      plugins: { mod_page: 2024100700, mod_quiz: 2024100700 },
      maxRestoreBytes: null,
    });
    // Revision 1 of each course was restored before, into Moodle courses 61 and 62.
    for (const [object, moodleCourseId] of [
      [algebra.object, 61],
      [geometry.object, 62],
    ] as const) {
      const earlier = { targetId: target.id, objectUri: object, revision: 1, id: `${object}#1` };
      await services.restores.recordLineage(earlier as never, moodleCourseId);
    }
    await services.restores.addRule({
      actorUri: null,
      tag: null,
      on: "updated",
      targetId: target.id,
      categoryId: 1,
      mode: "update-in-place",
      createdBy: "test admin",
    });
    const ruleJob = async (object: string) => {
      const entry = await services.catalog.catalogEntry(object);
      const arrived = { objectUri: object, revision: 2, actorUri: entry?.actorUri as string };
      expect(await applyRestoreRules(services, { ...arrived, tags: [], isNew: false })).toBe(1);
      const [job] = (await services.restores.jobs({ limit: 200, offset: 0 })).filter(
        (job) => job.objectUri === object && job.targetId === target.id,
      );
      // The restore went on to Moodle, and failed there.
      await eventually(
        async () => (await services.restores.job(job?.id as string))?.state === "failed",
      );
      return (await nodeApi(school, `/restores/${job?.id}`)).body;
    };

    const updated = await ruleJob(algebra.object);
    expect(updated).toMatchObject({
      requestedBy: expect.stringMatching(/^rule /),
      destination: { kind: "existing-course", courseId: 61, mode: "replace" },
      errorCode: "misconfigured",
      changes: { from: 1, to: 2, unavailable: null },
    });
    expect(updated.changes.diff.activities.added[0].title).toBe("First check");
    const shown = await coursefed(school, "restores", "--id", updated.id);
    expect(shown.stdout).toContain(
      "What the update changed, from revision 1 (in Moodle course 61) to 2:\n1 activity added, 1 renamed.",
    );
    const stores = {
      actors: school.node.services.actors,
      accounts: new AccountRepository(school.node.db),
    };
    const { password } = await createAccount(stores, { username: "rules-admin", role: "admin" });
    const web = new WebClient(school.url);
    await web.login("rules-admin", password);
    const page = (await web.page("/restores")).html;
    expect(page).toContain("What this update changed, from revision 1 (in the Moodle course) to 2");
    expect(page).toContain("quiz “First check” in section 0");

    // Revision 1 of geometry is gone from its publisher: the restore goes on, saying why.
    const blind = await ruleJob(geometry.object);
    expect(blind).toMatchObject({
      errorCode: "misconfigured",
      changes: { from: 1, to: 2, diff: null },
    });
    expect(blind.changes.unavailable).toContain(`The archive of revision 1 of ${geometry.object}`);
    expect((await coursefed(school, "restores", "--id", blind.id)).stdout).toContain(
      "What the update changed, from revision 1 (in Moodle course 62) to 2: cannot be shown: The archive of revision 1",
    );
  });
});
