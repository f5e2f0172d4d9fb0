/**
 * A registered Moodle site importing from the catalog over the API, with its site token:
 * the catalog filtered to what its own target restores (restorable=site), imports into its
 * own target only, for a Moodle user whose capabilities the site checked, and a course's
 * origin with "update available" once a newer revision arrives.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { MoodleSiteInfo } from "@coursefed/moodle";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { publishCourse, withdrawCourse } from "../../packages/node/src/courses/publish-service.ts";
import { domainServices } from "../../packages/node/src/federation/domain-services.ts";
import type { RestoreJob } from "../../packages/node/src/restores/restore-repository.ts";
import { TokenRepository } from "../../packages/node/src/tokens/token-repository.ts";
import { buildTarGz, moodleBackupXml } from "../support/archive-builder.ts";
import { eventually } from "../support/eventually.ts";
import { contextOf, followAndApprove } from "../support/federation-steps.ts";
import { type NodeApiCall, nodeApi } from "../support/node-api.ts";
import { startTestNode, type TestNode } from "../support/test-node.ts";

let university: TestNode;
let school: TestNode;
let workDir: string;
let object: string;
let courseId: string;
/** The site token of the school's "campus" target. */
let siteToken: string;

/** How the plugin names the Moodle user it acts for: base64url of their JSON. */
const actingUser = (id: number, username: string) =>
  Buffer.from(
    JSON.stringify({ id, username, fullname: `Teacher ${username}`, email: "" }),
  ).toString("base64url");

const api = (path: string, call: NodeApiCall = {}) => nodeApi(school, path, call);

const site = (token = siteToken, user = actingUser(12, "marie")) => ({ token, user });

const probed: MoodleSiteInfo = {
  version: "2024100700",
  release: "4.5.6 (Build: 20250811)",
  branch: "45",
  plugins: { mod_page: 2024100700, mod_quiz: 2024100700 },
  maxRestoreBytes: null,
};

async function backup(name: string, activities: { module: string; id: number; title: string }[]) {
  const path = join(workDir, name);
  await writeFile(
    path,
    await buildTarGz([{ name: "moodle_backup.xml", data: moodleBackupXml({ activities }) }]),
  );
  return path;
}

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), "coursefed-site-imports-"));
  [university, school] = await Promise.all([
    startTestNode("univ", "University"),
    startTestNode("school", "School"),
  ]);
  await followAndApprove(school, university);
  const published = await publishCourse(
    domainServices(contextOf(university)),
    university.node.institution,
    await backup("one.mbz", [{ module: "page", id: 4, title: "Welcome" }]),
    { title: "Optique", tags: ["physique"] },
  );
  courseId = published.course.id;
  object = new URL(`/courses/${courseId}`, university.url).href;
  await eventually(() => school.node.services.catalog.catalogEntry(object));
  const targets = school.node.services.moodleTargets;
  const campus = await targets.add({
    name: "campus",
    driver: "ws",
    url: "https://moodle.campus.example",
    token: "ws-token",
  });
  const other = await targets.add({
    name: "other",
    driver: "ws",
    url: "https://moodle.other.example",
    token: "ws-token",
  });
  await targets.saveProbe(other, probed);
  siteToken = (
    await new TokenRepository(school.node.db).replaceSiteToken(
      campus.id,
      "site campus",
      school.node.institution.id,
    )
  ).token;
});
afterAll(async () => {
  await Promise.all([university, school].map((peer) => peer?.stop()));
  await rm(workDir, { recursive: true, force: true });
});

describe("the catalog as a site sees it", () => {
  it("restorable=site judges the site's own target only, and is refused to other tokens", async () => {
    // Only "other" is probed: the node as a whole can restore the course, the campus cannot tell.
    const everywhere = await api("/catalog?restorable=true");
    expect(everywhere.body.total).toBe(1);
    const onCampus = await api("/catalog?restorable=site", { token: siteToken });
    expect(onCampus.status).toBe(200);
    expect(onCampus.body).toMatchObject({ total: 0, emptyReason: { code: "no_probed_target" } });

    const campus = await school.node.services.moodleTargets.byName("campus");
    if (!campus) throw new Error("campus was added in beforeAll");
    await school.node.services.moodleTargets.saveProbe(campus, probed);
    const probedCampus = await api("/catalog?restorable=site", { token: siteToken });
    expect(probedCampus.body.items.map((item: { object: string }) => item.object)).toEqual([
      object,
    ]);

    const admin = await api("/catalog?restorable=site");
    expect(admin.status).toBe(400);
    expect(admin.body.error.message).toContain("restorable=true");
  });

  it("tells the compatibility with the site's own target, not the node's others", async () => {
    const verdicts = await api(`/catalog/compatibility?object=${encodeURIComponent(object)}`, {
      token: siteToken,
    });
    expect(verdicts.status).toBe(200);
    expect(verdicts.body.targets.map((target: { target: string }) => target.target)).toEqual([
      "campus",
    ]);
    const all = await api(`/catalog/compatibility?object=${encodeURIComponent(object)}`);
    expect(all.body.targets).toHaveLength(2);
  });
});

describe("imports", () => {
  let job: { id: string; state: string; destination: Record<string, unknown> };

  it("queues a restore into the site's own target, into a category the node never opened to teachers", async () => {
    const campus = await school.node.services.moodleTargets.byName("campus");
    expect(campus?.teacherCategoryIds).toEqual([]);
    const asked = await api("/site/imports", {
      method: "POST",
      ...site(),
      json: {
        catalogCourse: object,
        destination: { kind: "new-course", categoryId: 7, fullName: "Optique (copie)" },
      },
    });
    expect(asked.status, JSON.stringify(asked.body)).toBe(202);
    job = asked.body.job;
    expect(job).toMatchObject({
      object,
      revision: 1,
      state: "queued",
      destination: { kind: "new-course", categoryId: 7 },
    });
    const stored = (await school.node.services.restores.job(job.id)) as RestoreJob;
    expect(stored.targetId).toBe(campus?.id);
    expect(stored.requestedBy).toBe("site campus for marie");
  });

  it("gives each Moodle user importing the same new course a job of her own, and her own again", async () => {
    const importAs = (user: ReturnType<typeof actingUser>) =>
      api("/site/imports", {
        method: "POST",
        ...site(siteToken, user),
        json: {
          catalogCourse: object,
          destination: { kind: "new-course", categoryId: 7, fullName: "Optique (copie)" },
        },
      });
    const paul = await importAs(actingUser(13, "paul"));
    expect(paul.status).toBe(202);
    expect(paul.body.job.id).not.toBe(job.id);
    expect(paul.body.repeat).toBeNull();
    expect((await school.node.services.restores.job(paul.body.job.id))?.requestedBy).toBe(
      "site campus for paul",
    );
    expect((await importAs(actingUser(12, "marie"))).body.job.id).toBe(job.id);
    expect((await importAs(actingUser(13, "paul"))).body.job.id).toBe(paul.body.job.id);
  });

  it("is refused without a Moodle user, to other tokens, and into an existing course without confirm", async () => {
    const body = { catalogCourse: object, destination: { kind: "new-course", categoryId: 7 } };
    const anonymous = await api("/site/imports", { method: "POST", token: siteToken, json: body });
    expect(anonymous.status).toBe(403);
    expect(anonymous.body.error.code).toBe("moodle_user_required");
    const admin = await api("/site/imports", { method: "POST", json: body });
    expect(admin.status).toBe(403);
    expect(admin.body.error.code).toBe("site_token_required");
    const unconfirmed = await api("/site/imports", {
      method: "POST",
      ...site(),
      json: {
        catalogCourse: object,
        destination: { kind: "existing-course", courseId: 31, mode: "replace" },
      },
    });
    expect(unconfirmed.status).toBe(409);
    expect(unconfirmed.body.error.code).toBe("confirmation_required");
    const missing = await api("/site/imports", {
      method: "POST",
      ...site(),
      json: { ...body, catalogCourse: `${object}-nothing` },
    });
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe("not_in_catalog");
  });

  it("shows the site its own jobs, and no other target's", async () => {
    const shown = await api(`/site/imports/${job.id}`, { token: siteToken });
    expect(shown.status).toBe(200);
    expect(shown.body).toMatchObject({ id: job.id, object });
    const elsewhere = await api("/restores", {
      method: "POST",
      json: { object, target: "other", categoryId: 3 },
    });
    expect(elsewhere.status).toBe(202);
    const hidden = await api(`/site/imports/${elsewhere.body.id}`, { token: siteToken });
    expect(hidden.status).toBe(404);
    expect(hidden.body.error.code).toBe("import_not_found");
    const notASite = await api(`/site/imports/${job.id}`);
    expect(notASite.status).toBe(403);
  });
});

describe("a course's origin", () => {
  const moodleCourseId = 42;

  it("is null for a course no restore made", async () => {
    const origin = await api(`/site/courses/${moodleCourseId}/origin`, { token: siteToken });
    expect(origin).toEqual({ status: 200, body: { origin: null } });
  });

  it("names the institution, the course and the revision restored; a newer revision is an update with what changed", async () => {
    const campus = await school.node.services.moodleTargets.byName("campus");
    const restored = (await school.node.services.restores.jobs({ limit: 10, offset: 0 })).find(
      (candidate) => candidate.targetId === campus?.id,
    ) as RestoreJob;
    // What running the job records once Moodle restored it (the Moodle tests run it for real).
    await school.node.services.restores.recordLineage(restored, moodleCourseId);

    const current = await api(`/site/courses/${moodleCourseId}/origin`, { token: siteToken });
    expect(current.status).toBe(200);
    expect(current.body.origin).toMatchObject({
      object,
      title: "Optique",
      institution: { name: "University", host: university.url.host },
      teacher: null,
      revision: 1,
      latestRevision: 1,
      updateAvailable: false,
      withdrawn: false,
      changes: null,
    });
    // Another site's token does not see this site's lineage.
    const otherTarget = await school.node.services.moodleTargets.byName("other");
    if (!otherTarget) throw new Error("other was added in beforeAll");
    const otherToken = (
      await new TokenRepository(school.node.db).replaceSiteToken(
        otherTarget.id,
        "site other",
        school.node.institution.id,
      )
    ).token;
    const elsewhere = await api(`/site/courses/${moodleCourseId}/origin`, { token: otherToken });
    expect(elsewhere.body.origin).toBeNull();

    await publishCourse(
      domainServices(contextOf(university)),
      university.node.institution,
      await backup("two.mbz", [
        { module: "page", id: 4, title: "Welcome" },
        { module: "quiz", id: 5, title: "Check yourself" },
        { module: "quiz", id: 6, title: "Final" },
      ]),
      { title: "Optique", summary: "Now with two quizzes.", tags: ["physique"] },
      { courseId },
    );
    await eventually(
      async () => (await school.node.services.catalog.catalogEntry(object))?.revision === 2,
    );
    const behind = await api(`/site/courses/${moodleCourseId}/origin`, { token: siteToken });
    expect(behind.body.origin).toMatchObject({
      revision: 1,
      latestRevision: 2,
      updateAvailable: true,
      changes: {
        activities: [{ module: "quiz", before: 0, after: 2 }],
        sections: null,
        title: null,
      },
    });
    expect(behind.body.origin.changes.summary).toContain("two quizzes");
    // The course's state at a glance (the share page's) tells the same origin.
    const state = await api(`/site/courses/${moodleCourseId}`, { token: siteToken });
    expect(state.status).toBe(200);
    expect(state.body.origin).toEqual(behind.body.origin);
  });

  it("offers no update once its publisher withdrew the course, and says so", async () => {
    await withdrawCourse(
      domainServices(contextOf(university)),
      university.node.institution,
      courseId,
    );
    await eventually(
      async () => (await school.node.services.catalog.catalogEntry(object))?.deletedAt != null,
    );
    const withdrawn = await api(`/site/courses/${moodleCourseId}/origin`, { token: siteToken });
    expect(withdrawn.body.origin).toMatchObject({
      revision: 1,
      latestRevision: 2,
      updateAvailable: false,
      withdrawn: true,
    });
    // Nor may the withdrawn course be imported again.
    const again = await api("/site/imports", {
      method: "POST",
      ...site(),
      json: {
        catalogCourse: object,
        destination: { kind: "existing-course", courseId: moodleCourseId, mode: "merge" },
        confirm: true,
      },
    });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe("withdrawn");
  });

  it("is refused to a token that is not a site's", async () => {
    const refused = await api(`/site/courses/${moodleCourseId}/origin`);
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe("site_token_required");
  });
});
