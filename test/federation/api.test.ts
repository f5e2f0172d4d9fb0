import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually } from "../support/eventually.ts";
import { fixture, haveFixtures } from "../support/shared-fixtures.ts";
import { startTestNode, type TestNode } from "../support/test-node.ts";

let university: TestNode;
let school: TestNode;

async function api(peer: TestNode, path: string, init: RequestInit & { json?: unknown } = {}) {
  const headers = new Headers(init.headers);
  if (!headers.has("authorization")) headers.set("authorization", `Bearer ${peer.token}`);
  let body = init.body;
  if (init.json !== undefined) {
    headers.set("content-type", "application/json");
    body = JSON.stringify(init.json);
  }
  const response = await fetch(new URL(`/api/v1${path}`, peer.url), {
    ...init,
    headers,
    body: body ?? null,
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

async function upload(peer: TestNode, bytes: Buffer) {
  return await api(peer, "/uploads", {
    method: "POST",
    headers: { "content-type": "application/octet-stream" },
    body: bytes,
  });
}

beforeAll(async () => {
  [university, school] = await Promise.all([
    startTestNode("univ", "University", { maxUpload: "2MiB" }),
    startTestNode("school", "School"),
  ]);
});
afterAll(async () => {
  await Promise.all([university, school].map((peer) => peer?.stop()));
});

describe("the HTTP API", () => {
  it("refuses calls without a valid token, with a JSON error", async () => {
    const missing = await api(university, "/catalog", { headers: { authorization: "" } });
    expect(missing.status).toBe(401);
    expect(missing.body.error.code).toBe("unauthorized");
    const wrong = await api(university, "/catalog", {
      headers: { authorization: "Bearer cf_nope" },
    });
    expect(wrong.status).toBe(401);
  });

  it("describes itself in OpenAPI", async () => {
    const document = (await (await fetch(new URL("/api/openapi.json", university.url))).json()) as {
      openapi: string;
      paths: Record<string, unknown>;
    };
    expect(document.openapi).toBe("3.1.0");
    expect(Object.keys(document.paths)).toEqual(
      expect.arrayContaining([
        "/api/v1/uploads",
        "/api/v1/courses",
        "/api/v1/catalog",
        "/api/v1/follows",
      ]),
    );
  });

  it("answers a malformed request with 400 and what is wrong", async () => {
    const response = await api(university, "/follows", { method: "POST", json: { nothing: true } });
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe("invalid_request");
  });

  it("answers an address with control characters with 400 and why, accents passing", async () => {
    for (const path of ["/catalog?tag=a%00", "/catalog?q=line%0Abreak", "/catalog?%09=1"]) {
      const response = await api(university, path);
      expect(response.status, path).toBe(400);
      expect(response.body.error.code).toBe("invalid_request");
      expect(response.body.error.message).toContain("control characters");
    }
    expect((await api(university, "/catalog?q=%C3%A9t%C3%A9&tag=%C3%A9cole")).status).toBe(200);
  });

  it("refuses an upload that is not a backup, or too large", async () => {
    const garbage = await upload(university, Buffer.from("not a backup at all"));
    expect(garbage.status).toBe(422);
    expect(garbage.body.error.message).toContain("neither a zip nor");
    const large = await upload(university, Buffer.alloc(3 * 1024 * 1024));
    expect(large.status).toBe(413);
  });
});

describe.runIf(haveFixtures())("follow, approve, publish and search through the API", () => {
  it("goes from a follow request to a course in the follower's catalog", async () => {
    const actor = new URL("/actors/institution", university.url).href;
    const followed = await api(school, "/follows", { method: "POST", json: { target: actor } });
    expect(followed).toMatchObject({ status: 202, body: { actor, state: "pending" } });

    await eventually(
      async () => (await api(university, "/follow-requests")).body.items.length === 1,
    );
    const requests = await api(university, "/follow-requests");
    const follower = requests.body.items[0].actor as string;
    expect(follower).toBe(new URL("/actors/institution", school.url).href);
    expect(
      (
        await api(university, "/follow-requests/accept", {
          method: "POST",
          json: { actor: follower },
        })
      ).status,
    ).toBe(204);

    const withUsers = await upload(
      university,
      await readFile(fixture("m3107-tgz-course-quiz-users-logs.mbz")),
    );
    expect(withUsers.status).toBe(201);
    expect(withUsers.body.backup.personalData.verdict).toBe("contains-personal-data");
    const refused = await api(university, "/courses", {
      method: "POST",
      json: { uploadId: withUsers.body.id, title: "Quiz" },
    });
    expect(refused.status).toBe(422);
    expect(refused.body.error.code).toBe("personal_data");
    expect(refused.body.error.details).toEqual(
      expect.arrayContaining([expect.objectContaining({ category: "userAccounts", count: 2 })]),
    );

    const clean = await upload(
      university,
      await readFile(fixture("m324-tgz-course-files-scorm-nousers.mbz")),
    );
    expect(clean.body.backup).toMatchObject({
      format: "tar.gz",
      personalData: { verdict: "clean" },
    });
    const published = await api(university, "/courses", {
      method: "POST",
      json: {
        uploadId: clean.body.id,
        title: "SCORM sampler",
        summary: "Four activities",
        tags: ["scorm"],
        license: "CC-BY-4.0",
      },
    });
    expect(published.status).toBe(201);
    expect(published.body).toMatchObject({ revision: 1, sha256: clean.body.sha256 });

    await eventually(async () => (await api(school, "/catalog?q=sampler")).body.total === 1);
    const found = await api(school, "/catalog?q=SCORM%20four&tag=scorm");
    expect(found.body.items[0]).toMatchObject({
      title: "SCORM sampler",
      object: published.body.object,
      requiredPlugins: [],
    });
    expect((await api(school, "/catalog?q=nothing-like-this")).body.total).toBe(0);
  });
});
