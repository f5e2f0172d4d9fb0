/**
 * Editing a Moodle target in place (PATCH /moodle/targets/{name}, `coursefed moodle edit`):
 * a rotated token or a moved site is probed before it is saved, another Moodle site is
 * refused, and the target's rules, grants and node address stay. Against stand-in ws
 * sites (test/support/moodle-listing-site.ts), which check the token and say which site
 * they are as the plugin does.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuditLog } from "../../packages/node/src/audit/audit-log.ts";
import { coursefed } from "../support/coursefed-cli.ts";
import { type ListingSite, startListingSite } from "../support/moodle-listing-site.ts";
import { type NodeApiCall, nodeApi } from "../support/node-api.ts";
import { freePort, startTestNode, type TestNode } from "../support/test-node.ts";

let school: TestNode;
/** The site lyon reaches, which takes only the token "fresh". */
let site: ListingSite;
/** The same Moodle site at its new address. */
let moved: ListingSite;
/** Another Moodle site, which takes the same token. */
let other: ListingSite;
/** The same site's address answered by a plugin too old to say which site it is. */
let oldPlugin: ListingSite;
let teacherToken: string;

const api = (path: string, call: NodeApiCall = {}) => nodeApi(school, path, call);
const edit = (json: unknown, call: NodeApiCall = {}) =>
  api("/moodle/targets/lyon", { method: "PATCH", json, ...call });
const lyon = async () => school.node.services.moodleTargets.byName("lyon");

beforeAll(async () => {
  [school, site, moved, other, oldPlugin] = await Promise.all([
    startTestNode("school", "School"),
    startListingSite({ token: "fresh" }),
    startListingSite({ token: "fresh" }),
    startListingSite({ token: "fresh", siteIdentifierHash: "ffffffffffffffffffffffffffffffff" }),
    startListingSite({ token: "fresh", siteIdentifierHash: null }),
  ]);
  // The token lyon was given has been rotated on the site since.
  await school.node.services.moodleTargets.add({
    name: "lyon",
    driver: "ws",
    url: site.url,
    token: "stale",
    nodeUrl: "http://coursefed.internal:8080",
  });
  const teacher = await api("/teachers", {
    method: "POST",
    json: { handle: "ada", name: "Ada Lovelace" },
  });
  teacherToken = teacher.body.token;
  await api("/moodle/targets/lyon/grants", {
    method: "POST",
    json: { courseId: 31, teacher: "ada" },
  });
  const rule = await api("/rules", {
    method: "POST",
    json: { tag: "optique", on: "new", target: "lyon", categoryId: 4, mode: "new-course" },
  });
  expect(rule.status).toBe(201);
});

afterAll(async () => {
  await school?.stop();
  await Promise.all([site, moved, other, oldPlugin].map((stub) => stub?.close()));
});

describe("editing a Moodle target", () => {
  it("takes a rotated token once the site accepts it, keeping rules, grants and node address", async () => {
    const edited = await edit({ token: "fresh" });
    expect(edited.status).toBe(200);
    expect(edited.body).toMatchObject({
      name: "lyon",
      url: site.url,
      nodeUrl: "http://coursefed.internal:8080",
      changed: ["token"],
      probe: { release: "4.5.6 (Build: 20250811)" },
    });
    expect(JSON.stringify(edited.body)).not.toContain("fresh");
    expect((await lyon())?.settings.token).toBe("fresh");
    // The target's driver now uses the new token.
    expect((await api("/moodle/targets/lyon/categories")).status).toBe(200);
    const audit = (await new AuditLog(school.node.db).page({ limit: 5, offset: 0 })).entries;
    const entry = audit.find((row) => row.action === "target.edit");
    expect(entry).toMatchObject({ target: "lyon", details: { changed: ["token"] } });
    expect(JSON.stringify(entry)).not.toContain("fresh");
  });

  it("refuses a token the site refuses, and changes nothing", async () => {
    const refused = await edit({ token: "wrong-secret-7f3" });
    expect(refused.status).toBe(502);
    expect(refused.body.error.code).toBe("moodle_authentication");
    expect(JSON.stringify(refused.body)).not.toContain("wrong-secret-7f3");
    expect((await lyon())?.settings.token).toBe("fresh");
  });

  it("refuses an address where no site answers, and changes nothing", async () => {
    const nowhere = `http://127.0.0.1:${await freePort()}`;
    const refused = await edit({ url: nowhere, defaultCategoryId: 7 });
    expect(refused.status).toBe(502);
    expect(refused.body.error.code).toBe("moodle_unreachable");
    expect(await lyon()).toMatchObject({ url: site.url, defaultCategoryId: 1 });
  });

  it("refuses another Moodle site, or one that cannot say which it is", async () => {
    const another = await edit({ url: other.url });
    expect(another.status).toBe(409);
    expect(another.body.error).toMatchObject({ code: "target_other_site" });
    expect(another.body.error.message).toContain("another Moodle site");
    const unsure = await edit({ url: oldPlugin.url });
    expect(unsure.status).toBe(409);
    expect(unsure.body.error.message).toContain("too old");
    expect((await lyon())?.url).toBe(site.url);
  });

  it("asks the old connection which site it was when its last probe did not say", async () => {
    const targets = school.node.services.moodleTargets;
    const paris = await targets.add({ name: "paris", driver: "ws", url: site.url, token: "fresh" });
    // As a probe made before probes said which site answered kept it.
    const { siteIdentifierHash, ...probedBefore } = await targets.driverOf(paris).probe();
    expect(siteIdentifierHash).toBeDefined();
    await targets.saveProbe(paris, probedBefore);
    const another = await api("/moodle/targets/paris", {
      method: "PATCH",
      json: { url: other.url },
    });
    expect(another.status).toBe(409);
    expect((await targets.byName("paris"))?.url).toBe(site.url);
  });

  it("follows the same site to its new address, keeping rules, grants and node address", async () => {
    const edited = await edit({ url: `${moved.url}/`, defaultCategoryId: 7 });
    expect(edited.status).toBe(200);
    expect(edited.body).toMatchObject({
      url: moved.url,
      defaultCategoryId: 7,
      nodeUrl: "http://coursefed.internal:8080",
      changed: ["url", "defaultCategoryId"],
    });
    const grants = await api("/moodle/targets/lyon/grants");
    expect(grants.body.items).toMatchObject([{ courseId: 31, teacher: "ada" }]);
    const rules = await api("/rules");
    expect(rules.body.items).toMatchObject([{ tag: "optique", target: "lyon", categoryId: 4 }]);
  });

  it("refuses a teacher, settings of the other driver, fields it does not change, and a missing target", async () => {
    const teacher = await edit({ defaultCategoryId: 3 }, { token: teacherToken });
    expect(teacher.status).toBe(403);
    const cli = await edit({ moodleDir: "/var/www/moodle" });
    expect(cli.status).toBe(400);
    expect(cli.body.error).toMatchObject({ code: "invalid_target" });
    expect(cli.body.error.message).toContain("moodleDir is not used by the ws driver");
    const renamed = await edit({ name: "lyon2" });
    expect(renamed.status).toBe(400);
    expect(renamed.body.error.code).toBe("invalid_request");
    const missing = await api("/moodle/targets/nowhere", {
      method: "PATCH",
      json: { defaultCategoryId: 2 },
    });
    expect(missing.status).toBe(404);
    expect((await lyon())?.defaultCategoryId).toBe(7);
  });
});

describe("coursefed moodle edit", () => {
  it("prints what changed, and the target without its token", async () => {
    const printed = await coursefed(school, "moodle", "edit", "lyon", "--category", "9");
    expect(printed.stderr).toBe("");
    expect(printed.code).toBe(0);
    expect(printed.stdout).toMatch(/^Changed --category of lyon\.\n/);
    expect(printed.stdout).toContain(`lyon  ws  ${moved.url}  category 9`);
    const same = await coursefed(school, "moodle", "edit", "lyon", "--ws-token", "fresh");
    expect(same.stdout).toContain("lyon already was so: nothing changed.");
    expect(same.stdout).not.toContain("fresh");
  });

  it("says what is wrong with a bad option, an edit with no change, or a refused one", async () => {
    const bad = await coursefed(school, "moodle", "edit", "lyon", "--category", "first");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('"first" is not a whole number');
    const nothing = await coursefed(school, "moodle", "edit", "lyon");
    expect(nothing.code).toBe(2);
    expect(nothing.stderr).toContain("say what to change");
    const refused = await coursefed(school, "moodle", "edit", "lyon", "--url", other.url);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("is another Moodle site than lyon's");
    expect((await lyon())?.defaultCategoryId).toBe(9);
  });
});
