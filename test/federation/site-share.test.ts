/**
 * Sharing a course from its Moodle site (issue 16): the site's token, acting for a Moodle
 * user, asks the node to share one of its courses; the node asks the site for a backup
 * through the target's driver (ws here, against a site answering as local_coursefed does),
 * scans and publishes it, and the job says where it stands. The real plugin and a real
 * Moodle are in test/moodle/plugin-share.test.ts.
 */
import { createHash } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TokenRepository } from "../../packages/node/src/tokens/token-repository.ts";
import { buildTarGz, moodleBackupXml } from "../support/archive-builder.ts";
import { eventually } from "../support/eventually.ts";
import { type NodeApiCall, nodeApi } from "../support/node-api.ts";
import { freePort, startTestNode, type TestNode } from "../support/test-node.ts";

/** Moodle course ids on the fake site, by what their backup is. */
const CLEAN = 2;
const WITH_STUDENTS = 3;
/** A course whose backup waits until the test lets it go. */
const SLOW = 4;
const MISSING = 99;

let node: TestNode;
let moodle: Server;
let moodleUrl: string;
let siteToken: string;
let otherSiteToken: string;
/** How many backups the fake site has made of each course: each one differs. */
const backupsMade = new Map<number, number>();
let releaseSlowBackup: () => void = () => {};

async function backupOf(courseId: number): Promise<Buffer> {
  const made = (backupsMade.get(courseId) ?? 0) + 1;
  backupsMade.set(courseId, made);
  const activities = Array.from({ length: made }, (_, index) => ({
    module: "page",
    id: index + 1,
    title: `Lesson ${index + 1}`,
  }));
  return await buildTarGz([
    { name: "moodle_backup.xml", data: moodleBackupXml({ activities }) },
    ...(courseId === WITH_STUDENTS
      ? [
          {
            name: "users.xml",
            data: '<?xml version="1.0" encoding="UTF-8"?>\n<users><user id="7"><username>student1</username></user><user id="8"><username>student2</username></user></users>',
          },
        ]
      : []),
  ]);
}

/** A Moodle site with local_coursefed, as the ws driver sees it: backups made and served. */
async function startFakeMoodle(): Promise<void> {
  const files = new Map<string, Buffer>();
  moodle = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", async () => {
      const answer = (body: unknown) =>
        response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body));
      const path = new URL(request.url ?? "/", moodleUrl).pathname;
      if (path.startsWith("/webservice/pluginfile.php/")) {
        const file = files.get(path);
        if (!file) return response.writeHead(404).end();
        return response
          .writeHead(200, { "content-type": "application/vnd.moodle.backup" })
          .end(file);
      }
      const call = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString()));
      const courseId = Number(call.courseid);
      if (call.wsfunction !== "local_coursefed_backup_course" || courseId === MISSING) {
        return answer({
          exception: "dml_missing_record_exception",
          errorcode: "invalidrecord",
          message: "Can't find data record in database table course.",
        });
      }
      if (courseId === SLOW) await new Promise<void>((resolve) => (releaseSlowBackup = resolve));
      const bytes = await backupOf(courseId);
      const name = `backup-${courseId}-${backupsMade.get(courseId)}.mbz`;
      const filePath = `/webservice/pluginfile.php/5/local_coursefed/backup/0/${name}`;
      files.set(filePath, bytes);
      answer({
        filename: name,
        fileurl: `${moodleUrl}${filePath}`,
        filesize: bytes.length,
        contenthash: createHash("sha1").update(bytes).digest("hex"),
        log: "backup settings: users=0",
      });
    });
  });
  await new Promise<void>((resolve) => moodle.listen(0, "127.0.0.1", resolve));
  moodleUrl = `http://127.0.0.1:${(moodle.address() as AddressInfo).port}`;
}

/** The Coursefed-Moodle-User header's value for a Moodle user. */
function actingUser(id: number, fullname: string): string {
  return Buffer.from(
    JSON.stringify({ id, username: `u${id}`, fullname, email: `u${id}@campus.example` }),
  ).toString("base64url");
}
const ADA = actingUser(21, "Ada Lovelace");
const GRACE = actingUser(22, "Grace Hopper");

/** As the site, acting for Ada unless told otherwise (`user: null`: for nobody). */
const api = (path: string, call: NodeApiCall = {}) =>
  nodeApi(node, path, {
    token: siteToken,
    ...call,
    user: call.user === undefined ? ADA : call.user,
  });

const share = (courseId: number, json: Record<string, unknown> = {}, user?: string) =>
  api(`/site/courses/${courseId}/share`, {
    method: "POST",
    json: { title: "Chimie organique", tags: ["chimie", "lycée"], ...json },
    ...(user ? { user } : {}),
  });

/** The job once it is done or failed. */
async function finished(jobId: string) {
  return await eventually(async () => {
    const { body } = await api(`/site/share-jobs/${jobId}`);
    return ["done", "failed"].includes(body.job.state) ? body.job : undefined;
  });
}

beforeAll(async () => {
  await startFakeMoodle();
  node = await startTestNode("univ", "Université Exemple");
  const { moodleTargets } = node.node.services;
  const campus = await moodleTargets.add({
    name: "campus",
    driver: "ws",
    url: moodleUrl,
    token: "ws-token",
  });
  const other = await moodleTargets.add({
    name: "elsewhere",
    driver: "ws",
    url: `http://127.0.0.1:${await freePort()}`,
    token: "ws-token",
  });
  const tokens = new TokenRepository(node.node.db);
  const institution = node.node.institution.id;
  siteToken = (await tokens.replaceSiteToken(campus.id, "campus site", institution)).token;
  otherSiteToken = (await tokens.replaceSiteToken(other.id, "elsewhere site", institution)).token;
});

afterAll(async () => {
  releaseSlowBackup();
  await node?.stop();
  await new Promise<void>((resolve) => moodle?.close(() => resolve()));
});

describe("sharing a course from its Moodle site", () => {
  let courseId: string;

  it("says a course was never shared", async () => {
    const state = await api(`/site/courses/${CLEAN}`);
    expect(state).toMatchObject({
      status: 200,
      body: { shared: false, course: null, job: null, withdrawnAt: null },
    });
  });

  it("shares a course as the teacher the site acts for: backed up, scanned, published", async () => {
    const asked = await share(CLEAN, {
      summary: "Réactions et mécanismes",
      visibility: "followers",
    });
    expect(asked.status).toBe(202);
    expect(asked.body.job).toMatchObject({
      state: "queued",
      moodleCourseId: CLEAN,
      requestedBy: "Ada Lovelace on campus",
      course: null,
    });
    const job = await finished(asked.body.job.id);
    expect(job).toMatchObject({ state: "done", message: null, errorCode: null });
    expect(job.course.revision).toBe(1);
    courseId = job.course.id;
    expect(job.course.url).toBe(new URL(`/courses/${courseId}`, node.url).href);

    const state = await api(`/site/courses/${CLEAN}`);
    expect(state.body).toMatchObject({
      shared: true,
      withdrawnAt: null,
      derivedFrom: null,
      course: {
        id: courseId,
        title: "Chimie organique",
        summary: "Réactions et mécanismes",
        tags: ["chimie", "lycée"],
        visibility: "followers",
        revision: 1,
        author: "Ada Lovelace",
      },
      job: { id: job.id, state: "done" },
    });
    const published = await node.node.services.courses.course(courseId);
    const author = await node.node.services.actors.byId(published?.actorId ?? 0);
    expect(author?.type).toBe("Person");
    expect(author?.name).toBe("Ada Lovelace");
  });

  it("shares the changes as a new revision of the same course", async () => {
    const asked = await share(CLEAN, { title: "Chimie organique (2e version)" });
    const job = await finished(asked.body.job.id);
    expect(job).toMatchObject({ state: "done", course: { id: courseId, revision: 2 } });
    const state = await api(`/site/courses/${CLEAN}`);
    expect(state.body.course).toMatchObject({
      id: courseId,
      revision: 2,
      title: "Chimie organique (2e version)",
    });
    const revision = await node.node.services.courses.latestRevision(courseId);
    expect(revision?.revision).toBe(2);
  });

  it("leaves a course shared by one teacher to them", async () => {
    const refused = await share(CLEAN, {}, GRACE);
    expect(refused.status).toBe(403);
    expect(refused.body.error).toEqual({
      code: "shared_by_someone_else",
      message:
        "This course was shared by Ada Lovelace: only they may share its changes or withdraw it.",
    });
    const withdrawal = await api(`/site/courses/${CLEAN}/share`, { method: "DELETE", user: GRACE });
    expect(withdrawal.status).toBe(403);
    expect(withdrawal.body.error.code).toBe("shared_by_someone_else");
  });

  it("withdraws it, and a share after that is a new course", async () => {
    const withdrawn = await api(`/site/courses/${CLEAN}/share`, { method: "DELETE" });
    expect(withdrawn.status).toBe(204);
    const state = await api(`/site/courses/${CLEAN}`);
    expect(state.body).toMatchObject({ shared: false, course: { id: courseId, revision: 2 } });
    expect(Date.parse(state.body.withdrawnAt)).toBeGreaterThan(0);
    expect((await node.node.services.courses.course(courseId))?.deletedAt).not.toBeNull();

    const again = await api(`/site/courses/${CLEAN}/share`, { method: "DELETE" });
    expect(again.status).toBe(404);
    expect(again.body.error.code).toBe("not_shared");

    const reshared = await finished((await share(CLEAN)).body.job.id);
    expect(reshared.state).toBe("done");
    expect(reshared.course.id).not.toBe(courseId);
    expect(reshared.course.revision).toBe(1);
    expect((await api(`/site/courses/${CLEAN}`)).body).toMatchObject({
      shared: true,
      withdrawnAt: null,
      course: { id: reshared.course.id },
    });
  });

  it("refuses a backup holding personal data, naming what was found", async () => {
    const job = await finished((await share(WITH_STUDENTS)).body.job.id);
    expect(job).toMatchObject({ state: "failed", errorCode: "personal_data", course: null });
    expect(job.message).toContain("2 userAccounts");
    expect(job.findings).toEqual([
      { category: "userAccounts", count: 2, sources: [{ source: "users.xml", count: 2 }] },
    ]);
    const state = await api(`/site/courses/${WITH_STUDENTS}`);
    expect(state.body).toMatchObject({ shared: false, job: { state: "failed" } });
  });

  it("says what Moodle answered when the backup fails", async () => {
    const job = await finished((await share(MISSING)).body.job.id);
    expect(job.state).toBe("failed");
    expect(job.errorCode).toMatch(/^moodle_/);
    expect(job.message).toContain("Can't find data record");
  });

  it("shows a backup under way, gives the same job back, and refuses a withdrawal meanwhile", async () => {
    const asked = await share(SLOW);
    await eventually(
      async () =>
        (await api(`/site/share-jobs/${asked.body.job.id}`)).body.job.state === "backing-up",
    );
    const twice = await share(SLOW);
    expect(twice.status).toBe(202);
    expect(twice.body.job.id).toBe(asked.body.job.id);
    const withdrawal = await api(`/site/courses/${SLOW}/share`, { method: "DELETE" });
    expect(withdrawal.status).toBe(409);
    expect(withdrawal.body.error.code).toBe("share_under_way");
    releaseSlowBackup();
    expect((await finished(asked.body.job.id)).state).toBe("done");
  });

  it("says when the node cannot reach the site", async () => {
    const asked = await api("/site/courses/5/share", {
      method: "POST",
      json: { title: "Unreachable" },
      token: otherSiteToken,
    });
    const job = await eventually(async () => {
      const { body } = await api(`/site/share-jobs/${asked.body.job.id}`, {
        token: otherSiteToken,
      });
      return body.job.state === "failed" ? body.job : undefined;
    });
    expect(job.errorCode).toBe("moodle_unreachable");
  });
});

describe("who may share", () => {
  it("answers only a site's token, for its own jobs, acting for a Moodle user to share", async () => {
    const asAdmin = await api(`/site/courses/${CLEAN}`, { token: node.token, user: null });
    expect(asAdmin.status).toBe(403);
    expect(asAdmin.body.error.code).toBe("site_token_required");

    const withoutUser = await api(`/site/courses/${CLEAN}/share`, {
      method: "POST",
      json: { title: "Anonymous" },
      user: null,
    });
    expect(withoutUser.status).toBe(403);
    expect(withoutUser.body.error.code).toBe("moodle_user_required");
    // Reading the state needs no Moodle user: the site itself may look.
    expect((await api(`/site/courses/${CLEAN}`, { user: null })).status).toBe(200);

    const ours = (await api(`/site/courses/${CLEAN}`)).body.job.id as string;
    const fromElsewhere = await api(`/site/share-jobs/${ours}`, { token: otherSiteToken });
    expect(fromElsewhere.status).toBe(404);
    expect(fromElsewhere.body.error.code).toBe("share_job_not_found");
  });

  it("checks the metadata as publishing does", async () => {
    const badTag = await share(CLEAN, { tags: ["two  spaces"] });
    expect(badTag.status).toBe(400);
    const emptyTitle = await share(CLEAN, { title: "  " });
    expect(emptyTitle.status).toBe(400);
    const longTitle = await share(CLEAN, { title: "x".repeat(301) });
    expect(longTitle.status).toBe(400);
  });

  it("describes the routes in OpenAPI", async () => {
    const document = (await (await fetch(new URL("/api/openapi.json", node.url))).json()) as {
      paths: Record<string, unknown>;
    };
    expect(Object.keys(document.paths)).toEqual(
      expect.arrayContaining([
        "/api/v1/site/courses/{moodleCourseId}",
        "/api/v1/site/courses/{moodleCourseId}/share",
        "/api/v1/site/share-jobs/{id}",
      ]),
    );
  });
});
