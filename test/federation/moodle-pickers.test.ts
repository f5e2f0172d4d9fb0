/**
 * Picking a Moodle category or course by name (GET /moodle/targets/{name}/categories and
 * /courses, `coursefed moodle categories` and `courses`) and naming a restored course
 * (fullName, shortName; `coursefed restore --full-name --short-name`), against a stand-in
 * ws site (test/support/moodle-listing-site.ts); the drivers' listings themselves are
 * tested on real Moodle sites in test/moodle.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseRegistrationCode } from "../../packages/node/src/moodle-sites/registration-code.ts";
import { coursefed } from "../support/coursefed-cli.ts";
import {
  followAndApprove,
  publishToFollower,
  writeOnePageBackup,
} from "../support/federation-steps.ts";
import {
  LISTED_CATEGORIES,
  type ListingSite,
  startListingSite,
} from "../support/moodle-listing-site.ts";
import { type NodeApiCall, nodeApi } from "../support/node-api.ts";
import { freePort, startTestNode, type TestNode } from "../support/test-node.ts";

let university: TestNode;
let school: TestNode;
let site: ListingSite;
let oldSite: ListingSite;
let teacherToken: string;
let object: string;
let workDir: string;

const api = (path: string, call: NodeApiCall = {}) => nodeApi(school, path, call);

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), "coursefed-pickers-"));
  [university, school, site, oldSite] = await Promise.all([
    startTestNode("univ", "University"),
    startTestNode("school", "School"),
    startListingSite(),
    startListingSite({ plugin: "old" }),
  ]);
  const targets = school.node.services.moodleTargets;
  await targets.add({ name: "lyon", driver: "ws", url: site.url, token: "t" });
  await targets.add({ name: "old", driver: "ws", url: oldSite.url, token: "t" });
  await targets.add({
    name: "down",
    driver: "ws",
    url: `http://127.0.0.1:${await freePort()}`,
    token: "t",
    timeoutMs: 5000,
  });
  const teacher = await api("/teachers", {
    method: "POST",
    json: { handle: "ada", name: "Ada Lovelace" },
  });
  teacherToken = teacher.body.token;
  await followAndApprove(school, university);
  object = await publishToFollower(university, school, await writeOnePageBackup(workDir), {
    title: "Optique ondulatoire",
  });
});

afterAll(async () => {
  await Promise.all([university, school].map((peer) => peer?.stop()));
  await Promise.all([site, oldSite].map((stub) => stub?.close()));
  await rm(workDir, { recursive: true, force: true });
});

describe("picking a Moodle category by name", () => {
  it("lists an admin every category the site lists, with its path, course count and visibility", async () => {
    const listed = await api("/moodle/targets/lyon/categories");
    expect(listed.status).toBe(200);
    expect(listed.body).toEqual({
      target: "lyon",
      onlyOpenToTeachers: false,
      items: [
        { id: 1, name: "Divers", path: "Divers", parentId: 0, courseCount: 0, visible: true },
        { id: 4, name: "Sciences", path: "Sciences", parentId: 0, courseCount: 1, visible: true },
        {
          id: 7,
          name: "Chimie",
          path: "Sciences / Chimie",
          parentId: 4,
          courseCount: 2,
          visible: true,
        },
        {
          id: 9,
          name: "Archives",
          path: "Sciences / Archives",
          parentId: 4,
          courseCount: 0,
          visible: false,
        },
      ],
    });
  });

  it("lists a teacher only the categories open to teachers", async () => {
    const none = await api("/moodle/targets/lyon/categories", { token: teacherToken });
    expect(none.body).toMatchObject({ onlyOpenToTeachers: true, items: [] });
    await api("/moodle/targets/lyon/teachers", { method: "PUT", json: { categoryIds: [7, 9] } });
    const open = await api("/moodle/targets/lyon/categories", { token: teacherToken });
    expect(open.status).toBe(200);
    expect(open.body.items.map((category: { path: string }) => category.path)).toEqual([
      "Sciences / Chimie",
      "Sciences / Archives",
    ]);
  });

  it("says which target does not exist, and why a site cannot be listed", async () => {
    const missing = await api("/moodle/targets/nowhere/categories");
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe("target_not_found");
    const old = await api("/moodle/targets/old/categories");
    expect(old.status).toBe(502);
    expect(old.body.error.code).toBe("moodle_plugin_missing");
    expect(old.body.error.message).toContain("older than version 2026120601");
    const down = await api("/moodle/targets/down/categories");
    expect(down.status).toBe(502);
    expect(down.body.error.code).toBe("moodle_unreachable");
  });

  it("prints them with `coursefed moodle categories`, ids first", async () => {
    const printed = await coursefed(school, "moodle", "categories", "lyon");
    expect(printed.code).toBe(0);
    expect(printed.stdout).toBe(
      [
        "1  Divers  (0 courses)",
        "4  Sciences  (1 course)",
        "7  Sciences / Chimie  (2 courses)",
        "9  Sciences / Archives  (0 courses, hidden)",
        "",
      ].join("\n"),
    );
    const json = await coursefed(school, "moodle", "categories", "lyon", "--json");
    expect(JSON.parse(json.stdout).items).toHaveLength(LISTED_CATEGORIES.length);
    const failed = await coursefed(school, "moodle", "categories", "old");
    expect(failed.code).not.toBe(0);
    expect(failed.stderr).toContain("older than version 2026120601");
  });
});

describe("searching a Moodle course by name", () => {
  it("finds an admin the courses holding every word, a page at a time", async () => {
    const page = await api("/moodle/targets/lyon/courses?search=chimie&limit=1&offset=1");
    expect(page.status).toBe(200);
    expect(page.body).toEqual({
      target: "lyon",
      total: 2,
      items: [
        {
          id: 30,
          fullName: "Chimie organique",
          shortName: "CHORG",
          categoryId: 7,
          categoryPath: "Sciences / Chimie",
          visible: false,
        },
      ],
    });
    expect(site.calls.at(-1)).toEqual({
      wsfunction: "local_coursefed_list_courses",
      parameters: { search: "chimie", offset: "1", limit: "1" },
    });
    const all = await api("/moodle/targets/lyon/courses");
    expect(all.body.total).toBe(3);
    expect(site.calls.at(-1)?.parameters).toEqual({ offset: "0", limit: "50" });
  });

  it("refuses a teacher, a page too large, and an unknown target", async () => {
    const teacher = await api("/moodle/targets/lyon/courses?search=chimie", {
      token: teacherToken,
    });
    expect(teacher.status).toBe(403);
    expect(teacher.body.error.code).toBe("listing_not_permitted");
    expect((await api("/moodle/targets/lyon/courses?limit=201")).status).toBe(400);
    expect((await api("/moodle/targets/lyon/courses?offset=-1")).status).toBe(400);
    expect((await api("/moodle/targets/nowhere/courses")).status).toBe(404);
  });

  it("prints them with `coursefed moodle courses --search`, and says where the next page starts", async () => {
    const printed = await coursefed(
      school,
      "moodle",
      "courses",
      "lyon",
      "--search",
      "chimie",
      "--limit",
      "1",
    );
    expect(printed.code).toBe(0);
    expect(printed.stdout).toBe(
      [
        "31  Chimie minérale  [CHMIN]  in Sciences / Chimie",
        '1-1 of 2 courses matching "chimie"; next: --offset 1',
        "",
      ].join("\n"),
    );
    const nothing = await coursefed(school, "moodle", "courses", "lyon", "--search", "zzz");
    expect(nothing.stdout).toBe('No course of lyon matching "zzz".\n');
    const badOffset = await coursefed(school, "moodle", "courses", "lyon", "--offset", "-2");
    expect(badOffset.code).not.toBe(0);
  });
});

describe("the pickers in OpenAPI", () => {
  it("describes the listing routes and the restore's names", async () => {
    const document = (await (await fetch(new URL("/api/openapi.json", school.url))).json()) as {
      paths: Record<string, { get?: { parameters?: Array<{ name: string }> } }>;
      components: { schemas: Record<string, { properties?: Record<string, unknown> }> };
    };
    const courses = document.paths["/api/v1/moodle/targets/{name}/courses"]?.get;
    expect(courses?.parameters?.map((parameter) => parameter.name)).toEqual(
      expect.arrayContaining(["name", "search", "limit", "offset"]),
    );
    expect(document.paths["/api/v1/moodle/targets/{name}/categories"]?.get).toBeDefined();
    expect(Object.keys(document.components.schemas.RestoreRequest?.properties ?? {})).toEqual(
      expect.arrayContaining(["fullName", "shortName"]),
    );
    expect(Object.keys(document.components.schemas.MoodleCategory?.properties ?? {})).toEqual([
      "id",
      "name",
      "path",
      "parentId",
      "courseCount",
      "visible",
    ]);
  });
});

describe("a Moodle site's own token", () => {
  it("lists its own site's categories and courses in full, and no other site's", async () => {
    const issued = await api("/moodle/targets/lyon/registration", { method: "POST" });
    expect(issued.status).toBe(201);
    const { token } = parseRegistrationCode(issued.body.code);
    const categories = await api("/moodle/targets/lyon/categories", { token });
    expect(categories.status).toBe(200);
    expect(categories.body.onlyOpenToTeachers).toBe(false);
    expect(categories.body.items).toHaveLength(LISTED_CATEGORIES.length);
    const courses = await api("/moodle/targets/lyon/courses?search=optique", { token });
    expect(courses.body).toMatchObject({ total: 1, items: [{ id: 12, fullName: "Optique" }] });
    for (const path of ["/moodle/targets/old/categories", "/moodle/targets/old/courses"]) {
      const other = await api(path, { token });
      expect(other.status).toBe(403);
      expect(other.body.error.code).toBe("other_target");
    }
    // Not even whether another target exists.
    expect((await api("/moodle/targets/nowhere/categories", { token })).status).toBe(403);
  });
});

describe("naming the new course of a restore", () => {
  it("keeps the names asked for in the job, one job per names asked", async () => {
    const named = await api("/restores", {
      method: "POST",
      json: {
        object,
        target: "down",
        categoryId: 7,
        fullName: "  Optique   (copie 2026) ",
        shortName: "OPT-2026",
      },
    });
    expect(named.status).toBe(202);
    expect(named.body.destination).toEqual({
      kind: "new-course",
      categoryId: 7,
      fullName: "Optique (copie 2026)",
      shortName: "OPT-2026",
    });
    const again = await api("/restores", {
      method: "POST",
      json: {
        object,
        target: "down",
        categoryId: 7,
        fullName: "Optique (copie 2026)",
        shortName: "OPT-2026",
      },
    });
    expect(again.body).toMatchObject({ id: named.body.id, repeat: "unchanged" });
    const other = await api("/restores", {
      method: "POST",
      json: { object, target: "down", categoryId: 7, shortName: "OPT-B" },
    });
    expect(other.body.id).not.toBe(named.body.id);
    expect(other.body.destination).toEqual({
      kind: "new-course",
      categoryId: 7,
      shortName: "OPT-B",
    });
    const unnamed = await api("/restores", {
      method: "POST",
      json: { object, target: "down", categoryId: 7 },
    });
    expect([named.body.id, other.body.id]).not.toContain(unnamed.body.id);
    expect(unnamed.body.destination).toEqual({ kind: "new-course", categoryId: 7 });
  });

  it("names a course in the target's default category when no category is given", async () => {
    const named = await api("/restores", {
      method: "POST",
      json: { object, target: "down", fullName: "Optique" },
    });
    expect(named.status).toBe(202);
    expect(named.body.destination).toEqual({
      kind: "new-course",
      categoryId: 1,
      fullName: "Optique",
    });
  });

  it("refuses names Moodle would refuse, and names for an existing course", async () => {
    const long = await api("/restores", {
      method: "POST",
      json: { object, target: "down", categoryId: 7, shortName: "x".repeat(101) },
    });
    expect(long.status).toBe(400);
    expect(long.body.error.code).toBe("invalid_course_name");
    expect(long.body.error.message).toContain("at most 100 characters");
    const empty = await api("/restores", {
      method: "POST",
      json: { object, target: "down", categoryId: 7, fullName: " \t " },
    });
    expect(empty.status).toBe(400);
    expect(empty.body.error.message).toContain("cannot be empty");
    const existing = await api("/restores", {
      method: "POST",
      json: {
        object,
        target: "down",
        intoCourse: 12,
        mode: "merge",
        confirm: true,
        fullName: "Optique",
      },
    });
    expect(existing.status).toBe(400);
    expect(existing.body.error.message).toContain("an existing course keeps its names");
  });

  it("takes --full-name and --short-name on `coursefed restore`", async () => {
    const restored = await coursefed(
      school,
      "restore",
      object,
      "--target",
      "down",
      "--category",
      "9",
      "--full-name",
      "Optique, version courte",
      "--short-name",
      "OPT-C",
    );
    expect(restored.code).toBe(0);
    const id = /Restore job (\S+):/.exec(restored.stdout)?.[1] as string;
    const job = await api(`/restores/${id}`);
    expect(job.body.destination).toEqual({
      kind: "new-course",
      categoryId: 9,
      fullName: "Optique, version courte",
      shortName: "OPT-C",
    });
    const shown = await coursefed(school, "restores", "--id", id);
    expect(shown.stdout).toContain(
      'into        down, new course "Optique, version courte" in category 9',
    );
    const refused = await coursefed(
      school,
      "restore",
      object,
      "--target",
      "down",
      "--into-course",
      "12",
      "--mode",
      "merge",
      "--full-name",
      "Optique",
    );
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain("--full-name");
  });
});
