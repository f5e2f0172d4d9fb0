/**
 * The web restore form picks a Moodle category, or an existing course found by words of
 * its name, from what the site lists (with the id beside each name), falls back to an id
 * field saying why when a site cannot be listed, and names the new course; the rules page
 * and the admin's teacher categories pick categories by name too. Against a stand-in ws
 * site (test/support/moodle-listing-site.ts).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AccountRepository } from "../../packages/node/src/accounts/account-repository.ts";
import { createAccount } from "../../packages/node/src/accounts/account-service.ts";
import { LISTING_TIMEOUT_MS } from "../../packages/node/src/moodle-targets/target-listing.ts";
import {
  followAndApprove,
  institutionOf,
  publishToFollower,
  writeOnePageBackup,
} from "../support/federation-steps.ts";
import { type ListingSite, startListingSite } from "../support/moodle-listing-site.ts";
import { freePort, startTestNode, type TestNode } from "../support/test-node.ts";
import { WebClient } from "./web-client.ts";

let university: TestNode;
let school: TestNode;
let site: ListingSite;
let admin: WebClient;
let teacher: WebClient;
let coursePath: string;
let object: string;
let workDir: string;

async function signedIn(role: "admin" | "teacher", username: string, headers = {}) {
  const { password } = await createAccount(
    { actors: school.node.services.actors, accounts: new AccountRepository(school.node.db) },
    { username, role, displayName: username },
  );
  const client = new WebClient(school.url, headers);
  expect((await client.login(username, password)).status).toBe(303);
  return client;
}

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), "coursefed-web-pickers-"));
  [university, school, site] = await Promise.all([
    startTestNode("univ", "University"),
    startTestNode("school", "School"),
    startListingSite(),
  ]);
  const targets = school.node.services.moodleTargets;
  const lyon = await targets.add({ name: "lyon", driver: "ws", url: site.url, token: "t" });
  await targets.setTeacherCategories(lyon, [7]);
  await targets.add({
    name: "down",
    driver: "ws",
    url: `http://127.0.0.1:${await freePort()}`,
    token: "t",
    timeoutMs: 5000,
  });
  await followAndApprove(school, university);
  object = await publishToFollower(university, school, await writeOnePageBackup(workDir), {
    title: "Optique ondulatoire",
  });
  coursePath = `/catalog/course?object=${encodeURIComponent(object)}`;
  admin = await signedIn("admin", "irene");
  teacher = await signedIn("teacher", "pierre");
});

afterAll(async () => {
  await Promise.all([university, school].map((peer) => peer?.stop()));
  await site?.close();
  await rm(workDir, { recursive: true, force: true });
});

describe("the restore form's pickers", () => {
  it("offers an admin each site's categories by path with their ids, and says which site cannot be listed", async () => {
    const { html } = await admin.page(coursePath);
    const picker =
      /<select id="restore-category-picked" name="category"[^>]*>([\s\S]*?)<\/select>/.exec(
        html,
      )?.[1];
    expect(picker).toBeDefined();
    expect(picker).toContain(`<option value="">The site&#39;s default category</option>`);
    expect(picker).toContain(`<optgroup label="lyon">`);
    expect(picker).toContain(`<option value="lyon:7">Sciences / Chimie (id 7)</option>`);
    expect(picker).toContain(`<option value="lyon:9">Sciences / Archives (id 9), hidden</option>`);
    expect(picker).not.toContain("down:");
    // The unreachable site: an id field, and why.
    expect(html).toContain('<input id="restore-category" name="categoryId" type="number"');
    expect(html).toMatch(/The categories of down cannot be listed \(.+\): type a category id\./);
    expect(html).toContain('name="fullName" maxlength="254"');
    expect(html).toContain("Empty: the catalog title.");
    expect(html).toContain('name="shortName" maxlength="100"');
    expect(html).toContain('id="course-search-title">Find a Moodle course by name');
  });

  it("offers a teacher only the categories open to teachers, and no course search", async () => {
    const { html } = await teacher.page(coursePath);
    expect(html).toContain(`<option value="lyon:7">Sciences / Chimie (id 7)</option>`);
    expect(html).not.toContain("lyon:9");
    expect(html).not.toContain("lyon:4");
    expect(html).not.toContain("course-search");
  });

  it("finds an admin the courses of a site by words of their names, to restore into", async () => {
    const found = await admin.page(`${coursePath}&courseTarget=lyon&courseSearch=chimie`);
    expect(found.html).toContain("2 courses of lyon found: choose one below.");
    expect(found.html).toContain(
      `<option value="lyon:30">Chimie organique [CHORG] in Sciences / Chimie (id 30), hidden</option>`,
    );
    expect(found.html).toContain(
      `<option value="lyon:31">Chimie minérale [CHMIN] in Sciences / Chimie (id 31)</option>`,
    );
    expect(found.html).toMatch(/value="existing-course" checked/);
    const none = await admin.page(`${coursePath}&courseTarget=lyon&courseSearch=zzz`);
    expect(none.html).toContain("No course of lyon has these words in its name.");
    const down = await admin.page(`${coursePath}&courseTarget=down&courseSearch=chimie`);
    expect(down.html).toMatch(/The courses of down cannot be listed \(.+\): type the course/);
  });

  it("restores into the category picked, under the names given", async () => {
    await admin.page(coursePath);
    const asked = await admin.post("/catalog/restore", {
      object,
      target: "lyon",
      destination: "new-course",
      category: "lyon:9",
      categoryId: "",
      fullName: "Optique  (copie)",
      shortName: "OPT-W",
    });
    expect(asked.status).toBe(303);
    const [job] = await school.node.services.restores.jobs({ limit: 1, offset: 0 });
    expect(job?.destination).toEqual({
      kind: "new-course",
      categoryId: 9,
      fullName: "Optique (copie)",
      shortName: "OPT-W",
    });
    expect((await admin.page("/restores")).html).toContain(
      "new course “Optique (copie)” in category 9",
    );
  });

  it("refuses a category picked under another site than the one chosen, and a name too long", async () => {
    await admin.page(coursePath);
    const mixed = await admin.post("/catalog/restore", {
      object,
      target: "down",
      destination: "new-course",
      category: "lyon:7",
    });
    expect(mixed.status).toBe(400);
    expect(await mixed.text()).toContain("The category or course chosen is on lyon, not on down");
    const long = await admin.post("/catalog/restore", {
      object,
      target: "lyon",
      destination: "new-course",
      category: "lyon:7",
      shortName: "S".repeat(101),
    });
    expect(long.status).toBe(400);
    expect(await long.text()).toContain("at most 100 characters");
  });

  it("asks to confirm a course picked by name before restoring into it", async () => {
    await admin.page(`${coursePath}&courseTarget=lyon&courseSearch=chimie`);
    const confirmation = await admin.post("/catalog/restore", {
      object,
      target: "lyon",
      destination: "existing-course",
      course: "lyon:30",
      intoCourse: "",
      mode: "merge",
    });
    expect(confirmation.status).toBe(200);
    const html = await confirmation.text();
    expect(html).toContain("contents to Moodle course 30 on lyon");
    expect(html).toContain('<input type="hidden" name="intoCourse" value="30">');
  });

  it("does not wait for a site that never answers longer than a listing may take", async () => {
    const hanging = await startListingSite({ hang: true });
    const targets = school.node.services.moodleTargets;
    await targets.add({ name: "slow", driver: "ws", url: hanging.url, token: "t" });
    try {
      const started = Date.now();
      const { status, html } = await admin.page(coursePath);
      expect(status).toBe(200);
      expect(Date.now() - started).toBeLessThan(LISTING_TIMEOUT_MS + 5000);
      expect(html).toContain(
        `The categories of slow cannot be listed (slow did not answer within ${LISTING_TIMEOUT_MS / 1000} s.)`,
      );
      expect(html).toContain(`<option value="lyon:7">`);
    } finally {
      await targets.remove("slow");
      await hanging.close();
    }
  }, 30_000);

  it("speaks French", async () => {
    const french = await signedIn("admin", "marie", { "accept-language": "fr-FR,fr;q=0.9" });
    const { html } = await french.page(coursePath);
    expect(html).toContain(`<option value="lyon:7">Sciences / Chimie (n°\u00a07)</option>`);
    expect(html).toContain("Sciences / Archives (n°\u00a09), cachée");
    expect(html).toContain("Nom complet du nouveau cours");
    expect(html).toContain("Trouver un cours Moodle par son nom");
  });
});

describe("the rules page's category picker", () => {
  it("offers each site's categories by path and makes the rule with the one picked", async () => {
    const { html } = await admin.page("/rules");
    expect(html).toContain(`<option value="lyon:7">Sciences / Chimie (id 7)</option>`);
    expect(html).toMatch(/The categories of down cannot be listed \(.+\): type a category id\./);
    const added = await admin.post("/rules", {
      actor: institutionOf(university),
      tag: "",
      on: "both",
      target: "lyon",
      category: "lyon:7",
      categoryId: "",
      mode: "new-course",
    });
    expect(added.status).toBe(303);
    const [rule] = await school.node.services.restores.rules();
    expect(rule?.categoryId).toBe(7);
    expect((await admin.page("/rules")).html).toContain("<td>Sciences / Chimie (id 7)</td>");
    const mixed = await admin.post("/rules", {
      tag: "optique",
      on: "both",
      target: "down",
      category: "lyon:7",
      mode: "new-course",
    });
    expect(mixed.status).toBe(400);
    expect(await mixed.text()).toContain("The category or course chosen is on lyon, not on down");
  });
});

describe("the categories open to teachers, picked by path", () => {
  it("shows the open ones chosen among the site's, and saves several picked at once", async () => {
    const { html } = await admin.page("/admin/targets");
    const picker = /<select name="categoryIds" multiple[^>]*>([\s\S]*?)<\/select>/.exec(html)?.[1];
    expect(picker).toContain(`<option value="7" selected>Sciences / Chimie (id 7)</option>`);
    expect(picker).toContain(`<option value="9">Sciences / Archives (id 9), hidden</option>`);
    // The site that cannot be listed keeps its field of ids, and says why.
    expect(html).toMatch(/<input name="categoryIds" value=""[^>]*>/);
    const saved = await admin.post("/admin/targets/teachers", {
      name: "lyon",
      categoryIds: ["4", "9"],
    });
    expect(saved.status).toBe(303);
    expect((await school.node.services.moodleTargets.byName("lyon"))?.teacherCategoryIds).toEqual([
      4, 9,
    ]);
    const none = await admin.post("/admin/targets/teachers", { name: "lyon" });
    expect(none.status).toBe(303);
    expect((await school.node.services.moodleTargets.byName("lyon"))?.teacherCategoryIds).toEqual(
      [],
    );
    await admin.post("/admin/targets/teachers", { name: "lyon", categoryIds: ["7"] });
  });
});
