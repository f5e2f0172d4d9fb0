import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AccountRepository } from "../../packages/node/src/accounts/account-repository.ts";
import { AuditLog } from "../../packages/node/src/audit/audit-log.ts";
import {
  ACTING_USER_HEADER,
  actingUserHeader,
  type MoodleUser,
} from "../../packages/node/src/moodle-sites/acting-user.ts";
import { parseRegistrationCode } from "../../packages/node/src/moodle-sites/registration-code.ts";
import { type NodeApiCall, nodeApi } from "../support/node-api.ts";
import { startTestNode, type TestNode } from "../support/test-node.ts";

let node: TestNode;
/** The token the stand-in Moodle site accepts. */
const GOOD_WS_TOKEN = "0123456789abcdef0123456789abcdef";
let moodle: { url: string; tokensSeen: string[]; close(): Promise<void> };

const api = (path: string, call: NodeApiCall = {}) => nodeApi(node, path, call);

/** Registers `target` and returns the site token the code carries. */
async function register(target: string): Promise<{ token: string; replaced: boolean }> {
  const issued = await api(`/moodle/targets/${target}/registration`, { method: "POST" });
  expect(issued.status).toBe(201);
  const { node: nodeUrl, token } = parseRegistrationCode(issued.body.code);
  expect(nodeUrl).toBe(node.url.href.replace(/\/$/, ""));
  return { token, replaced: issued.body.replaced };
}

const ada: MoodleUser = {
  id: 42,
  username: "ada",
  fullname: "Ada Lovelace",
  email: "ada@school.example",
};

/**
 * A stand-in for a Moodle site with local_coursefed: answers the probe with the one token
 * it issued, and refuses any other as Moodle does (invalidtoken).
 */
async function startMoodle() {
  const tokensSeen: string[] = [];
  const server: Server = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk: Buffer) => {
      body += chunk.toString();
    });
    request.on("end", () => {
      const form = new URLSearchParams(body);
      const token =
        form.get("wstoken") ??
        new URL(request.url ?? "/", "http://x").searchParams.get("wstoken") ??
        "";
      tokensSeen.push(token);
      response.writeHead(200, { "content-type": "application/json" });
      response.end(
        JSON.stringify(
          token === GOOD_WS_TOKEN
            ? {
                version: "2024100706.00",
                release: "4.5.6 (Build: 20250811)",
                branch: "405",
                maxuploadbytes: 0,
                plugins: [{ component: "local_coursefed", version: "2026120600" }],
              }
            : {
                exception: "moodle_exception",
                errorcode: "invalidtoken",
                message: "Invalid token - token not found",
              },
        ),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    tokensSeen,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

beforeAll(async () => {
  node = await startTestNode("univ", "University of Tests");
  moodle = await startMoodle();
  for (const [name, url] of [
    ["lyon", moodle.url],
    ["paris", "https://paris.example"],
  ] as const) {
    // No --ws-token: the site gives one when it is registered.
    const added = await api("/moodle/targets", {
      method: "POST",
      json: { name, driver: "ws", url },
    });
    expect(added.status).toBe(201);
  }
  const cli = await api("/moodle/targets", {
    method: "POST",
    json: { name: "local", driver: "cli", url: "https://local.example", moodleDir: "/nowhere" },
  });
  expect(cli.status).toBe(201);
});
afterAll(async () => {
  await node?.stop();
  await moodle?.close();
});

describe("a Moodle site's registration code", () => {
  it("connects the site to the node's institution, and a new code revokes the old", async () => {
    const first = await register("lyon");
    expect(first.replaced).toBe(false);
    const site = await api("/site", { token: first.token });
    expect(site.status).toBe(200);
    expect(site.body.institution).toEqual({
      name: "University of Tests",
      handle: "univ",
      url: new URL("/actors/institution", node.url).href,
    });
    expect(site.body.target).toMatchObject({ name: "lyon", driver: "ws", moodleAccess: false });
    expect(site.body.node).toMatchObject({ software: "coursefed" });
    expect(site.body.actingAs).toBeNull();

    const second = await register("lyon");
    expect(second.replaced).toBe(true);
    expect((await api("/site", { token: first.token })).status).toBe(401);
    expect((await api("/site", { token: second.token })).status).toBe(200);

    const audit = (await new AuditLog(node.node.db).page({ limit: 50, offset: 0 })).entries;
    expect(audit.filter((entry) => entry.action === "site.register")).toHaveLength(2);
  });

  it("is refused for a target that does not exist, and to a teacher token", async () => {
    expect((await api("/moodle/targets/nowhere/registration", { method: "POST" })).status).toBe(
      404,
    );
    const teacher = await api("/teachers", {
      method: "POST",
      json: { handle: "grace", name: "Grace Hopper" },
    });
    const refused = await api("/moodle/targets/lyon/registration", {
      method: "POST",
      token: teacher.body.token,
    });
    expect(refused.status).toBe(403);
  });

  it("stops working once withdrawn", async () => {
    const { token } = await register("paris");
    expect((await api("/moodle/targets/paris/registration", { method: "DELETE" })).status).toBe(
      204,
    );
    expect((await api("/site", { token })).status).toBe(401);
    const again = await api("/moodle/targets/paris/registration", { method: "DELETE" });
    expect(again.status).toBe(404);
    expect(again.body.error.code).toBe("not_registered");
  });
});

describe("a site token is confined to its own target", () => {
  let token: string;
  beforeAll(async () => {
    token = (await register("lyon")).token;
  });

  it("is refused by admin endpoints", async () => {
    for (const [method, path] of [
      ["GET", "/moodle/targets"],
      ["GET", "/teachers"],
      ["POST", "/moodle/targets/lyon/registration"],
      ["GET", "/settings/federation"],
    ] as const) {
      const answer = await api(path, { method, token, user: actingUserHeader(ada) });
      expect(answer.status, `${method} ${path}`).toBe(403);
    }
  });

  it("restores only into its own target", async () => {
    const elsewhere = await api("/restores", {
      method: "POST",
      token,
      user: actingUserHeader(ada),
      json: { object: "https://peer.example/courses/1", target: "paris", categoryId: 1 },
    });
    expect(elsewhere.status).toBe(403);
    expect(elsewhere.body.error.message).toContain('its own Moodle target "lyon"');
  });

  it("sees the restore jobs of its own target only", async () => {
    const targets = node.node.services.moodleTargets;
    const jobOn = async (name: string) =>
      (
        await node.node.services.restores.request({
          objectUri: `https://peer.example/courses/${name}`,
          revision: 1,
          targetId: (await targets.byName(name))?.id as number,
          destination: { kind: "new-course", categoryId: 1 },
          requesterKey: "name:admin",
          requestedBy: "admin",
        })
      ).job;
    const own = await jobOn("lyon");
    const other = await jobOn("paris");
    const listed = await api("/restores", { token });
    expect(listed.status).toBe(200);
    const ids = listed.body.items.map((item: { id: string }) => item.id);
    expect(ids).toContain(own.id);
    expect(ids).not.toContain(other.id);
    expect((await api(`/restores/${own.id}`, { token })).status).toBe(200);
    expect((await api(`/restores/${other.id}`, { token })).status).toBe(404);
    // An admin sees both.
    expect((await api(`/restores/${other.id}`)).status).toBe(200);
  });

  it("only reads as the institution when it names no Moodle user, apart from /site/*", async () => {
    const write = await api("/courses/some-course", {
      method: "DELETE",
      token,
    });
    expect(write.status).toBe(403);
    expect(write.body.error.message).toContain(ACTING_USER_HEADER);
    expect((await api("/catalog", { token })).status).toBe(200);
  });
});

describe("the Coursefed-Moodle-User header", () => {
  let token: string;
  beforeAll(async () => {
    token = (await register("lyon")).token;
  });

  it("is refused from an admin or a teacher token", async () => {
    const answer = await api("/catalog", { user: actingUserHeader(ada) });
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe("acting_user_not_allowed");
    expect(answer.body.error.message).toContain("admin token");
  });

  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const cases: Array<[string, string, string]> = [
    ["not base64url", "not base64!", "not base64url"],
    ["not JSON", Buffer.from("{id: 1").toString("base64url"), "does not decode to JSON"],
    ["an array", encode([1, "ada"]), "not decode to a JSON object"],
    ["id 0", encode({ ...ada, id: 0 }), "not a positive whole number"],
    ["id as text", encode({ ...ada, id: "42" }), "not a positive whole number"],
    ["id 1.5", encode({ ...ada, id: 1.5 }), "not a positive whole number"],
    ["no username", encode({ id: 3, fullname: "X", email: "" }), "has no username"],
    ["an empty username", encode({ ...ada, username: "" }), "username of 0 characters"],
    ["a long username", encode({ ...ada, username: "a".repeat(101) }), "username of 101"],
    ["a line break", encode({ ...ada, fullname: "Ada\nLovelace" }), "control character"],
    ["another field", encode({ ...ada, admin: true }), "fields it should not: admin"],
    ["too long", encode({ ...ada, fullname: "é".repeat(200), pad: "x".repeat(2000) }), "bytes"],
  ];
  for (const [what, header, message] of cases) {
    it(`is refused with ${what}, saying what is wrong`, async () => {
      const answer = await api("/site", { token, user: header });
      expect(answer.status).toBe(400);
      expect(answer.body.error.code).toBe("invalid_acting_user");
      expect(answer.body.error.message).toContain(message);
    });
  }
});

describe("Moodle users and the node's teachers", () => {
  let token: string;
  beforeAll(async () => {
    token = (await register("lyon")).token;
  });

  it("makes a teacher at a Moodle user's first request and keeps acting as them", async () => {
    const first = await api("/site", { token, user: actingUserHeader(ada) });
    expect(first.status).toBe(200);
    expect(first.body.actingAs).toMatchObject({ handle: "ada", name: "Ada Lovelace" });
    const renamed = { ...ada, fullname: "Augusta Ada King" };
    const again = await api("/site", { token, user: actingUserHeader(renamed) });
    expect(again.body.actingAs.handle).toBe("ada");
    const users = await api("/moodle/targets/lyon/moodle-users");
    expect(users.body.items).toEqual([
      expect.objectContaining({
        moodleUserId: 42,
        username: "ada",
        fullName: "Augusta Ada King",
        teacher: "ada",
        revokedAt: null,
      }),
    ]);
    const audit = (await new AuditLog(node.node.db).page({ limit: 100, offset: 0 })).entries;
    const made = audit.filter((entry) => entry.action === "site.teacher-add");
    expect(made).toHaveLength(1);
    expect(made[0]?.byName).toBe("site lyon");
  });

  it("makes one teacher for a Moodle user's first requests arriving together", async () => {
    const dora = { id: 50, username: "dora", fullname: "Dora", email: "" };
    const namesake = { id: 51, username: "dora", fullname: "Another Dora", email: "" };
    const answers = await Promise.all(
      [dora, dora, dora, namesake, namesake].map((user) =>
        api("/site", { token, user: actingUserHeader(user) }),
      ),
    );
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 200, 200]);
    const handles = answers.map((answer) => answer.body.actingAs.handle);
    expect(new Set(handles.slice(0, 3)).size).toBe(1);
    expect(new Set(handles.slice(3)).size).toBe(1);
    expect(handles[0]).not.toBe(handles[3]);
    const doras = (await node.node.services.actors.teachers()).filter((teacher) =>
      teacher.handle.startsWith("dora"),
    );
    expect(doras.map((teacher) => teacher.handle).sort()).toEqual(["dora", "dora-2"]);
  });

  it("never hands a Moodle user an existing teacher whose handle their username matches", async () => {
    // grace was made by an admin above.
    const grace = { id: 7, username: "Grace", fullname: "Not Grace", email: "" };
    const answer = await api("/site", { token, user: actingUserHeader(grace) });
    expect(answer.body.actingAs.handle).toBe("grace-2");
  });

  it("refuses new Moodle users when the node's setting is off, not the ones it knows", async () => {
    await node.node.services.settings.setMoodleUsersBecomeTeachers(false, "admin");
    try {
      const newcomer = { id: 99, username: "newcomer", fullname: "New Comer", email: "" };
      const refused = await api("/site", { token, user: actingUserHeader(newcomer) });
      expect(refused.status).toBe(403);
      expect(refused.body.error.code).toBe("moodle_user_refused");
      expect(refused.body.error.message).toContain("Moodle users become teachers at first use");
      expect((await api("/site", { token, user: actingUserHeader(ada) })).status).toBe(200);
    } finally {
      await node.node.services.settings.setMoodleUsersBecomeTeachers(true, "admin");
    }
  });

  it("refuses a Moodle user whose teacher account an admin disabled", async () => {
    const bob = { id: 8, username: "bob", fullname: "Bob", email: "" };
    const made = await api("/site", { token, user: actingUserHeader(bob) });
    const actor = await node.node.services.actors.byHandle(made.body.actingAs.handle);
    const accounts = new AccountRepository(node.node.db);
    const account = await accounts.create({
      username: "bob",
      displayName: "Bob",
      role: "teacher",
      actorId: actor?.id as number,
      passwordHash: "x",
    });
    await accounts.setDisabled(account.id, true);
    const refused = await api("/site", { token, user: actingUserHeader(bob) });
    expect(refused.status).toBe(403);
    expect(refused.body.error.message).toContain("disabled the teacher account @bob");
  });

  it("refuses a Moodle user an admin revoked, rather than making them a new teacher", async () => {
    const carol = { id: 9, username: "carol", fullname: "Carol", email: "" };
    expect((await api("/site", { token, user: actingUserHeader(carol) })).status).toBe(200);
    const revoked = await api("/moodle/targets/lyon/moodle-users/9/revoke", { method: "POST" });
    expect(revoked.status).toBe(204);
    const refused = await api("/site", { token, user: actingUserHeader(carol) });
    expect(refused.status).toBe(403);
    expect(refused.body.error.message).toContain("withdrew carol's access");
    expect(
      (await api("/moodle/targets/lyon/moodle-users/1234/revoke", { method: "POST" })).status,
    ).toBe(404);
  });
});

describe("giving the node access to a ws site", () => {
  it("keeps the site's token only once a probe with it succeeds", async () => {
    const { token } = await register("lyon");
    const wrong = await api("/site/moodle-access", {
      method: "PUT",
      token,
      json: { token: "ffffffffffffffffffffffffffffffff" },
    });
    expect(wrong.status).toBe(502);
    expect(wrong.body.error.code).toBe("moodle_access_failed");
    let target = await node.node.services.moodleTargets.byName("lyon");
    expect(target?.settings.token).toBeUndefined();

    const notAToken = await api("/site/moodle-access", {
      method: "PUT",
      token,
      json: { token: "not a token" },
    });
    expect(notAToken.status).toBe(400);

    const given = await api("/site/moodle-access", {
      method: "PUT",
      token,
      json: { token: GOOD_WS_TOKEN },
    });
    expect(given.status).toBe(200);
    expect(given.body).toEqual({ target: "lyon", release: "4.5.6 (Build: 20250811)" });
    target = await node.node.services.moodleTargets.byName("lyon");
    expect(target?.settings.token).toBe(GOOD_WS_TOKEN);
    expect(target?.probedAt).not.toBeNull();
    // The admin's probe now goes through with the token the site sent.
    const seen = moodle.tokensSeen.length;
    expect((await api("/moodle/targets/lyon/probe", { method: "POST" })).status).toBe(200);
    expect(moodle.tokensSeen.slice(seen)).toEqual([GOOD_WS_TOKEN]);
    expect((await api("/site", { token })).body.target.moodleAccess).toBe(true);
    const audit = (await new AuditLog(node.node.db).page({ limit: 100, offset: 0 })).entries;
    expect(audit.some((entry) => entry.action === "site.moodle-access")).toBe(true);
  });

  it("is refused for a cli target, which needs no token", async () => {
    const { token } = await register("local");
    const answer = await api("/site/moodle-access", {
      method: "PUT",
      token,
      json: { token: GOOD_WS_TOKEN },
    });
    expect(answer.status).toBe(409);
    expect(answer.body.error.code).toBe("not_ws_target");
  });

  it("says how a ws target without a token gets one when the node needs it", async () => {
    const probe = await api("/moodle/targets/paris/probe", { method: "POST" });
    expect(probe.status).toBe(502);
    expect(probe.body.error.message).toContain("coursefed moodle register paris");
  });
});
