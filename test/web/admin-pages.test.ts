import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AccountRepository } from "../../packages/node/src/accounts/account-repository.ts";
import {
  changeRole,
  createAccount,
  disableAccount,
  removeAccount,
} from "../../packages/node/src/accounts/account-service.ts";
import { domainServices } from "../../packages/node/src/federation/domain-services.ts";
import { follow } from "../../packages/node/src/follows/follow-service.ts";
import { eventually } from "../support/eventually.ts";
import { contextOf, institutionOf } from "../support/federation-steps.ts";
import { startTestNode, type TestNode } from "../support/test-node.ts";
import { startSiteInfoServer } from "./admin-moodle-site-info.ts";
import { WebClient } from "./web-client.ts";

let node: TestNode;
let other: TestNode;
const passwords: Record<string, string> = {};

const ADMIN_PAGES = [
  "/admin",
  "/admin/follow-requests",
  "/admin/reports",
  "/admin/peers",
  "/admin/targets",
  "/admin/accounts",
  "/admin/tokens",
  "/admin/audit",
  "/rules",
];

/** Every admin form, with fields that would otherwise be acted on. */
const ADMIN_FORMS: ReadonlyArray<readonly [string, Record<string, string>]> = [
  [
    "/admin/follow-requests",
    { local: "institution", actor: "https://x.example/a", decision: "accept" },
  ],
  ["/admin/targets", { name: "t", driver: "cli", url: "https://m.example", moodleDir: "/m" }],
  ["/admin/targets/probe", { name: "t" }],
  ["/admin/targets/edit", { name: "gated", url: "https://m.example", defaultCategoryId: "2" }],
  ["/admin/targets/remove", { name: "t" }],
  ["/admin/targets/teachers", { name: "gated", categoryIds: "1, 2" }],
  ["/admin/targets/grant", { name: "gated", courseId: "9", teacher: "teacher" }],
  ["/admin/targets/revoke", { name: "gated", courseId: "9", teacher: "teacher" }],
  ["/admin/accounts", { username: "intruder", role: "admin" }],
  ["/admin/accounts/role", { username: "admin", role: "viewer" }],
  ["/admin/accounts/reset-password", { username: "admin" }],
  ["/admin/accounts/remove", { username: "admin" }],
  ["/admin/accounts/disable", { username: "viewer" }],
  ["/admin/accounts/enable", { username: "viewer" }],
  ["/admin/tokens", { name: "stolen", actor: "institution" }],
  ["/admin/tokens/revoke", { id: "1" }],
  ["/admin/reports", { report: "1", action: "block-reporter" }],
  ["/rules", { tag: "x", on: "both", target: "t", categoryId: "1", mode: "new-course" }],
  ["/rules/remove", { id: "1" }],
];

async function signedIn(username: string, password = passwords[username] as string) {
  const client = new WebClient(node.url);
  expect((await client.login(username, password)).status).toBe(303);
  await client.page("/catalog");
  return client;
}

/** The one-time secret a page shows (a password or a token). */
function shownSecret(html: string): string {
  const secret = /class="secret-value">([^<]+)</.exec(html)?.[1];
  expect(secret, "a secret shown once").toBeTruthy();
  return secret as string;
}

function api(path: string, token: string, init: RequestInit = {}): Promise<Response> {
  return fetch(new URL(path, node.url), {
    ...init,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
  });
}

describe("admin console and auto-restore rules pages", () => {
  let admin: WebClient;

  beforeAll(async () => {
    [node, other] = await Promise.all([
      startTestNode("univ", "Université Exemple"),
      startTestNode("school", "Lycée Exemple"),
    ]);
    passwords.admin = node.node.initialAdminPassword as string;
    const stores = {
      actors: node.node.services.actors,
      accounts: new AccountRepository(node.node.db),
    };
    for (const role of ["teacher", "viewer"] as const) {
      passwords[role] = (await createAccount(stores, { username: role, role })).password;
    }
    admin = await signedIn("admin");
  });
  afterAll(async () => {
    await Promise.all([node, other].map((peer) => peer?.stop()));
  });

  it("shows every admin page to admins only, in the navigation too (403 to teachers and viewers)", async () => {
    for (const path of ADMIN_PAGES) {
      const page = await admin.page(path);
      expect(page.status, path).toBe(200);
      expect(page.html, path).toContain('href="/admin"');
    }
    for (const role of ["teacher", "viewer"]) {
      const client = await signedIn(role);
      const catalog = await client.page("/catalog");
      expect(catalog.html).not.toContain('href="/admin"');
      expect(catalog.html).not.toContain('href="/rules"');
      for (const path of ADMIN_PAGES) {
        const page = await client.page(path);
        expect(page.status, `${role} ${path}`).toBe(403);
        expect(page.html).toContain(`Your account (${role}) may not do this`);
      }
      for (const [path, fields] of ADMIN_FORMS) {
        expect((await client.post(path, fields)).status, `${role} ${path}`).toBe(403);
      }
    }
    const anonymous = new WebClient(node.url);
    expect((await anonymous.get("/admin/tokens")).headers.get("location")).toBe(
      "/login?next=%2Fadmin%2Ftokens",
    );
    // Nothing of what they sent was done.
    expect(await node.node.services.moodleTargets.byName("t")).toBeUndefined();
    expect(await new AccountRepository(node.node.db).byUsername("intruder")).toBeUndefined();
  });

  it("refuses every admin form without its CSRF token or with a wrong one (403)", async () => {
    await admin.page("/admin");
    for (const [path, fields] of ADMIN_FORMS) {
      for (const token of ["", "wrong-token"]) {
        const response = await admin.post(path, { ...fields, _csrf: token });
        expect(response.status, `${path} with "${token}"`).toBe(403);
        expect(await response.text()).toContain("Form expired");
      }
    }
    expect((await admin.page("/admin/accounts")).html).toContain(">admin<");
  });

  it("accepts a follow request from another node, which learns it is accepted", async () => {
    await follow(domainServices(contextOf(other)), other.node.institution, institutionOf(node));
    await eventually(() =>
      node.node.services.follows.follower(node.node.institution.id, institutionOf(other)),
    );
    const requests = await admin.page("/admin/follow-requests");
    expect(requests.html).toContain("Lycée Exemple");
    expect(requests.html).toContain("wants to follow Université Exemple (@univ)");
    const accepted = await admin.post("/admin/follow-requests", {
      local: "institution",
      actor: institutionOf(other),
      decision: "accept",
    });
    expect(accepted.status).toBe(303);
    expect(accepted.headers.get("location")).toBe("/admin/follow-requests?notice=accept");
    await eventually(
      async () =>
        (
          await other.node.services.follows.following(
            other.node.institution.id,
            institutionOf(node),
          )
        )?.state === "accepted",
    );
    const after = await admin.page("/admin/follow-requests?notice=accept");
    expect(after.html).toContain("Accepted: the follower is told");
    expect(after.html).toContain("No follow request is waiting.");
    // A request nobody made: refused, said in words.
    const again = await admin.post("/admin/follow-requests", {
      local: "institution",
      actor: "https://nowhere.example/actors/institution",
      decision: "reject",
    });
    expect(again.status).toBe(404);
    expect(await again.text()).toContain("has not asked to follow @univ");
  });

  it("adds a Moodle site, shows why its probe fails, and removes it after confirmation", async () => {
    await admin.page("/admin/targets");
    const refused = await admin.post("/admin/targets", {
      name: "lyon",
      driver: "cli",
      url: "https://moodle.lyon.example",
      token: "not-for-cli",
    });
    expect(refused.status).toBe(400);
    // The API's own words: the check lives in the repository both use.
    expect(await refused.text()).toContain("token is not used by the cli driver; leave it out.");

    const added = await admin.post("/admin/targets", {
      name: "lyon",
      driver: "cli",
      url: "https://moodle.lyon.example",
      moodleDir: "/nonexistent/moodle",
      php: "php",
      runAsUser: "",
      defaultCategoryId: "4",
    });
    expect(added.status).toBe(303);
    const list = await admin.page("/admin/targets?notice=added");
    expect(list.html).toContain("Moodle site added.");
    expect(list.html).toMatch(/<th scope="row">lyon<\/th><td><code>cli<\/code>/);
    expect(list.html).toContain("not probed yet");
    expect(list.html).toContain('name="nodeUrl"');

    // A site inside the network reaches the node by another address than its public one.
    const withCredentials = await admin.post("/admin/targets", {
      name: "lyon-inside",
      driver: "ws",
      url: "https://moodle-inside.lyon.example",
      nodeUrl: "http://admin:secret@coursefed.internal:8080",
    });
    expect(withCredentials.status).toBe(400);
    expect(await withCredentials.text()).toContain("must not hold a user name or password");
    const inside = await admin.post("/admin/targets", {
      name: "lyon-inside",
      driver: "ws",
      url: "https://moodle-inside.lyon.example",
      nodeUrl: "http://coursefed.internal:8080",
    });
    expect(inside.status).toBe(303);
    expect((await admin.page("/admin/targets")).html).toContain(
      "reaches this node at http://coursefed.internal:8080",
    );
    await admin.post("/admin/targets/remove", { name: "lyon-inside" });

    const duplicate = await admin.post("/admin/targets", {
      name: "lyon",
      driver: "ws",
      url: "https://moodle.lyon.example",
      token: "secret-ws-token",
    });
    expect(duplicate.status).toBe(409);
    const duplicateHtml = await duplicate.text();
    expect(duplicateHtml).toContain("There is already a Moodle target named lyon.");
    expect(duplicateHtml).not.toContain("secret-ws-token");

    const probe = await admin.post("/admin/targets/probe", { name: "lyon" });
    expect(probe.status).toBe(502);
    const probeHtml = await probe.text();
    expect(probeHtml).toContain("The probe of lyon failed");
    expect(probeHtml).toContain(
      "/nonexistent/moodle holds no config.php: moodleDir must be the directory of an installed Moodle site",
    );
    expect(probeHtml).toContain("<code>MISCONFIGURED</code>");

    const confirm = await admin.page("/admin/targets/remove?name=lyon");
    expect(confirm.status).toBe(200);
    expect(confirm.html).toContain("Remove lyon?");
    expect(await node.node.services.moodleTargets.byName("lyon")).toBeDefined();
    const removed = await admin.post("/admin/targets/remove", { name: "lyon" });
    expect(removed.headers.get("location")).toBe("/admin/targets?notice=removed");
    expect(await node.node.services.moodleTargets.byName("lyon")).toBeUndefined();
    expect((await admin.post("/admin/targets/remove", { name: "lyon" })).status).toBe(404);
  });

  it("sets where teachers restore on a Moodle site and grants them existing courses, audited", async () => {
    const services = node.node.services;
    await services.moodleTargets.add({
      name: "gated",
      driver: "cli",
      url: "https://moodle.gated.example",
      moodleDir: "/nonexistent/moodle",
    });
    const page = await admin.page("/admin/targets");
    expect(page.html).toContain('<h2 id="teachers-');
    expect(page.html).toContain("Teachers on gated");
    expect(page.html).toMatch(
      /<td>1<\/td><td><span class="badge badge-neutral">nowhere<\/span><\/td>/,
    );

    const invalid = await admin.post("/admin/targets/teachers", {
      name: "gated",
      categoryIds: "3, x",
    });
    expect(invalid.status).toBe(400);
    expect(await invalid.text()).toContain("Category ids are positive whole numbers");
    const saved = await admin.post("/admin/targets/teachers", {
      name: "gated",
      categoryIds: "5, 3",
    });
    expect(saved.headers.get("location")).toBe("/admin/targets?notice=teachers");
    expect((await services.moodleTargets.byName("gated"))?.teacherCategoryIds).toEqual([3, 5]);
    expect((await admin.page("/admin/targets?notice=teachers")).html).toContain(
      "Teachers&#39; categories saved.",
    );

    const nobody = await admin.post("/admin/targets/grant", {
      name: "gated",
      courseId: "9",
      teacher: "nobody",
    });
    expect(nobody.status).toBe(400);
    expect(await nobody.text()).toContain("There is no teacher with the handle nobody");
    const granted = await admin.post("/admin/targets/grant", {
      name: "gated",
      courseId: "9",
      teacher: "teacher",
    });
    expect(granted.headers.get("location")).toBe("/admin/targets?notice=granted");
    const listed = await admin.page("/admin/targets?notice=granted");
    expect(listed.html).toContain('aria-label="Revoke course 9 from teacher"');
    const revoked = await admin.post("/admin/targets/revoke", {
      name: "gated",
      courseId: "9",
      teacher: "teacher",
    });
    expect(revoked.headers.get("location")).toBe("/admin/targets?notice=revoked");
    expect((await admin.page("/admin/targets")).html).toContain("None granted.");

    const audit = await admin.page("/admin/audit");
    for (const action of [
      "changed where teachers may restore",
      "granted a course to a teacher",
      "took back a teacher&#39;s course",
    ]) {
      expect(audit.html).toContain(action);
    }
  });

  it("probes a ws site and shows its Moodle and every plugin, never its token", async () => {
    const site = await startSiteInfoServer();
    try {
      await admin.page("/admin/targets");
      const added = await admin.post("/admin/targets", {
        name: "campus",
        driver: "ws",
        url: site.url,
        token: "ws-secret-token",
      });
      expect(added.status).toBe(303);
      const probe = await admin.post("/admin/targets/probe", { name: "campus" });
      expect(probe.status).toBe(200);
      const html = await probe.text();
      expect(html).toContain("What campus runs");
      expect(html).toContain("<dd>2024100706.00</dd>");
      expect(html).toContain("<dd>4.5.6 (Build: 20250811)</dd>");
      expect(html).toContain("<dd>4.5</dd>");
      expect(html).toContain("<code>local_coursefed</code> <small>2025081100</small>");
      expect(html).toMatch(/4\.5\.6 \(Build: 20250811\)<br><small>3 plugins · /);
      expect(html).not.toContain("ws-secret-token");
    } finally {
      await site.close();
    }
  });

  it("adds a user whose shown password signs in, changes roles, resets passwords, never removes the last admin", async () => {
    const accounts = new AccountRepository(node.node.db);
    await admin.page("/admin/accounts");
    const created = await admin.post("/admin/accounts", {
      username: "claire",
      displayName: "Claire Dubois",
      role: "admin",
    });
    expect(created.status).toBe(201);
    const claire = await signedIn("claire", shownSecret(await created.text()));
    expect((await claire.page("/admin/accounts")).html).toContain("Claire Dubois");

    const taken = await admin.post("/admin/accounts", { username: "claire", role: "viewer" });
    expect(taken.status).toBe(409);
    expect(await taken.text()).toContain("There is already an account named claire.");

    // Nobody removes or demotes themself.
    const removeSelf = await admin.post("/admin/accounts/remove", { username: "admin" });
    expect(removeSelf.status).toBe(409);
    expect(await removeSelf.text()).toContain("You cannot remove your own account");
    const demoteSelf = await admin.post("/admin/accounts/role", {
      username: "admin",
      role: "viewer",
    });
    expect(demoteSelf.status).toBe(409);

    // Claire removes the first admin, after a confirmation; his session ends with him.
    const confirm = await claire.page("/admin/accounts/remove?username=admin");
    expect(confirm.html).toContain("Remove admin?");
    expect(await accounts.byUsername("admin")).toBeDefined();
    expect((await claire.post("/admin/accounts/remove", { username: "admin" })).status).toBe(303);
    expect(await accounts.byUsername("admin")).toBeUndefined();
    expect((await admin.get("/admin")).headers.get("location")).toBe("/login?next=%2Fadmin");

    // Claire is now the last admin: no one may demote or remove her.
    const stores = { actors: node.node.services.actors, accounts };
    await expect(
      changeRole(stores, { username: "claire", role: "viewer", by: "x" }),
    ).rejects.toThrow("claire is the last admin: make another account admin first.");
    await expect(removeAccount(accounts, { username: "claire", by: "x" })).rejects.toThrow(
      "claire is the last admin",
    );

    // A viewer made teacher acts as a teacher actor of their own, made for them.
    await claire.page("/admin/accounts");
    const promoted = await claire.post("/admin/accounts/role", {
      username: "viewer",
      role: "teacher",
    });
    expect(promoted.headers.get("location")).toBe("/admin/accounts?notice=role");
    expect((await accounts.byUsername("viewer"))?.role).toBe("teacher");
    expect((await node.node.services.actors.byHandle("viewer"))?.type).toBe("Person");

    // A reset password is shown once; the old one no longer opens the account.
    const reset = await claire.post("/admin/accounts/reset-password", { username: "teacher" });
    const fresh = shownSecret(await reset.text());
    expect(
      (await new WebClient(node.url).login("teacher", passwords.teacher as string)).status,
    ).toBe(401);
    await signedIn("teacher", fresh);
    passwords.teacher = fresh;
    admin = claire;
  });

  it("disables an account (its sessions end at once, it cannot sign in) and enables it again; never oneself, never the last admin", async () => {
    const accounts = new AccountRepository(node.node.db);
    const teacher = await signedIn("teacher");
    const list = await admin.page("/admin/accounts");
    expect(list.html).toContain('action="/admin/accounts/disable"');
    expect(list.html).toContain('aria-label="Disable teacher"');
    // The signed-in admin has no such button for themself.
    expect(list.html).not.toContain('aria-label="Disable claire"');

    const disabled = await admin.post("/admin/accounts/disable", { username: "teacher" });
    expect(disabled.headers.get("location")).toBe("/admin/accounts?notice=disabled");
    expect((await teacher.get("/catalog")).headers.get("location")).toBe("/login?next=%2Fcatalog");
    const refused = await new WebClient(node.url).login("teacher", passwords.teacher as string);
    expect(refused.status).toBe(403);
    expect(await refused.text()).toContain("This account is disabled.");
    // A wrong password tells nothing more than for any account.
    const wrong = await new WebClient(node.url).login("teacher", "wrong");
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).toContain("Wrong username or password.");
    const after = await admin.page("/admin/accounts?notice=disabled");
    expect(after.html).toContain("Account disabled: it cannot sign in, its sessions are ended.");
    expect(after.html).toMatch(/>teacher <small class="badge badge-error">disabled<\/small>/);
    expect(after.html).toContain('aria-label="Enable teacher"');

    const self = await admin.post("/admin/accounts/disable", { username: "claire" });
    expect(self.status).toBe(409);
    expect(await self.text()).toContain("You cannot disable your own account");
    // Claire is the last admin who can sign in; a disabled admin does not count as one.
    await createAccount(
      { actors: node.node.services.actors, accounts },
      { username: "dora", role: "admin" },
    );
    await disableAccount(accounts, { username: "dora", by: "claire" });
    await expect(disableAccount(accounts, { username: "claire", by: "x" })).rejects.toThrow(
      "claire is the last admin",
    );

    const enabled = await admin.post("/admin/accounts/enable", { username: "teacher" });
    expect(enabled.headers.get("location")).toBe("/admin/accounts?notice=enabled");
    expect(await accounts.byUsername("teacher")).toMatchObject({ disabledAt: null });
    await signedIn("teacher");
  });

  it("creates a token shown once, and revokes it: the API then refuses it (401)", async () => {
    await admin.page("/admin/tokens");
    const created = await admin.post("/admin/tokens", {
      name: "nightly script",
      actor: "institution",
    });
    expect(created.status).toBe(201);
    const html = await created.text();
    const token = shownSecret(html);
    expect(html).toMatch(
      /<th scope="row">nightly script<\/th><td><span class="role role-admin">admin/,
    );
    expect((await api("/api/v1/peers", token)).status).toBe(200);
    expect((await admin.page("/admin/tokens")).html).not.toContain(token);

    const id = /<th scope="row">nightly script<\/th>[\s\S]*?name="id" value="(\d+)"/.exec(
      (await admin.page("/admin/tokens")).html,
    )?.[1];
    expect(id).toBeDefined();
    const revoked = await admin.post("/admin/tokens/revoke", { id: id as string });
    expect(revoked.headers.get("location")).toBe("/admin/tokens?notice=revoked");
    expect((await api("/api/v1/peers", token)).status).toBe(401);
  });

  it("adds and removes an auto-restore rule with the API's checks", async () => {
    await node.node.services.moodleTargets.add({
      name: "moodle-45",
      driver: "ws",
      url: "https://moodle-45.example",
      token: "t",
    });
    await admin.page("/rules");
    const none = await admin.post("/rules", {
      on: "both",
      target: "moodle-45",
      categoryId: "2",
      mode: "new-course",
    });
    expect(none.status).toBe(400);
    expect(await none.text()).toContain("A rule needs an actor, a tag or both");
    const badCategory = await admin.post("/rules", {
      tag: "chimie",
      on: "both",
      target: "moodle-45",
      categoryId: "zero",
      mode: "new-course",
    });
    expect(badCategory.status).toBe(400);
    expect(await badCategory.text()).toContain("A category id is a positive whole number.");
    const badActor = await admin.post("/rules", {
      actor: "institution",
      on: "both",
      target: "moodle-45",
      categoryId: "2",
      mode: "new-course",
    });
    expect(await badActor.text()).toContain("is not an actor&#39;s address");
    const added = await admin.post("/rules", {
      actor: institutionOf(other),
      tag: "chimie",
      on: "updated",
      target: "moodle-45",
      categoryId: "2",
      mode: "update-in-place",
    });
    expect(added.headers.get("location")).toBe("/rules?notice=added");
    const [rule] = await node.node.services.restores.rules();
    expect(rule).toMatchObject({
      tag: "chimie",
      on: "updated",
      categoryId: 2,
      mode: "update-in-place",
      createdBy: "web claire",
    });
    const page = await admin.page("/rules?notice=added");
    expect(page.html).toContain("update the course restored before");
    expect(page.html).toContain(institutionOf(other));
    const removed = await admin.post("/rules/remove", { id: String(rule?.id) });
    expect(removed.headers.get("location")).toBe("/rules?notice=removed");
    expect(await node.node.services.restores.rules()).toEqual([]);
  });

  it("lists admin actions newest first with who did them, from the pages and from the API", async () => {
    const viaApi = await api("/api/v1/teachers", node.token, {
      method: "POST",
      body: JSON.stringify({ handle: "marie", name: "Marie Curie" }),
    });
    expect(viaApi.status).toBe(201);
    const audit = await admin.page("/admin/audit");
    const rows = [
      ...audit.html.matchAll(
        /<tr><td><time[^>]*>[^<]*<\/time><\/td><td>([^<]+) <small[^>]*>([^<]+)<\/small><\/td><td>([^<]+)<\/td><td>(?:<code>([^<]*)<\/code>)?/g,
      ),
    ].map((match) => [match[1], match[2], match[3], match[4]]);
    expect(rows[0]).toEqual(["initial admin", "API token", "created a teacher", "marie"]);
    const actions = rows.map(([who, , action, target]) =>
      `${who}: ${action} ${target ?? ""}`.trim(),
    );
    for (const expected of [
      `admin: accepted a follow request ${institutionOf(other)}`,
      "admin: added a Moodle site lyon",
      "admin: probed a Moodle site lyon",
      "admin: removed a Moodle site lyon",
      "admin: probed a Moodle site campus",
      "admin: added an account claire",
      "claire: removed an account admin",
      "claire: changed a role viewer",
      "claire: reset a password teacher",
      "claire: disabled an account teacher",
      "claire: enabled an account teacher",
      "claire: created an API token nightly script",
      "claire: revoked an API token nightly script",
      "claire: added an auto-restore rule 1",
      "claire: removed an auto-restore rule 1",
    ]) {
      expect(actions).toContain(expected);
    }
    // Newest first: the token was revoked after it was made.
    expect(actions.indexOf("claire: revoked an API token nightly script")).toBeLessThan(
      actions.indexOf("claire: created an API token nightly script"),
    );
  });
});
