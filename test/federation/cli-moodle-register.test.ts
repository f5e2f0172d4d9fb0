import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ACTING_USER_HEADER,
  actingUserHeader,
} from "../../packages/node/src/moodle-sites/acting-user.ts";
import { parseRegistrationCode } from "../../packages/node/src/moodle-sites/registration-code.ts";
import { coursefed } from "../support/coursefed-cli.ts";
import { startTestNode, type TestNode } from "../support/test-node.ts";

let node: TestNode;
beforeAll(async () => {
  node = await startTestNode("univ", "University");
  await node.node.services.moodleTargets.add({
    name: "lyon",
    driver: "ws",
    url: "https://moodle.lyon.example",
  });
});
afterAll(async () => {
  await node?.stop();
});

/** What the site token of a code may read about its site. */
async function siteWith(code: string) {
  const { token } = parseRegistrationCode(code);
  return await fetch(new URL("/api/v1/site", node.url), {
    headers: { authorization: `Bearer ${token}` },
  });
}

describe("coursefed moodle register", () => {
  it("prints a code the site connects with, and a new one revokes it", async () => {
    const first = await coursefed(node, "moodle", "register", "lyon");
    expect(first.code).toBe(0);
    const code = /^(coursefed-site:\S+)$/m.exec(first.stdout)?.[1] as string;
    expect(first.stdout).toContain("paste it on the local_coursefed plugin's settings page");
    expect(first.stdout).not.toContain("no longer works");
    const site = await siteWith(code);
    expect(site.status).toBe(200);
    expect(((await site.json()) as { target: { name: string } }).target.name).toBe("lyon");

    const second = await coursefed(node, "moodle", "register", "lyon", "--json");
    expect(second.code).toBe(0);
    const issued = JSON.parse(second.stdout);
    expect(issued).toMatchObject({ target: "lyon", replaced: true });
    expect((await siteWith(code)).status).toBe(401);
    expect((await siteWith(issued.code)).status).toBe(200);

    const revoked = await coursefed(node, "moodle", "register", "lyon", "--revoke");
    expect(revoked.code).toBe(0);
    expect(revoked.stdout).toContain("no longer registered");
    expect((await siteWith(issued.code)).status).toBe(401);
  });

  it("says when there is no such target", async () => {
    const missing = await coursefed(node, "moodle", "register", "nowhere");
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain("nowhere");
  });

  it("lists the Moodle users the site acted for, and revokes one", async () => {
    const issued = JSON.parse(
      (await coursefed(node, "moodle", "register", "lyon", "--json")).stdout,
    );
    const { token } = parseRegistrationCode(issued.code);
    const asUser = (id: number, username: string) =>
      fetch(new URL("/api/v1/site", node.url), {
        headers: {
          authorization: `Bearer ${token}`,
          [ACTING_USER_HEADER]: actingUserHeader({ id, username, fullname: "Ada L.", email: "" }),
        },
      });
    expect((await coursefed(node, "moodle", "users", "lyon")).stdout).toContain(
      "has not acted for any Moodle user yet",
    );
    expect((await asUser(12, "ada")).status).toBe(200);
    const listed = await coursefed(node, "moodle", "users", "lyon");
    expect(listed.stdout).toMatch(/^12 {2}ada \(Ada L\.\) {2}as @ada {2}last seen /m);

    const refused = await coursefed(node, "moodle", "users", "lyon", "--revoke", "twelve");
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('"twelve" is not a whole number');
    const revoked = await coursefed(node, "moodle", "users", "lyon", "--revoke", "12");
    expect(revoked.code).toBe(0);
    expect((await asUser(12, "ada")).status).toBe(403);
    expect((await coursefed(node, "moodle", "users", "lyon", "--json")).stdout).toContain(
      '"revokedAt":"',
    );
  });

  it("explains itself in --help", async () => {
    const help = await coursefed(node, "moodle", "register", "--help");
    expect(help.stdout).toContain("Issuing a code again revokes the previous one");
    expect(help.stdout).toContain("--revoke");
  });
});
