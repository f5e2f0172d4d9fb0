import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AccountRepository } from "../../packages/node/src/accounts/account-repository.ts";
import { createAccount } from "../../packages/node/src/accounts/account-service.ts";
import { domainServices } from "../../packages/node/src/federation/domain-services.ts";
import { follow } from "../../packages/node/src/follows/follow-service.ts";
import { TokenRepository } from "../../packages/node/src/tokens/token-repository.ts";
import { contextOf, institutionOf } from "../support/federation-steps.ts";
import { startTestNode, type TestNode } from "../support/test-node.ts";
import { WebClient } from "./web-client.ts";

let node: TestNode;
let peer: TestNode;
const passwords: Record<string, string> = {};
let teacherToken: string;

/** The console's forms, with fields that would change the policy if they were acted on. */
const SETTINGS_FORMS: ReadonlyArray<readonly [string, Record<string, string>]> = [
  ["/admin/settings/federation", { mode: "blocklist", domains: "127.0.0.1" }],
  ["/admin/settings/auto-accept", { autoAccept: "127.0.0.1" }],
  ["/admin/settings/reset", { setting: "policy" }],
];

async function signedIn(username: string) {
  const client = new WebClient(node.url);
  expect((await client.login(username, passwords[username] as string)).status).toBe(303);
  await client.page("/admin");
  return client;
}

/** A delivery to the node's inbox signed (badly) by the peer's institution key. */
function inboxPost(): Promise<Response> {
  return fetch(new URL("/actors/institution/inbox", node.url), {
    method: "POST",
    headers: {
      "content-type": "application/activity+json",
      signature: `keyId="${institutionOf(peer)}#main-key",algorithm="rsa-sha256",headers="(request-target)",signature="AA=="`,
    },
    body: "{}",
  });
}

function api(path: string, token: string, init: RequestInit = {}): Promise<Response> {
  return fetch(new URL(`/api/v1${path}`, node.url), {
    ...init,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
  });
}

describe("federation settings in the admin console and the API", () => {
  beforeAll(async () => {
    [node, peer] = await Promise.all([
      startTestNode("univ", "Université Exemple"),
      startTestNode("school", "Lycée Exemple"),
    ]);
    passwords.admin = node.node.initialAdminPassword as string;
    const stores = {
      actors: node.node.services.actors,
      accounts: new AccountRepository(node.node.db),
    };
    for (const role of ["teacher", "viewer"] as const) {
      const { account, password } = await createAccount(stores, { username: role, role });
      passwords[role] = password;
      if (role === "teacher") {
        teacherToken = (
          await new TokenRepository(node.node.db).create("teacher", "teacher", account.actorId)
        ).token;
      }
    }
  });
  afterAll(async () => {
    await Promise.all([node, peer].map((each) => each?.stop()));
  });

  it("turns the node to a blocklist from the console: the blocked peer's deliveries get 403", async () => {
    // Open by configuration: the guard lets the request through to Fedify, which finds
    // the signature wrong.
    expect((await inboxPost()).status).not.toBe(403);

    const admin = await signedIn("admin");
    const before = await admin.page("/admin");
    expect(before.html).toContain("From the node&#39;s configuration.");
    // Every loopback test node is 127.0.0.1: blocking it blocks the peer.
    const saved = await admin.post("/admin/settings/federation", {
      mode: "blocklist",
      domains: "127.0.0.1\nspam.example",
    });
    expect(saved.status).toBe(303);
    expect(saved.headers.get("location")).toBe("/admin?notice=saved");

    const refused = await inboxPost();
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe(
      "not_federated",
    );
    // A real follow from the peer is refused as well: it never reaches the node.
    await follow(domainServices(contextOf(peer)), peer.node.institution, institutionOf(node));
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(
      await node.node.services.follows.follower(node.node.institution.id, institutionOf(peer)),
    ).toBeUndefined();

    const after = await admin.page("/admin?notice=saved");
    expect(after.html).toContain("every process of this node applies it");
    expect(after.html).toContain("<code>spam.example</code>");
    expect(after.html).toContain("Changed here by admin");
    expect(after.html).toContain("Reset to the configuration&#39;s value");
    const audit = await admin.page("/admin/audit");
    expect(audit.html).toContain("changed the federation policy");
    expect(audit.html).toContain("127.0.0.1");

    // Back to the configuration's open policy.
    const reset = await admin.post("/admin/settings/reset", { setting: "policy" });
    expect(reset.headers.get("location")).toBe("/admin?notice=reset");
    expect((await inboxPost()).status).not.toBe(403);
    expect((await admin.page("/admin/audit")).html).toContain(
      "reset a setting to the configuration&#39;s",
    );
  });

  it("shows the upload limit in the binary unit it is set in (8GiB: 8 GiB, not 8.6 GB)", async () => {
    const admin = await signedIn("admin");
    expect((await admin.page("/admin")).html).toMatch(/<dd>8 GiB<\/dd>/);
    const french = new WebClient(node.url, { "accept-language": "fr" });
    await french.login("admin", passwords.admin as string);
    expect((await french.page("/admin")).html).toMatch(/<dd>8 Gio<\/dd>/);
  });

  it("sets the institution's logo from the console, refusing an SVG in the admin's language", async () => {
    const french = new WebClient(node.url, { "accept-language": "fr" });
    await french.login("admin", passwords.admin as string);
    expect((await french.page("/admin")).html).toContain("Pas encore de logo.");
    const upload = (bytes: Uint8Array | string, name: string) => {
      const form = new FormData();
      form.set("_csrf", french.csrf);
      form.set("logo", new Blob([bytes]), name);
      return fetch(new URL("/admin/settings/logo", node.url), {
        method: "POST",
        redirect: "manual",
        headers: {
          cookie: `coursefed_session=${french.cookie("coursefed_session")}`,
          "accept-language": "fr",
        },
        body: form,
      });
    };
    const svg = await upload('<svg xmlns="http://www.w3.org/2000/svg"/>', "logo.svg");
    expect(svg.status).toBe(415);
    expect(await svg.text()).toContain("Les logos SVG sont refusés");
    const png = Buffer.from(
      "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==",
      "base64",
    );
    expect((await upload(png, "logo.png")).status).toBe(303);
    const shown = (await french.page("/admin")).html;
    const src = /<img src="(\/logo\/[0-9a-f]{64})"/.exec(shown)?.[1];
    expect(src).toBeDefined();
    expect((await fetch(new URL(src as string, node.url))).headers.get("content-type")).toBe(
      "image/png",
    );
    expect((await french.post("/admin/settings/logo/remove", {})).status).toBe(303);
    expect((await french.page("/admin")).html).toContain("Pas encore de logo.");
  });

  it("refuses what the configuration would refuse, keeping the form's values (400)", async () => {
    const admin = await signedIn("admin");
    const empty = await admin.post("/admin/settings/federation", {
      mode: "allowlist",
      domains: "",
    });
    expect(empty.status).toBe(400);
    const emptyPage = await empty.text();
    expect(emptyPage).toContain("an allowlist needs at least one host");
    expect(emptyPage).toMatch(/value="allowlist" checked/);

    const badHost = await admin.post("/admin/settings/auto-accept", {
      autoAccept: "partner.example\nnot_a/host",
    });
    expect(badHost.status).toBe(400);
    const badPage = await badHost.text();
    expect(badPage).toContain("&quot;not_a/host&quot; is not a host name");
    expect(badPage).toContain("partner.example\nnot_a/host</textarea>");
    expect(await node.node.services.settings.federation()).toMatchObject({
      policy: { override: null },
      autoAccept: { override: null },
    });

    const saved = await admin.post("/admin/settings/auto-accept", {
      autoAccept: "Partner.example, lycee.example",
    });
    expect(saved.status).toBe(303);
    expect(await node.node.services.settings.autoAcceptDomains()).toEqual([
      "partner.example",
      "lycee.example",
    ]);
    await admin.page("/admin");
    await admin.post("/admin/settings/reset", { setting: "autoAccept" });
    expect(await node.node.services.settings.autoAcceptDomains()).toEqual([]);
  });

  it("lets only admins see and change the settings (403 to teachers and viewers)", async () => {
    for (const role of ["teacher", "viewer"]) {
      const client = new WebClient(node.url);
      await client.login(role, passwords[role] as string);
      await client.page("/catalog");
      expect((await client.page("/admin")).status, role).toBe(403);
      for (const [path, fields] of SETTINGS_FORMS) {
        expect((await client.post(path, fields)).status, `${role} ${path}`).toBe(403);
      }
    }
    const admin = await signedIn("admin");
    for (const [path, fields] of SETTINGS_FORMS) {
      for (const token of ["", "wrong-token"]) {
        const response = await admin.post(path, { ...fields, _csrf: token });
        expect(response.status, `${path} with "${token}"`).toBe(403);
      }
    }
    expect((await node.node.services.settings.federation()).policy.override).toBeNull();

    expect((await api("/settings/federation", teacherToken)).status).toBe(403);
    const put = await api("/settings/federation", teacherToken, {
      method: "PUT",
      body: JSON.stringify({ policy: { mode: "blocklist", domains: ["127.0.0.1"] } }),
    });
    expect(put.status).toBe(403);
    const del = await api("/settings/federation/policy", teacherToken, { method: "DELETE" });
    expect(del.status).toBe(403);
  });

  it("offers the same through the API: read, change, refuse, reset", async () => {
    const shown = await api("/settings/federation", node.token);
    expect(shown.status).toBe(200);
    expect(await shown.json()).toEqual({
      policy: {
        mode: "open",
        domains: [],
        configured: { mode: "open", domains: [] },
        changedBy: null,
        changedAt: null,
      },
      autoAccept: { domains: [], configured: [], changedBy: null, changedAt: null },
    });

    const refused = await api("/settings/federation", node.token, {
      method: "PUT",
      body: JSON.stringify({
        policy: { mode: "blocklist", domains: ["spam.example"] },
        autoAccept: ["bad host"],
      }),
    });
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({
      error: { code: "invalid_setting", details: { field: "autoAccept" } },
    });
    // Neither part was stored.
    expect((await node.node.services.settings.federation()).policy.override).toBeNull();

    const changed = await api("/settings/federation", node.token, {
      method: "PUT",
      body: JSON.stringify({ policy: { mode: "blocklist", domains: ["127.0.0.1"] } }),
    });
    expect(changed.status).toBe(200);
    expect(await changed.json()).toMatchObject({
      policy: { mode: "blocklist", domains: ["127.0.0.1"], changedBy: "initial admin" },
      autoAccept: { changedBy: null },
    });
    expect((await inboxPost()).status).toBe(403);

    const reset = await api("/settings/federation/policy", node.token, { method: "DELETE" });
    expect(await reset.json()).toMatchObject({ policy: { mode: "open", changedBy: null } });
    expect((await inboxPost()).status).not.toBe(403);

    const openapi = (await (await fetch(new URL("/api/openapi.json", node.url))).json()) as {
      paths: Record<string, Record<string, unknown>>;
    };
    expect(Object.keys(openapi.paths["/api/v1/settings/federation"] ?? {})).toEqual(["get", "put"]);
    expect(openapi.paths["/api/v1/settings/federation/{setting}"]).toHaveProperty("delete");
  });
});
