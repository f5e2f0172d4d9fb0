import { readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { publishCourse } from "../../packages/node/src/courses/publish-service.ts";
import { domainServices } from "../../packages/node/src/federation/domain-services.ts";
import { buildTarGz, moodleBackupXml } from "../support/archive-builder.ts";
import { eventually } from "../support/eventually.ts";
import { contextOf, followAndApprove } from "../support/federation-steps.ts";
import { fixture, haveFixtures } from "../support/shared-fixtures.ts";
import { startTestNode, type TestNode } from "../support/test-node.ts";

let school: TestNode;
let university: TestNode;
let ada: string;
let grace: string;

async function api(path: string, token: string, init: { method?: string; json?: unknown } = {}) {
  const response = await fetch(new URL(`/api/v1${path}`, school.url), {
    method: init.method ?? "GET",
    headers: {
      authorization: `Bearer ${token}`,
      ...(init.json === undefined ? {} : { "content-type": "application/json" }),
    },
    body: init.json === undefined ? null : JSON.stringify(init.json),
  });
  // An archive's bytes are read to the end and left out: only JSON answers are looked at.
  const json = (response.headers.get("content-type") ?? "").includes("json");
  if (!json) await response.arrayBuffer();
  const text = json ? await response.text() : "";
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

async function upload(token: string, bytes: Buffer) {
  const response = await fetch(new URL("/api/v1/uploads", school.url), {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/octet-stream" },
    body: bytes,
  });
  expect(response.status).toBe(201);
  return (await response.json()) as { id: string; sha256: string };
}

/** A small clean backup, different for each title (its activity's title). */
async function backup(title: string): Promise<Buffer> {
  return await buildTarGz([
    {
      name: "moodle_backup.xml",
      data: moodleBackupXml({ activities: [{ module: "page", id: 4, title }] }),
    },
  ]);
}

async function publish(token: string, bytes: Buffer, fields: Record<string, unknown>) {
  const uploaded = await upload(token, bytes);
  const published = await api("/courses", token, {
    method: "POST",
    json: { uploadId: uploaded.id, ...fields },
  });
  expect(published.status).toBe(201);
  return { uploaded, published: published.body as { sha256: string; object: string } };
}

beforeAll(async () => {
  [school, university] = await Promise.all([
    startTestNode("school", "School"),
    startTestNode("univ", "University"),
  ]);
  const teacher = async (handle: string) =>
    (await api("/teachers", school.token, { method: "POST", json: { handle, name: handle } })).body
      .token as string;
  ada = await teacher("ada");
  grace = await teacher("grace");
});
afterAll(async () => {
  await Promise.all([school, university].map((peer) => peer?.stop()));
});

describe("archives over the API, to whoever may read their course", () => {
  it("serves a course's archive to its author and admins, a public or catalog one to any teacher, a private one to no other teacher", async () => {
    const { published } = await publish(ada, await backup("Private notes"), {
      title: "Private notes",
      visibility: "private",
    });
    const path = `/archives/${published.sha256}`;
    expect((await api(path, ada)).status).toBe(200);
    expect((await api(path, school.token)).status).toBe(200);
    const refused = await api(path, grace);
    expect(refused.status).toBe(403);
    expect(refused.body.error.message).toContain("another teacher's course that is not public");

    const followers = await publish(ada, await backup("For followers"), {
      title: "For followers",
      visibility: "followers",
    });
    expect((await api(`/archives/${followers.published.sha256}`, grace)).status).toBe(403);
    const open = await publish(ada, await backup("Open"), { title: "Open" });
    expect((await api(`/archives/${open.published.sha256}`, grace)).status).toBe(200);
    // A catalog course, received from a peer, is any teacher's to download.
    await followAndApprove(school, university);
    const source = await backup("From the university");
    const file = join(tmpdir(), `coursefed-archive-access-${process.pid}.mbz`);
    await writeFile(file, source);
    const received = await publishCourse(
      domainServices(contextOf(university)),
      university.node.institution,
      file,
      {
        title: "From the university",
      },
    );
    await rm(file, { force: true });
    const object = new URL(`/courses/${received.course.id}`, university.url).href;
    await eventually(() => school.node.services.catalog.catalogEntry(object));
    const fetched = await api("/catalog/fetch", grace, { method: "POST", json: { object } });
    expect(fetched.status).toBe(200);
    expect((await api(`/archives/${fetched.body.sha256}`, grace)).status).toBe(200);
  });

  it("serves no upload waiting to be published, not even to its uploader", async () => {
    const waiting = await upload(ada, await backup("Not yet"));
    for (const token of [ada, school.token]) {
      const answer = await api(`/archives/${waiting.sha256}`, token);
      expect(answer.status).toBe(404);
      expect(answer.body.error.message).toContain("no course archive with that digest");
    }
    expect(await school.node.services.blobs.has(waiting.sha256)).toBeDefined();
  });
});

describe.runIf(haveFixtures())("the personal data of a backup published sanitized", () => {
  it("is deleted as soon as the sanitized copy is published through the API", async () => {
    const { uploaded, published } = await publish(
      ada,
      await readFile(fixture("m3107-tgz-course-quiz-users-logs.mbz")),
      { title: "Quiz, sanitized", sanitize: true },
    );
    expect(published.sha256).not.toBe(uploaded.sha256);
    expect(await school.node.services.blobs.has(uploaded.sha256)).toBeUndefined();
    for (const token of [ada, school.token]) {
      expect((await api(`/archives/${uploaded.sha256}`, token)).status).toBe(404);
    }
    expect((await api(`/archives/${published.sha256}`, ada)).status).toBe(200);
  });
});
