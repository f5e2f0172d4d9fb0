import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { totalsStoppingAt } from "../support/catalog-total-bound.ts";
import { coursefedBin as bin, coursefed } from "../support/coursefed-cli.ts";
import { scratchDirectory } from "../support/scratch-directory.ts";
import { fixture, haveFixtures } from "../support/shared-fixtures.ts";
import { startTestNode, type TestNode } from "../support/test-node.ts";

const scratch = scratchDirectory("coursefed-cli-commands-");
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
    const followed = await coursefed(
      school,
      "follow",
      universityActor,
      "--wait",
      "--timeout",
      "1s",
    );
    // Waiting alone would not end it: the follower's admin is told who must answer.
    expect(followed.code).toBe(0);
    expect(followed.stdout).toContain(
      `Follow sent to ${universityActor}: still waiting for its approval after 1 s: its node's admins answer follow requests (coursefed follow-requests there)`,
    );

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

    const out = scratch.path("glossary.mbz");
    const fetched = await coursefed(school, "fetch", course.object, "--out", out);
    expect(fetched.code).toBe(0);
    expect(fetched.stdout).toContain("verified");
    expect(
      readFileSync(out).equals(readFileSync(fixture("m26dev-zip-course-glossary-nousers.mbz"))),
    ).toBe(true);
  });

  it("restores a catalog course, and says why Moodle failed it", async () => {
    const { items } = JSON.parse((await coursefed(school, "catalog", "--json")).stdout) as {
      items: Array<{ object: string; title: string }>;
    };
    const glossary = items.find((item) => item.title === "Glossary course")?.object as string;
    const moodleDir = scratch.path("no-moodle");
    const added = await coursefed(
      school,
      "moodle",
      "add",
      "school-moodle",
      "--driver",
      "cli",
      "--url",
      "https://moodle.school.example",
      "--moodle-dir",
      moodleDir,
    );
    expect(added.code).toBe(0);
    const restored = await coursefed(
      school,
      "restore",
      glossary,
      "--target",
      "school-moodle",
      "--wait",
    );
    expect(restored.code).toBe(5);
    expect(restored.stdout).toMatch(/^Restore job [0-9a-f-]{36}: queued\n/);
    expect(restored.stderr).toContain("the restore failed (misconfigured)");
    expect(restored.stderr).toContain(`${moodleDir} holds no config.php`);
    const failed = await coursefed(school, "restores", "--state", "failed");
    expect(failed.stdout).toContain(`${glossary} (revision 1)`);
  });

  it("says when the compatibility check refuses a restore, with exit code 3", async () => {
    const { items } = JSON.parse((await coursefed(school, "catalog", "--json")).stdout) as {
      items: Array<{ object: string; title: string }>;
    };
    const glossary = items.find((item) => item.title === "Glossary course")?.object as string;
    const target = await school.node.services.moodleTargets.add({
      name: "old-moodle",
      driver: "cli",
      url: "https://old.school.example",
      moodleDir: join(tmpdir(), "coursefed-old-moodle"),
    });
    // What a probe of a Moodle 2.5 site said a moment ago: older than the 2.6 backup.
    await school.node.services.moodleTargets.saveProbe(target, {
      version: "2013051400",
      release: "2.5 (Build: 20130514)",
      branch: "2.5",
      plugins: { mod_glossary: 2013050100 },
      maxRestoreBytes: null,
    });
    const refused = await coursefed(
      school,
      "restore",
      glossary,
      "--target",
      "old-moodle",
      "--wait",
    );
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain("2.6");
    expect(refused.stderr).toContain("--override");
  });

  it("restores into an existing course only with --confirm, naming the course first", async () => {
    const { items } = JSON.parse((await coursefed(school, "catalog", "--json")).stdout) as {
      items: Array<{ object: string; title: string }>;
    };
    const glossary = items.find((item) => item.title === "Glossary course")?.object as string;
    const into = ["restore", glossary, "--target", "school-moodle", "--into-course", "12"];
    const unconfirmed = await coursefed(school, ...into, "--mode", "replace");
    expect(unconfirmed.code).toBe(2);
    expect(unconfirmed.stderr).toContain("Moodle course 12 on school-moodle deletes its contents");
    expect(unconfirmed.stderr).toContain("--confirm");
    const confirmed = await coursefed(school, ...into, "--mode", "replace", "--confirm");
    expect(confirmed.code).toBe(0);
    expect(confirmed.stdout).toMatch(/^Restore job [0-9a-f-]{36}: queued\n/);
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

  it("says 'at least' a total whose count stopped at its budget", async () => {
    const restore = totalsStoppingAt(school.node.services.catalog, 3);
    try {
      expect((await coursefed(school, "catalog")).stdout).toMatch(/^at least 3 courses\n/);
    } finally {
      restore();
    }
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

describe("coursefed moodle and rules against a running node", () => {
  const moodleDir = join(tmpdir(), "coursefed-nowhere", "moodle");

  it("adds, lists, probes and removes Moodle targets", async () => {
    const added = await coursefed(
      university,
      "moodle",
      "add",
      "local",
      "--driver",
      "cli",
      "--url",
      "https://moodle.univ.example",
      "--moodle-dir",
      moodleDir,
      "--category",
      "4",
      "--timeout",
      "10m",
    );
    expect(added.code).toBe(0);
    expect(added.stdout).toContain("Added Moodle target local (cli, https://moodle.univ.example");
    const remote = await coursefed(
      university,
      "moodle",
      "add",
      "remote",
      "--driver",
      "ws",
      "--url",
      "https://moodle.elsewhere.example",
      "--ws-token",
      "ws-secret",
    );
    expect(remote.code).toBe(0);
    const incomplete = await coursefed(
      university,
      "moodle",
      "add",
      "nodir",
      "--driver",
      "cli",
      "--url",
      "https://moodle.univ.example",
    );
    expect(incomplete.code).toBe(2);
    expect(incomplete.stderr).toContain("needs the Moodle code directory");

    const listed = await coursefed(university, "moodle", "list", "--json");
    expect(listed.stdout).not.toContain("ws-secret");
    expect(JSON.parse(listed.stdout)).toEqual([
      expect.objectContaining({ name: "local", defaultCategoryId: 4, timeoutMs: 600_000 }),
      expect.objectContaining({ name: "remote", driver: "ws", probe: null }),
    ]);
    expect((await coursefed(university, "moodle", "list")).stdout).toContain(
      "never probed (coursefed moodle probe local)",
    );

    const probed = await coursefed(university, "moodle", "probe", "local");
    expect(probed.code).toBe(5);
    expect(probed.stderr).toContain(`${moodleDir} holds no config.php`);

    expect((await coursefed(university, "moodle", "remove", "remote")).code).toBe(0);
    const again = await coursefed(university, "moodle", "remove", "remote");
    expect(again.code).toBe(2);
    expect(again.stderr).toContain("There is no Moodle target named remote");
  });

  it("publishes from Moodle only through a target that works", async () => {
    const unknown = await coursefed(
      university,
      "publish",
      "--from-moodle",
      "nowhere",
      "--course",
      "2",
      "--title",
      "T",
    );
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("There is no Moodle target named nowhere");
    const broken = await coursefed(
      university,
      "publish",
      "--from-moodle",
      "local",
      "--course",
      "2",
      "--title",
      "T",
    );
    expect(broken.code).toBe(5);
    expect(broken.stderr).toContain("holds no config.php");
  });

  it("sets where teachers may restore, and grants and takes back existing courses", async () => {
    await university.node.services.actors.createTeacher("hedy", "Hedy Lamarr");
    const opened = await coursefed(
      university,
      "moodle",
      "teachers",
      "local",
      // Repeated, as every option taking several values may be (3,5 is the same).
      "--categories",
      "3",
      "--categories",
      "5",
    );
    expect(opened.code).toBe(0);
    expect(opened.stdout).toContain("teachers restore into categories 3, 5");
    const invalid = await coursefed(
      university,
      "moodle",
      "teachers",
      "local",
      "--categories",
      "3,x",
    );
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toContain('"x" is not a Moodle category id');
    expect(
      JSON.parse((await coursefed(university, "moodle", "list", "--json")).stdout),
    ).toContainEqual(expect.objectContaining({ name: "local", teacherCategoryIds: [3, 5] }));

    const granted = await coursefed(
      university,
      "moodle",
      "grant",
      "local",
      "--course",
      "9",
      "--teacher",
      "hedy",
    );
    expect(granted.code).toBe(0);
    expect(granted.stdout).toBe("hedy may restore into course 9 of local.\n");
    const nobody = await coursefed(
      university,
      "moodle",
      "grant",
      "local",
      "--course",
      "9",
      "--teacher",
      "nobody",
    );
    expect(nobody.code).toBe(2);
    expect(nobody.stderr).toContain("There is no teacher with the handle nobody");
    expect((await coursefed(university, "moodle", "grants", "local")).stdout).toMatch(
      /^course 9 {2}hedy {2}granted by initial admin, /,
    );
    expect(
      (
        await coursefed(
          university,
          "moodle",
          "revoke",
          "local",
          "--course",
          "9",
          "--teacher",
          "hedy",
        )
      ).code,
    ).toBe(0);
    expect((await coursefed(university, "moodle", "grants", "local")).stdout).toBe(
      "No course of local is granted to a teacher.\n",
    );
    const closed = await coursefed(
      university,
      "moodle",
      "teachers",
      "local",
      "--categories",
      "none",
    );
    expect(closed.stdout).toContain("closed to teachers' new courses");

    const inside = await coursefed(
      university,
      "moodle",
      "node-url",
      "local",
      "http://coursefed.internal:8080/",
    );
    expect(inside.stdout).toContain("reaches this node at http://coursefed.internal:8080\n");
    const withPassword = await coursefed(
      university,
      "moodle",
      "node-url",
      "local",
      "http://me:pw@coursefed.internal",
    );
    expect(withPassword.code).toBe(2);
    expect(withPassword.stderr).toContain("must not hold a user name or password");
    const publicAgain = await coursefed(university, "moodle", "node-url", "local", "none");
    expect(publicAgain.stdout).not.toContain("reaches this node at");
  });

  it("adds, lists and removes auto-restore rules", async () => {
    const added = await coursefed(
      university,
      "rules",
      "--add",
      "--tag",
      "maths",
      "--on",
      "both",
      "--target",
      "local",
      "--category",
      "3",
    );
    expect(added.code).toBe(0);
    expect(added.stdout).toMatch(
      /^Added rule \d+: new or updated courses tagged maths → local, category 3, new-course/,
    );
    const [rule] = JSON.parse((await coursefed(university, "rules", "--json")).stdout);
    expect(rule).toMatchObject({ tag: "maths", on: "both", target: "local", categoryId: 3 });
    expect((await coursefed(university, "rules", "--remove", String(rule.id))).code).toBe(0);
    expect((await coursefed(university, "rules")).stdout).toBe("No auto-restore rules.\n");
  });

  it("refuses a restore into both a new and an existing course", async () => {
    const run = await coursefed(
      university,
      "restore",
      "https://school.example/courses/1",
      "--target",
      "local",
      "--category",
      "2",
      "--into-course",
      "5",
      "--mode",
      "merge",
    );
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("cannot be used with option '--into-course <id>'");
  });
});
