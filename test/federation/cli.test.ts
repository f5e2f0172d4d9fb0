import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixture, haveFixtures } from "../support/shared-fixtures.ts";
import { startTestNode, type TestNode } from "../support/test-node.ts";

const bin = fileURLToPath(new URL("../../packages/node/bin/coursefed.js", import.meta.url));

// Asynchronous: the nodes answering these commands run in this same process.
function coursefed(
  peer: TestNode,
  ...args: string[]
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [
      bin,
      ...args,
      "--node",
      peer.url.href,
      "--token",
      peer.token,
    ]);
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
    });
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

let university: TestNode;
let school: TestNode;
beforeAll(async () => {
  [university, school] = await Promise.all([startTestNode("univ"), startTestNode("school")]);
});
afterAll(async () => {
  await Promise.all([university, school].map((peer) => peer?.stop()));
});

describe.runIf(haveFixtures())("coursefed commands against running nodes", () => {
  it("follows, approves, publishes and finds a course", async () => {
    const universityActor = new URL("/actors/institution", university.url).href;
    const followed = await coursefed(school, "follow", universityActor);
    expect(followed.stdout).toContain("pending");

    let requests = "";
    for (let tries = 0; tries < 100 && !requests.includes("/actors/institution"); tries++) {
      requests = (await coursefed(university, "follow-requests")).stdout;
    }
    const schoolActor = new URL("/actors/institution", school.url).href;
    expect(requests).toContain(schoolActor);
    expect((await coursefed(university, "follow-requests", "--accept", schoolActor)).code).toBe(0);

    // Its settings claim users, but it holds none: it is published.
    const settingsOnly = await coursefed(
      university,
      "publish",
      fixture("m41dev-tgz-course-quiz-users.mbz"),
      "--title",
      "Tags",
    );
    expect(settingsOnly.code).toBe(0);
    const personal = await coursefed(
      university,
      "publish",
      fixture("m3107-tgz-course-quiz-users-logs.mbz"),
      "--title",
      "Quiz",
    );
    expect(personal.code).toBe(3);
    expect(personal.stderr).toContain("personal data");

    const published = await coursefed(
      university,
      "publish",
      fixture("m26dev-zip-course-glossary-nousers.mbz"),
      "--title",
      "Glossary course",
      "--tag",
      "languages",
      "--json",
    );
    expect(published.code).toBe(0);
    const course = JSON.parse(published.stdout) as { object: string };

    let catalog = { total: 0, items: [] as Array<{ object: string }> };
    for (let tries = 0; tries < 100 && catalog.total < 2; tries++) {
      catalog = JSON.parse((await coursefed(school, "catalog", "--json")).stdout);
    }
    expect(catalog.items.map((item) => item.object)).toContain(course.object);
    const byTag = await coursefed(school, "catalog", "--tag", "languages");
    expect(byTag.stdout).toContain("1 course\n- Glossary course");

    const out = join(mkdtempSync(join(tmpdir(), "coursefed-fetch-")), "glossary.mbz");
    const fetched = await coursefed(school, "fetch", course.object, "--out", out);
    expect(fetched.code).toBe(0);
    expect(fetched.stdout).toContain("verified");
    expect(
      readFileSync(out).equals(readFileSync(fixture("m26dev-zip-course-glossary-nousers.mbz"))),
    ).toBe(true);
  });

  it("creates and lists teacher accounts", async () => {
    const created = await coursefed(
      university,
      "teachers",
      "--add",
      "grace",
      "--name",
      "Grace Hopper",
    );
    expect(created.code).toBe(0);
    expect(created.stdout).toMatch(/API token for grace \(shown this once\):\n {2}cf_/);
    expect((await coursefed(university, "teachers")).stdout).toContain("@grace  Grace Hopper");
  });

  it("says when the node cannot be reached or the token is wrong", async () => {
    const unreachable = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [
        bin,
        "catalog",
        "--node",
        "http://127.0.0.1:9/",
        "--token",
        "x",
      ]);
      let stderr = "";
      child.stderr.on("data", (chunk) => {
        stderr += chunk;
      });
      child.on("close", (code) => resolve({ code, stderr }));
    });
    expect(unreachable.code).toBe(5);
    expect(unreachable.stderr).toContain("Cannot reach the node");
    const wrong = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [
        bin,
        "catalog",
        "--node",
        university.url.href,
        "--token",
        "cf_wrong",
      ]);
      let stderr = "";
      child.stderr.on("data", (chunk) => {
        stderr += chunk;
      });
      child.on("close", (code) => resolve({ code, stderr }));
    });
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain("token is not valid");
  });
});
