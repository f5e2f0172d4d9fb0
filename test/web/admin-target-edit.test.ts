/**
 * The console's Moodle sites page edits a target in place: a folded form per target, its
 * values filled in but never its token; a change is probed before it is saved and a
 * refusal is shown in the form, which keeps what was typed. Against stand-in ws sites
 * (test/support/moodle-listing-site.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ListingSite, startListingSite } from "../support/moodle-listing-site.ts";
import { startTestNode, type TestNode } from "../support/test-node.ts";
import { WebClient } from "./web-client.ts";

let node: TestNode;
let site: ListingSite;
let other: ListingSite;
let admin: WebClient;

const lyon = async () => node.node.services.moodleTargets.byName("lyon");

beforeAll(async () => {
  [node, site, other] = await Promise.all([
    startTestNode("univ", "Université Exemple"),
    startListingSite({ token: "fresh" }),
    startListingSite({ token: "fresh", siteIdentifierHash: "ffffffffffffffffffffffffffffffff" }),
  ]);
  await node.node.services.moodleTargets.add({
    name: "lyon",
    driver: "ws",
    url: site.url,
    token: "stale-secret",
  });
  admin = new WebClient(node.url);
  expect((await admin.login("admin", node.node.initialAdminPassword as string)).status).toBe(303);
});

afterAll(async () => {
  await node?.stop();
  await Promise.all([site, other].map((stub) => stub?.close()));
});

describe("editing a Moodle site on the console", () => {
  it("offers each site's settings folded away, without its token", async () => {
    const page = await admin.page("/admin/targets");
    expect(page.html).toContain("<summary>Edit lyon</summary>");
    expect(page.html).toMatch(
      new RegExp(
        `action="/admin/targets/edit"[\\s\\S]*name="url" type="url" required value="${site.url}"`,
      ),
    );
    expect(page.html).not.toContain("stale-secret");
  });

  it("saves a new token the site accepts, and says so", async () => {
    await admin.page("/admin/targets");
    const saved = await admin.post("/admin/targets/edit", {
      name: "lyon",
      url: site.url,
      defaultCategoryId: "4",
      nodeUrl: "",
      token: "fresh",
    });
    expect(saved.status).toBe(303);
    expect(saved.headers.get("location")).toBe("/admin/targets?notice=edited");
    expect(await lyon()).toMatchObject({ defaultCategoryId: 4, settings: { token: "fresh" } });
    const page = await admin.page("/admin/targets?notice=edited");
    expect(page.html).toContain("Moodle site changed; its rules, restores and grants stay.");
    expect(page.html).not.toContain("fresh");
  });

  it("shows why another site or a bad category is refused, in the open form, and changes nothing", async () => {
    await admin.page("/admin/targets");
    const refused = await admin.post("/admin/targets/edit", {
      name: "lyon",
      url: other.url,
      defaultCategoryId: "5",
      nodeUrl: "",
      token: "",
    });
    expect(refused.status).toBe(409);
    const html = await refused.text();
    expect(html).toContain('<details class="target-edit" open><summary>Edit lyon</summary>');
    expect(html).toMatch(/role="alert">[^<]* is another Moodle site than lyon&#39;s/);
    expect(html).toContain(`value="${other.url}"`);
    const badCategory = await admin.post("/admin/targets/edit", {
      name: "lyon",
      url: site.url,
      defaultCategoryId: "first",
    });
    expect(badCategory.status).toBe(400);
    expect(await lyon()).toMatchObject({ url: site.url, defaultCategoryId: 4 });
  });
});
