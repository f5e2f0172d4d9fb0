import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AccountRepository } from "../../packages/node/src/accounts/account-repository.ts";
import { createAccount } from "../../packages/node/src/accounts/account-service.ts";
import {
  ACTING_USER_HEADER,
  actingUserHeader,
} from "../../packages/node/src/moodle-sites/acting-user.ts";
import { parseRegistrationCode } from "../../packages/node/src/moodle-sites/registration-code.ts";
import { startTestNode, type TestNode } from "../support/test-node.ts";
import { WebClient } from "./web-client.ts";

let node: TestNode;
let teacherPassword: string;

async function signedIn(username: string, password: string, language = "en") {
  const client = new WebClient(node.url, { "accept-language": language });
  expect((await client.login(username, password)).status).toBe(303);
  return client;
}

/** The registration code a console page shows, if it shows one. */
function codeIn(html: string): string | undefined {
  return /<code class="secret-value">(coursefed-site:[^<]+)<\/code>/.exec(html)?.[1];
}

async function site(code: string, moodleUser?: { id: number; username: string }) {
  const { token } = parseRegistrationCode(code);
  return await fetch(new URL("/api/v1/site", node.url), {
    headers: {
      authorization: `Bearer ${token}`,
      ...(moodleUser
        ? { [ACTING_USER_HEADER]: actingUserHeader({ ...moodleUser, fullname: "X", email: "" }) }
        : {}),
    },
  });
}

beforeAll(async () => {
  node = await startTestNode("univ", "Université Exemple");
  await node.node.services.moodleTargets.add({
    name: "lyon",
    driver: "ws",
    url: "https://moodle.lyon.example",
  });
  const stores = {
    actors: node.node.services.actors,
    accounts: new AccountRepository(node.node.db),
  };
  teacherPassword = (await createAccount(stores, { username: "teacher", role: "teacher" }))
    .password;
});
afterAll(async () => {
  await node?.stop();
});

describe("the console's Moodle page issues registration codes", () => {
  it("shows a code once, which connects the site; another one revokes it", async () => {
    const admin = await signedIn("admin", node.node.initialAdminPassword as string);
    const page = await admin.page("/admin/targets");
    expect(page.html).toContain('aria-label="Issue the registration code of lyon"');

    const issued = await admin.post("/admin/targets/register", { name: "lyon" });
    expect(issued.status).toBe(201);
    const html = await issued.text();
    expect(html).toContain("Registration code for lyon");
    expect(html).toContain("Site administration &gt; Plugins &gt; Local plugins &gt; coursefed");
    expect(html).not.toContain("no longer works");
    const first = codeIn(html) as string;
    expect((await site(first)).status).toBe(200);
    // Shown once: the page does not show it again.
    expect(codeIn((await admin.page("/admin/targets")).html)).toBeUndefined();

    const again = await admin.post("/admin/targets/register", { name: "lyon" });
    const second = codeIn(await again.text()) as string;
    expect(second).not.toBe(first);
    expect((await site(first)).status).toBe(401);
    expect((await site(second)).status).toBe(200);
    expect((await admin.page("/admin/audit")).html).toContain(
      "issued a Moodle site&#39;s registration code",
    );
  });

  it("says so for a target that does not exist", async () => {
    const admin = await signedIn("admin", node.node.initialAdminPassword as string);
    await admin.page("/admin/targets");
    const missing = await admin.post("/admin/targets/register", { name: "nowhere" });
    expect(missing.status).toBe(404);
    expect(codeIn(await missing.text())).toBeUndefined();
  });

  it("is in French for a French admin", async () => {
    const admin = await signedIn("admin", node.node.initialAdminPassword as string, "fr");
    await admin.page("/admin/targets");
    const issued = await admin.post("/admin/targets/register", { name: "lyon" });
    const html = await issued.text();
    expect(html).toContain("Code d’enregistrement de lyon");
    expect(html).toContain("Le code précédent de ce site ne fonctionne plus.");
  });

  it("is refused to a teacher", async () => {
    const teacher = await signedIn("teacher", teacherPassword);
    await teacher.page("/catalog");
    const refused = await teacher.post("/admin/targets/register", { name: "lyon" });
    expect(refused.status).toBe(403);
    expect(codeIn(await refused.text())).toBeUndefined();
  });
});

describe("the console's setting: Moodle users become teachers at first use", () => {
  it("is on by default; off, a Moodle user the node does not know is refused", async () => {
    const admin = await signedIn("admin", node.node.initialAdminPassword as string);
    const before = await admin.page("/admin");
    expect(before.html).toMatch(/name="becomeTeachers" value="on"[^>]* checked/);
    await admin.post("/admin/targets/register", { name: "lyon" }).then(async (issued) => {
      const code = codeIn(await issued.text()) as string;
      expect((await site(code, { id: 1, username: "known" })).status).toBe(200);

      await admin.page("/admin");
      const saved = await admin.post("/admin/settings/moodle-users", {});
      expect(saved.status).toBe(303);
      const after = await admin.page("/admin?notice=saved");
      expect(after.html).not.toMatch(/name="becomeTeachers" value="on"[^>]* checked/);
      expect(after.html).toContain("Changed here by admin");
      const refused = await site(code, { id: 2, username: "stranger" });
      expect(refused.status).toBe(403);
      expect((await site(code, { id: 1, username: "known" })).status).toBe(200);

      await admin.post("/admin/settings/moodle-users", { becomeTeachers: "on" });
      expect((await site(code, { id: 2, username: "stranger" })).status).toBe(200);
    });
    expect((await admin.page("/admin/audit")).html).toContain(
      "changed whether Moodle users become teachers",
    );
  });

  it("cannot be changed by a teacher", async () => {
    const teacher = await signedIn("teacher", teacherPassword);
    await teacher.page("/catalog");
    const refused = await teacher.post("/admin/settings/moodle-users", {});
    expect(refused.status).toBe(403);
    expect(await node.node.services.settings.moodleUsersBecomeTeachers()).toBe(true);
  });
});
