import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { MoodleSiteInfo } from "@coursefed/moodle";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuditLog } from "../../packages/node/src/audit/audit-log.ts";
import { eventually } from "../support/eventually.ts";
import {
  followAndApprove,
  publishToFollower,
  writeOnePageBackup,
} from "../support/federation-steps.ts";
import { type NodeApiCall, nodeApi } from "../support/node-api.ts";
import { startTestNode, type TestNode } from "../support/test-node.ts";

let university: TestNode;
let school: TestNode;
let teacherToken: string;
/** A course of the university's, in the school's catalog: made on Moodle 4.5. */
let object: string;
let workDir: string;
/** A Moodle code directory that does not exist. */
let missingMoodle: string;

const api = (path: string, call: NodeApiCall = {}) => nodeApi(school, path, call);

const siteOn = (branch: string): MoodleSiteInfo => ({
  version: "2022112800",
  release: `${branch}.0 (Build: 20221128)`,
  branch,
  plugins: { mod_page: 2022112800, mod_quiz: 2022112800 },
  maxRestoreBytes: null,
});

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), "coursefed-restores-api-"));
  missingMoodle = join(workDir, "no-moodle-here");
  [university, school] = await Promise.all([
    startTestNode("univ", "University"),
    startTestNode("school", "School"),
  ]);
  await followAndApprove(school, university);
  object = await publishToFollower(university, school, await writeOnePageBackup(workDir), {
    title: "Generated",
    tags: ["maths"],
  });
  const teacher = await api("/teachers", {
    method: "POST",
    json: { handle: "ada", name: "Ada Lovelace" },
  });
  teacherToken = teacher.body.token;
});
afterAll(async () => {
  await Promise.all([university, school].map((peer) => peer?.stop()));
  await rm(workDir, { recursive: true, force: true });
});

describe("Moodle targets over the API", () => {
  it("adds, lists and removes targets, never showing their secrets", async () => {
    const local = await api("/moodle/targets", {
      method: "POST",
      json: {
        name: "local",
        driver: "cli",
        url: "https://moodle.school.example/",
        moodleDir: missingMoodle,
      },
    });
    expect(local.status).toBe(201);
    expect(local.body).toMatchObject({
      name: "local",
      driver: "cli",
      url: "https://moodle.school.example",
      defaultCategoryId: 1,
      timeoutMs: 30 * 60 * 1000,
      probe: null,
    });
    const remote = await api("/moodle/targets", {
      method: "POST",
      json: {
        name: "remote",
        driver: "ws",
        url: "https://moodle.elsewhere.example",
        token: "ws-secret-token",
        defaultCategoryId: 5,
        timeoutMs: 60_000,
      },
    });
    expect(remote.status).toBe(201);
    expect(remote.body).toMatchObject({ defaultCategoryId: 5, timeoutMs: 60_000 });

    const listed = await api("/moodle/targets");
    expect(listed.status).toBe(200);
    expect(listed.body.items.map((target: { name: string }) => target.name)).toEqual([
      "local",
      "remote",
    ]);
    const shown = JSON.stringify([local.body, remote.body, listed.body]);
    expect(shown).not.toContain("ws-secret-token");
    expect(shown).not.toContain(missingMoodle);

    expect((await api("/moodle/targets/remote", { method: "DELETE" })).status).toBe(204);
    const again = await api("/moodle/targets/remote", { method: "DELETE" });
    expect(again.status).toBe(404);
    expect(again.body.error.code).toBe("target_not_found");
  });

  it("refuses unusable targets and says why", async () => {
    const refusals: Array<[Record<string, unknown>, number, string, string]> = [
      [
        { name: "two words", driver: "cli", url: "https://m.example", moodleDir: "/srv/moodle" },
        400,
        "invalid_target",
        "not a usable target name",
      ],
      [
        { name: "nourl", driver: "cli", url: "ftp://m.example", moodleDir: "/srv/moodle" },
        400,
        "invalid_target",
        "not the http(s) address",
      ],
      [
        { name: "nodir", driver: "cli", url: "https://m.example" },
        400,
        "invalid_target",
        "needs the Moodle code directory",
      ],
      [
        { name: "mixed", driver: "ws", url: "https://m.example", token: "t", moodleDir: "/srv" },
        400,
        "invalid_target",
        "moodleDir is not used by the ws driver",
      ],
      [
        { name: "local", driver: "cli", url: "https://m.example", moodleDir: "/srv/moodle" },
        409,
        "target_exists",
        "already a Moodle target named local",
      ],
    ];
    for (const [json, status, code, message] of refusals) {
      const response = await api("/moodle/targets", { method: "POST", json });
      expect({ status: response.status, code: response.body.error.code }).toEqual({ status, code });
      expect(response.body.error.message).toContain(message);
    }
    const unknownDriver = await api("/moodle/targets", {
      method: "POST",
      json: { name: "x", driver: "ftp", url: "https://m.example" },
    });
    expect(unknownDriver.status).toBe(400);
  });

  it("answers a probe Moodle cannot answer with 502 and the driver's reason", async () => {
    const response = await api("/moodle/targets/local/probe", { method: "POST" });
    expect(response.status).toBe(502);
    expect(response.body.error.code).toBe("moodle_misconfigured");
    expect(response.body.error.message).toContain(`${missingMoodle} holds no config.php`);
    expect((await api("/moodle/targets/nowhere/probe", { method: "POST" })).status).toBe(404);
    expect((await api("/moodle/targets")).body.items[0].probe).toBeNull();
  });
});

describe("compatibility of a catalog course with each target", () => {
  it("judges each probed target on its last probe, and lists the others as not probed", async () => {
    const services = school.node.services;
    for (const [name, branch] of [
      ["old", "4.1"],
      ["current", "4.5"],
    ] as const) {
      const target = await services.moodleTargets.add({
        name,
        driver: "cli",
        url: `https://${name}.example`,
        moodleDir: missingMoodle,
      });
      await services.moodleTargets.saveProbe(target, siteOn(branch));
    }
    const response = await api(`/catalog/compatibility?${new URLSearchParams({ object })}`);
    expect(response.status).toBe(200);
    expect(response.body.revision).toBe(1);
    const byName = Object.fromEntries(
      response.body.targets.map((verdict: { target: string }) => [verdict.target, verdict]),
    );
    expect(byName.local).toEqual({ target: "local", probed: false });
    expect(byName.current).toMatchObject({ probed: true, restorable: true, problems: [] });
    expect(byName.old).toMatchObject({ probed: true, restorable: false });
    expect(byName.old.problems).toEqual([
      expect.objectContaining({ kind: "newer-backup", backupBranch: "4.5", siteBranch: "4.1" }),
    ]);
    expect((await api("/moodle/targets")).body.items).toContainEqual(
      expect.objectContaining({
        name: "old",
        probe: expect.objectContaining({ branch: "4.1", plugins: 2 }),
      }),
    );

    const missing = await api(
      `/catalog/compatibility?${new URLSearchParams({ object: `${object}-nope` })}`,
    );
    expect(missing.body.error.code).toBe("not_in_catalog");
    const revision = await api(
      `/catalog/compatibility?${new URLSearchParams({ object, revision: "7" })}`,
    );
    expect(revision.status).toBe(404);
    expect(revision.body.error.code).toBe("no_such_revision");
  });
});

describe("restores over the API", () => {
  it("refuses what cannot be restored, with a reason", async () => {
    const cases: Array<[Record<string, unknown>, number, string]> = [
      [{ object: "https://nowhere.example/courses/1", target: "local" }, 404, "not_in_catalog"],
      [{ object, target: "nowhere" }, 404, "target_not_found"],
      [{ object, target: "local", revision: 3 }, 404, "no_such_revision"],
      [
        { object, target: "local", categoryId: 2, intoCourse: 5, mode: "merge" },
        400,
        "invalid_request",
      ],
      [{ object, target: "local", intoCourse: 5 }, 400, "invalid_request"],
      [{ object, target: "local", categoryId: 2, mode: "replace" }, 400, "invalid_request"],
    ];
    for (const [json, status, code] of cases) {
      const response = await api("/restores", { method: "POST", json });
      expect({ status: response.status, code: response.body.error.code }).toEqual({ status, code });
    }
    const both = await api("/restores", {
      method: "POST",
      json: { object, target: "local", categoryId: 2, intoCourse: 5, mode: "merge" },
    });
    expect(both.body.error.message).toContain("not both");
  });

  it("queues a job once per destination and records why Moodle failed it", async () => {
    const asked = await api("/restores", {
      method: "POST",
      json: { object, target: "local", categoryId: 3 },
    });
    expect(asked.status).toBe(202);
    expect(asked.body).toMatchObject({
      object,
      revision: 1,
      target: "local",
      destination: { kind: "new-course", categoryId: 3 },
      requestedBy: "initial admin",
      overriddenBy: null,
    });
    const again = await api("/restores", {
      method: "POST",
      json: { object, target: "local", categoryId: 3 },
    });
    expect(again.body.id).toBe(asked.body.id);

    const failed = await eventually(async () => {
      const job = (await api(`/restores/${asked.body.id}`)).body;
      return job.state === "failed" && job;
    });
    expect(failed).toMatchObject({ errorCode: "misconfigured", courseUrl: null, attempts: 1 });
    expect(failed.errorMessage).toContain("holds no config.php");
    expect(failed.durations.totalMs).toBeGreaterThanOrEqual(0);
    expect(failed.finishedAt).not.toBeNull();

    const listed = await api("/restores?state=failed");
    expect(listed.body.items.map((job: { id: string }) => job.id)).toEqual([asked.body.id]);
    expect(listed.body.items[0]).not.toHaveProperty("log");
    expect((await api("/restores?state=succeeded")).body.items).toEqual([]);
    expect((await api("/restores?state=lost")).status).toBe(400);
    const unknown = await api("/restores/00000000-0000-0000-0000-000000000000");
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe("restore_not_found");
  });
});

describe("auto-restore rules over the API", () => {
  it("adds, lists and removes rules, and refuses incomplete ones", async () => {
    const noMatch = await api("/rules", {
      method: "POST",
      json: { on: "new", target: "local", categoryId: 3, mode: "new-course" },
    });
    expect(noMatch.status).toBe(400);
    expect(noMatch.body.error.message).toContain("an actor, a tag or both");
    const noTarget = await api("/rules", {
      method: "POST",
      json: { tag: "maths", on: "new", target: "nowhere", categoryId: 3, mode: "new-course" },
    });
    expect(noTarget.status).toBe(404);
    expect(noTarget.body.error.code).toBe("target_not_found");
    const badMode = await api("/rules", {
      method: "POST",
      json: { tag: "maths", on: "sometimes", target: "local", categoryId: 3, mode: "new-course" },
    });
    expect(badMode.status).toBe(400);

    const actor = new URL("/actors/institution", university.url).href;
    const added = await api("/rules", {
      method: "POST",
      json: { actor, on: "both", target: "local", categoryId: 4, mode: "update-in-place" },
    });
    expect(added.status).toBe(201);
    expect(added.body).toMatchObject({
      actor,
      tag: null,
      on: "both",
      target: "local",
      categoryId: 4,
      mode: "update-in-place",
      createdBy: "initial admin",
    });
    expect((await api("/rules")).body.items).toEqual([added.body]);
    expect((await api(`/rules/${added.body.id}`, { method: "DELETE" })).status).toBe(204);
    const gone = await api(`/rules/${added.body.id}`, { method: "DELETE" });
    expect(gone.status).toBe(404);
    expect(gone.body.error.code).toBe("rule_not_found");
    expect((await api("/rules")).body.items).toEqual([]);
  });
});

describe("publishing from Moodle over the API", () => {
  it("names the target or the Moodle failure", async () => {
    const unknown = await api("/courses/from-moodle", {
      method: "POST",
      json: { target: "nowhere", courseId: 2, title: "From Moodle" },
    });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe("target_not_found");
    const broken = await api("/courses/from-moodle", {
      method: "POST",
      json: { target: "local", courseId: 2, title: "From Moodle" },
    });
    expect(broken.status).toBe(502);
    expect(broken.body.error.code).toBe("moodle_misconfigured");
  });
});

describe("teachers across the Moodle boundary", () => {
  const restore = (json: Record<string, unknown>, token = teacherToken) =>
    api("/restores", { method: "POST", json: { object, ...json }, token });
  const audited = async (action: string) =>
    (await new AuditLog(school.node.db).page({ limit: 500, offset: 0 })).entries.filter(
      (entry) => entry.action === action,
    );

  it("lets an admin set where teachers restore new courses, and refuses a teacher elsewhere", async () => {
    await school.node.services.moodleTargets.add({
      name: "gated",
      driver: "cli",
      url: "https://gated.example",
      moodleDir: missingMoodle,
    });
    const closed = await restore({ target: "gated", categoryId: 4 });
    expect(closed.status).toBe(403);
    expect(closed.body.error.code).toBe("restore_not_permitted");
    expect(closed.body.error.message).toContain(
      "Teachers may not restore into gated: an admin has not opened any of its categories",
    );

    const set = await api("/moodle/targets/gated/teachers", {
      method: "PUT",
      json: { categoryIds: [5, 4, 4] },
    });
    expect(set.status).toBe(200);
    expect(set.body.teacherCategoryIds).toEqual([4, 5]);
    expect(
      (
        await api("/moodle/targets/gated/teachers", {
          method: "PUT",
          json: { categoryIds: [6] },
          token: teacherToken,
        })
      ).status,
    ).toBe(403);
    const invalid = await api("/moodle/targets/gated/teachers", {
      method: "PUT",
      json: { categoryIds: [0] },
    });
    expect(invalid.status).toBe(400);
    expect(invalid.body.error.message).toContain("0 is not a Moodle category id");
    expect(
      (await api("/moodle/targets/nowhere/teachers", { method: "PUT", json: { categoryIds: [] } }))
        .status,
    ).toBe(404);

    const elsewhere = await restore({ target: "gated", categoryId: 9 });
    expect(elsewhere.status).toBe(403);
    expect(elsewhere.body.error.message).toContain(
      "Teachers may not restore into category 9 of gated; they may restore new courses into categories 4, 5.",
    );
    const allowed = await restore({ target: "gated", categoryId: 5 });
    expect(allowed.status).toBe(202);
    expect(allowed.body.destination).toEqual({ kind: "new-course", categoryId: 5 });
    expect(await audited("target.teacher-categories")).toContainEqual(
      expect.objectContaining({
        byName: "initial admin",
        target: "gated",
        details: { before: [], after: [4, 5] },
      }),
    );
  });

  it("lets a teacher into an existing course only once granted, and only confirmed", async () => {
    const into = { target: "gated", intoCourse: 55, mode: "replace" };
    const notGranted = await restore({ ...into, confirm: true });
    expect(notGranted.status).toBe(403);
    expect(notGranted.body.error.message).toContain("course 55 is neither");

    const grant = (json: Record<string, unknown>, token?: string) =>
      api("/moodle/targets/gated/grants", { method: "POST", json, token: token ?? school.token });
    expect((await grant({ courseId: 55, teacher: "ada" }, teacherToken)).status).toBe(403);
    expect((await grant({ courseId: 55, teacher: "ada" })).status).toBe(201);
    expect((await grant({ courseId: 55, teacher: "@ada" })).status).toBe(200);
    const nobody = await grant({ courseId: 55, teacher: "nobody" });
    expect(nobody.status).toBe(400);
    expect(nobody.body.error.code).toBe("teacher_not_found");
    const grants = await api("/moodle/targets/gated/grants");
    expect(grants.body.items).toEqual([
      expect.objectContaining({ courseId: 55, teacher: "ada", grantedBy: "initial admin" }),
    ]);

    const unconfirmed = await restore(into);
    expect(unconfirmed.status).toBe(409);
    expect(unconfirmed.body.error.code).toBe("confirmation_required");
    expect(unconfirmed.body.error.message).toContain(
      "Moodle course 55 on gated deletes its contents",
    );
    const confirmed = await restore({ ...into, confirm: true });
    expect(confirmed.status).toBe(202);
    expect(confirmed.body.destination).toEqual({
      kind: "existing-course",
      courseId: 55,
      mode: "replace",
    });

    expect((await api("/moodle/targets/gated/grants/55/ada", { method: "DELETE" })).status).toBe(
      204,
    );
    const gone = await api("/moodle/targets/gated/grants/55/ada", { method: "DELETE" });
    expect(gone.status).toBe(404);
    expect(gone.body.error.code).toBe("grant_not_found");
    expect((await restore({ ...into, mode: "merge", confirm: true })).status).toBe(403);

    const admin = await restore({ target: "gated", intoCourse: 56, mode: "replace" }, school.token);
    expect(admin.status).toBe(409);
    expect((await audited("target.grant")).map((entry) => entry.details)).toEqual([
      { course: 55, teacher: "ada" },
    ]);
    expect(await audited("target.revoke")).toHaveLength(1);
    expect(await audited("restore.confirm")).toContainEqual(
      expect.objectContaining({ byName: "teacher ada", target: "gated" }),
    );
  });

  it("lets only an admin override the compatibility check", async () => {
    const refused = await restore({ target: "gated", categoryId: 4, override: true });
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe("override_not_permitted");
    const admin = await restore({ target: "gated", categoryId: 8, override: true }, school.token);
    expect(admin.status).toBe(202);
    expect(admin.body.overriddenBy).toBe("initial admin");
    expect(await audited("restore.override")).toEqual([
      expect.objectContaining({ byName: "initial admin", target: "gated" }),
    ]);
    const refusals = await audited("restore.refuse");
    expect(refusals.map((entry) => [entry.byName, entry.details?.reason])).toContainEqual([
      "teacher ada",
      "override_not_permitted",
    ]);
  });
});

describe("who may do what", () => {
  it("keeps targets and rules to admins, and lets teachers restore", async () => {
    const adminOnly: Array<[string, string, unknown?]> = [
      ["GET", "/moodle/targets"],
      [
        "POST",
        "/moodle/targets",
        { name: "t", driver: "ws", url: "https://m.example", token: "x" },
      ],
      ["DELETE", "/moodle/targets/local"],
      ["POST", "/moodle/targets/local/probe"],
      ["GET", "/rules"],
      [
        "POST",
        "/rules",
        { tag: "x", on: "new", target: "local", categoryId: 1, mode: "new-course" },
      ],
      ["DELETE", "/rules/1"],
      ["POST", "/courses/from-moodle", { target: "local", courseId: 2, title: "Not mine" }],
    ];
    for (const [method, path, json] of adminOnly) {
      const response = await api(path, { method, json, token: teacherToken });
      expect({ method, path, status: response.status }).toEqual({ method, path, status: 403 });
    }
    expect(
      (await api("/moodle/targets")).body.items.map((t: { name: string }) => t.name),
    ).toContain("local");

    expect((await api("/restores", { token: teacherToken })).status).toBe(200);
    // An admin opens the target's default category to teachers.
    await api("/moodle/targets/current/teachers", { method: "PUT", json: { categoryIds: [1] } });
    const asked = await api("/restores", {
      method: "POST",
      json: { object, target: "current" },
      token: teacherToken,
    });
    expect(asked.status).toBe(202);
    expect(asked.body).toMatchObject({
      requestedBy: "teacher ada",
      destination: { kind: "new-course", categoryId: 1 },
    });
    const compatibility = await api(`/catalog/compatibility?${new URLSearchParams({ object })}`, {
      token: teacherToken,
    });
    expect(compatibility.status).toBe(200);
  });

  it("describes the new routes in OpenAPI", async () => {
    const document = (await (await fetch(new URL("/api/openapi.json", school.url))).json()) as {
      paths: Record<string, unknown>;
    };
    expect(Object.keys(document.paths)).toEqual(
      expect.arrayContaining([
        "/api/v1/moodle/targets",
        "/api/v1/moodle/targets/{name}",
        "/api/v1/moodle/targets/{name}/probe",
        "/api/v1/moodle/targets/{name}/teachers",
        "/api/v1/moodle/targets/{name}/node-url",
        "/api/v1/moodle/targets/{name}/grants",
        "/api/v1/moodle/targets/{name}/grants/{courseId}/{teacher}",
        "/api/v1/restores",
        "/api/v1/restores/{id}",
        "/api/v1/rules",
        "/api/v1/rules/{id}",
        "/api/v1/catalog/compatibility",
        "/api/v1/courses/from-moodle",
      ]),
    );
  });
});

describe("which restore jobs each token sees", () => {
  it("shows a teacher her own jobs and those into her courses, and an admin every job", async () => {
    const services = school.node.services;
    const shared = await services.moodleTargets.add({
      name: "shared",
      driver: "cli",
      url: "https://shared.example",
      moodleDir: missingMoodle,
    });
    const grace = await api("/teachers", {
      method: "POST",
      json: { handle: "grace", name: "Grace Hopper" },
    });
    const actorOf = async (handle: string) =>
      (await services.actors.byHandle(handle))?.id as number;
    const [adaId, graceId] = [await actorOf("ada"), await actorOf("grace")];
    // Jobs made as the API would, left as they stand: no worker runs them here.
    const job = async (
      destination: Parameters<typeof services.restores.request>[0]["destination"],
      requestedBy: string,
      requestedByActorId: number | undefined,
      outcome?: Parameters<typeof services.restores.update>[1],
    ) => {
      const { job: made } = await services.restores.request({
        objectUri: object,
        revision: 1,
        targetId: shared.id,
        destination,
        requesterKey:
          destination.kind === "existing-course"
            ? ""
            : requestedByActorId === undefined
              ? `name:${requestedBy}`
              : `actor:${requestedByActorId}`,
        requestedBy,
        requestedByActorId,
      });
      if (outcome) await services.restores.update(made.id, outcome);
      return made.id;
    };
    const adas = await job({ kind: "new-course", categoryId: 4 }, "teacher ada", adaId);
    const gracesFailed = await job(
      { kind: "new-course", categoryId: 5 },
      "teacher grace",
      graceId,
      {
        state: "failed",
        errorMessage: "Grace's course could not be written",
      },
    );
    const gracesCourse = await job(
      { kind: "new-course", categoryId: 6 },
      "teacher grace",
      graceId,
      {
        state: "succeeded",
        moodleCourseId: 70,
      },
    );
    const ruleIntoGraces = await job(
      { kind: "existing-course", courseId: 70, mode: "replace" },
      "rule 9",
      undefined,
    );
    const adminInto80 = await job(
      { kind: "existing-course", courseId: 80, mode: "merge" },
      "initial admin",
      undefined,
    );
    const adminNew = await job({ kind: "new-course", categoryId: 7 }, "initial admin", undefined);

    const seenBy = async (token: string) =>
      (await api("/restores?limit=200", { token })).body.items
        .filter((item: { target: string }) => item.target === "shared")
        .map((item: { id: string }) => item.id)
        .sort();
    const sorted = (ids: string[]) => [...ids].sort();
    expect(await seenBy(school.token)).toEqual(
      sorted([adas, gracesFailed, gracesCourse, ruleIntoGraces, adminInto80, adminNew]),
    );
    expect(await seenBy(teacherToken)).toEqual([adas]);
    expect(await seenBy(grace.body.token)).toEqual(
      sorted([gracesFailed, gracesCourse, ruleIntoGraces]),
    );
    // A colleague's job is as absent as one that never was: no course, destination or error.
    const hidden = await api(`/restores/${gracesFailed}`, { token: teacherToken });
    expect(hidden.status).toBe(404);
    expect(hidden.body.error.code).toBe("restore_not_found");
    expect(JSON.stringify(hidden.body)).not.toContain("could not be written");
    expect((await api(`/restores/${adas}`, { token: teacherToken })).status).toBe(200);
    expect((await api(`/restores/${ruleIntoGraces}`, { token: grace.body.token })).status).toBe(
      200,
    );
    expect((await api(`/restores/${adminNew}`, { token: grace.body.token })).status).toBe(404);

    // Granted a course, a teacher sees the jobs into it, whoever asked for them.
    expect(
      (
        await api("/moodle/targets/shared/grants", {
          method: "POST",
          json: { courseId: 80, teacher: "ada" },
        })
      ).status,
    ).toBe(201);
    expect(await seenBy(teacherToken)).toEqual(sorted([adas, adminInto80]));
    expect((await api(`/restores/${adminInto80}`, { token: teacherToken })).status).toBe(200);
  });
});

describe("the same restore asked for by two teachers", () => {
  it("makes each her own new course, shares a course both may restore into, and refuses the one who may not without showing the job", async () => {
    const services = school.node.services;
    await services.moodleTargets.add({
      name: "colleagues",
      driver: "cli",
      url: "https://colleagues.example",
      moodleDir: missingMoodle,
    });
    await api("/moodle/targets/colleagues/teachers", { method: "PUT", json: { categoryIds: [4] } });
    const hedy = (
      await api("/teachers", { method: "POST", json: { handle: "hedy", name: "Hedy" } })
    ).body.token as string;
    const restore = (json: Record<string, unknown>, token: string) =>
      api("/restores", { method: "POST", json: { object, target: "colleagues", ...json }, token });
    /** Ada's job, once its first attempt is over, made to have restored Moodle course `courseId`. */
    const adasCourse = async (json: Record<string, unknown>, courseId: number) => {
      const asked = await restore(json, teacherToken);
      expect(asked.status).toBe(202);
      await eventually(async () => {
        const job = await services.restores.job(asked.body.id);
        return job !== undefined && job.attempts > 0 && job.state !== "running";
      });
      await services.restores.update(asked.body.id, {
        state: "succeeded",
        moodleCourseId: courseId,
        courseUrl: `https://colleagues.example/course/view.php?id=${courseId}`,
        errorCode: null,
        errorMessage: null,
        log: "Ada's Moodle log",
      });
      return asked.body.id as string;
    };
    const adasNew = await adasCourse({ categoryId: 4 }, 501);

    // Hedy imports the same course into the same category: a job, and a course, of her own.
    const hedys = await restore({ categoryId: 4 }, hedy);
    expect(hedys.status).toBe(202);
    expect(hedys.body.id).not.toBe(adasNew);
    expect(hedys.body).toMatchObject({
      requestedBy: "teacher hedy",
      repeat: null,
      moodleCourseId: null,
      log: null,
    });
    expect(JSON.stringify(hedys.body)).not.toMatch(/teacher ada|Ada's Moodle log|id=501/);
    expect((await api(`/restores/${hedys.body.id}`, { token: hedy })).status).toBe(200);
    const listed = await api("/restores?limit=200", { token: hedy });
    expect(listed.body.items.map((item: { id: string }) => item.id)).toEqual([hedys.body.id]);
    // Each asking again gets her own job back: retries stay idempotent.
    const hedyAgain = await restore({ categoryId: 4 }, hedy);
    expect(hedyAgain.body.id).toBe(hedys.body.id);
    expect(hedyAgain.body.repeat).not.toBeNull();
    const adaAgain = await restore({ categoryId: 4 }, teacherToken);
    expect(adaAgain.body).toMatchObject({ id: adasNew, repeat: "unchanged", moodleCourseId: 501 });

    // Into a course both may restore into (Ada's restore made it, an admin granted it to
    // Hedy), the job is one: Hedy may see it, whoever asked first.
    expect(
      (
        await api("/moodle/targets/colleagues/grants", {
          method: "POST",
          json: { courseId: 501, teacher: "hedy" },
        })
      ).status,
    ).toBe(201);
    const into501 = { intoCourse: 501, mode: "merge", confirm: true };
    const adaInto = await restore(into501, teacherToken);
    expect(adaInto.status).toBe(202);
    const hedyInto = await restore(into501, hedy);
    expect(hedyInto.status).toBe(202);
    expect(hedyInto.body.id).toBe(adaInto.body.id);
    expect(hedyInto.body.repeat).not.toBeNull();
    expect((await api(`/restores/${adaInto.body.id}`, { token: hedy })).status).toBe(200);

    // Into Ada's other course, not Hedy's to act on, Hedy is refused before any job is
    // looked up: the answer names no job, with or without her confirmation.
    await adasCourse({ categoryId: 4, fullName: "Ada's own copy" }, 502);
    const adaInto502 = await restore(
      { intoCourse: 502, mode: "merge", confirm: true },
      teacherToken,
    );
    expect(adaInto502.status).toBe(202);
    for (const confirm of [true, false]) {
      const refused = await restore({ intoCourse: 502, mode: "merge", confirm }, hedy);
      expect(refused.status).toBe(403);
      expect(refused.body.error.code).toBe("restore_not_permitted");
      expect(JSON.stringify(refused.body)).not.toContain(adaInto502.body.id);
      expect(JSON.stringify(refused.body)).not.toContain("teacher ada");
    }
    expect((await api(`/restores/${adaInto502.body.id}`, { token: hedy })).status).toBe(404);
  });
});
