import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AccountRepository } from "../../packages/node/src/accounts/account-repository.ts";
import { createAccount } from "../../packages/node/src/accounts/account-service.ts";
import { LOGIN_FAILURES_ALLOWED } from "../../packages/node/src/accounts/login-throttle.ts";
import { cookieOptions } from "../../packages/node/src/web/session-cookie.ts";
import { startTestNode, type TestNode } from "../support/test-node.ts";
import { WebClient } from "./web-client.ts";

let node: TestNode;
const passwords: Record<string, string> = {};

/** Every form the interface has, with fields that would otherwise be acted on. */
const POST_ROUTES: ReadonlyArray<readonly [string, Record<string, string>]> = [
  ["/login", { username: "admin", password: "x" }],
  ["/logout", {}],
  ["/catalog/restore", { object: "https://elsewhere.example/courses/1", target: "t" }],
  ["/catalog/download", { object: "https://elsewhere.example/courses/1" }],
  ["/feeds/follow", { target: "@institution@elsewhere.example" }],
  ["/feeds/unfollow", { actor: "https://elsewhere.example/actors/institution" }],
  ["/catalog/network/catalog", { object: "https://elsewhere.example/courses/1" }],
];

async function signedIn(username: string): Promise<WebClient> {
  const client = new WebClient(node.url);
  const response = await client.login(username, passwords[username] as string);
  expect(response.status).toBe(303);
  await client.page("/catalog");
  return client;
}

describe("web interface: sessions, CSRF, rate limiting and roles", () => {
  beforeAll(async () => {
    node = await startTestNode("univ");
    passwords.admin = node.node.initialAdminPassword as string;
    const stores = {
      actors: node.node.services.actors,
      accounts: new AccountRepository(node.node.db),
    };
    for (const [username, role] of [
      ["teacher", "teacher"],
      ["viewer", "viewer"],
      ["guessed", "viewer"],
    ] as const) {
      passwords[username] = (await createAccount(stores, { username, role })).password;
    }
  });
  afterAll(async () => {
    await node?.stop();
  });

  it("signs in with the first start's admin password, in a HttpOnly SameSite=Lax cookie", async () => {
    const client = new WebClient(node.url);
    await client.page("/login");
    const response = await client.post("/login", {
      username: "admin",
      password: passwords.admin as string,
      next: "/feeds",
    });
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe("/feeds");
    const cookie = response.headers.getSetCookie().find((c) => c.startsWith("coursefed_session="));
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Lax/);
    expect(cookie).toMatch(/Path=\//);
    expect(cookie).not.toMatch(/Secure/);
    expect(cookieOptions(new URL("https://courses.univ.example/")).secure).toBe(true);
    expect((await client.page("/feeds")).status).toBe(200);

    await client.post("/logout", {});
    expect((await client.get("/feeds")).headers.get("location")).toBe("/login?next=%2Ffeeds");
  });

  it("refuses a wrong password, and an open redirect after sign-in", async () => {
    const client = new WebClient(node.url);
    await client.page("/login");
    const wrong = await client.post("/login", { username: "teacher", password: "guess" });
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).toContain("Wrong username or password.");
    const away = await client.post("/login", {
      username: "teacher",
      password: passwords.teacher as string,
      next: "//evil.example/",
    });
    expect(away.headers.get("location")).toBe("/catalog");
  });

  it("sends the browser only to its own paths, as the browser will read them", async () => {
    const client = new WebClient(node.url);
    for (const back of ["%2F%5Cevil.example", "%2F..%2F%2Fevil.example", "https%3Aevil.example"]) {
      const switched = await client.get(`/language?set=fr&back=${back}`);
      expect(switched.status).toBe(303);
      expect(switched.headers.get("location")).toBe("/catalog");
    }
    const accented = await client.get("/language?set=fr&back=%2Fcatalog%3Fq%3D%C3%A9t%C3%A9");
    expect(accented.headers.get("location")).toBe("/catalog?q=%C3%A9t%C3%A9");

    const form = await client.page("/login?next=%2F%2F%2Fevil.example");
    expect(form.html).toContain('name="next" value="/catalog"');
    // In a form's body the control characters reach the route: a browser drops the tabs.
    const away = await client.post("/login", {
      username: "viewer",
      password: passwords.viewer as string,
      next: "/\t\t/evil.example",
    });
    expect(away.status).toBe(303);
    expect(away.headers.get("location")).toBe("/catalog");
    const signedInAway = await client.get("/login?next=%2F%252F%2Fevil.example");
    expect(signedInAway.headers.get("location")).toBe("/catalog");
  });

  it("refuses an address with control characters (400, a page saying so), not accents", async () => {
    const client = new WebClient(node.url);
    for (const path of [
      "/language?set=en&back=/%0a/x",
      "/language?set=en&back=/%09%09/evil.example",
      "/login?next=%2Fcatalog%0D%0ASet-Cookie:%20x=1",
      "/catalog?q=%00",
      "/catalog?q%07=1",
      "/tags/a%00b",
      "/courses/%C2%85",
    ]) {
      const response = await client.page(path);
      expect(response.status, path).toBe(400);
      expect(response.html, path).toContain("control characters");
    }
    const french = new WebClient(node.url, { "accept-language": "fr" });
    const refused = await french.page("/language?set=fr&back=/%0a/x");
    expect(refused.status).toBe(400);
    expect(refused.html).toContain("caractères de contrôle");
    // Past the guard: the tag page itself answers, the accented tag read as it was meant,
    // with no course carrying it (a tag resolves whether or not any course has it yet).
    const tagPage = await french.page("/tags/%C3%A9ducation");
    expect(tagPage.status).toBe(200);
    expect(tagPage.html).toContain("#éducation");
    expect(tagPage.html).toContain("Aucun cours public ne porte ce mot-clé.");
    const search = await french.get(
      "/login?next=%2Fcatalog%3Fq%3D%C3%A9t%C3%A9%20%C3%A0%20No%C3%ABl",
    );
    expect(search.status).toBe(200);
  });

  it("refuses every form without its CSRF token or with a wrong one (403)", async () => {
    const client = await signedIn("admin");
    for (const [path, fields] of POST_ROUTES) {
      for (const token of ["", "wrong-token"]) {
        const response = await client.post(path, { ...fields, _csrf: token });
        expect(response.status, `${path} with "${token}"`).toBe(403);
        expect(await response.text()).toContain("Form expired");
      }
    }
    // A signed-out browser's token (the sign-in form's) is no session's token either.
    const anonymous = new WebClient(node.url);
    await anonymous.page("/login");
    for (const [path, fields] of POST_ROUTES.slice(1)) {
      expect((await anonymous.post(path, fields)).status, path).toBe(403);
    }
    // The session is untouched by the refused sign-out.
    expect((await client.page("/feeds")).status).toBe(200);
  });

  it("lets each role do only what it may, on every page and form", async () => {
    const anonymous = new WebClient(node.url);
    for (const path of ["/catalog", "/catalog/course?object=x", "/restores", "/feeds"]) {
      const response = await anonymous.get(path);
      expect(response.status, path).toBe(303);
      expect(response.headers.get("location")).toMatch(/^\/login\?next=/);
    }

    const viewer = await signedIn("viewer");
    expect((await viewer.page("/catalog")).status).toBe(200);
    for (const path of ["/restores", "/feeds"]) {
      const page = await viewer.page(path);
      expect(page.status, path).toBe(403);
      expect(page.html).toContain("Your account (viewer) may not do this");
    }
    for (const [path, fields] of POST_ROUTES.slice(2)) {
      expect((await viewer.post(path, fields)).status, path).toBe(403);
    }
    const navigation = (await viewer.page("/catalog")).html;
    expect(navigation).not.toContain('href="/restores"');
    expect(navigation).not.toContain('href="/feeds"');

    const teacher = await signedIn("teacher");
    for (const path of ["/catalog", "/restores", "/feeds"]) {
      expect((await teacher.page(path)).status, path).toBe(200);
    }
    // Past the role check, the services answer: nothing of this is in the catalog.
    const restore = await teacher.post(
      "/catalog/restore",
      POST_ROUTES[2]?.[1] as Record<string, string>,
    );
    expect(restore.status).toBe(404);
    expect(await restore.text()).toContain("is not in this node&#39;s catalog");
  });

  it("refuses sign-in for a while after repeated failures (429 with Retry-After)", async () => {
    const client = new WebClient(node.url);
    await client.page("/login");
    for (let i = 0; i < LOGIN_FAILURES_ALLOWED; i++) {
      expect(
        (await client.post("/login", { username: "guessed", password: `guess ${i}` })).status,
      ).toBe(401);
    }
    const blocked = await client.post("/login", {
      username: "guessed",
      password: passwords.guessed as string,
    });
    expect(blocked.status).toBe(429);
    const retryAfter = Number(blocked.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThan(14 * 60);
    expect(retryAfter).toBeLessThanOrEqual(15 * 60);
    expect(await blocked.text()).toMatch(/Try again in 15 minutes/);
    // Another account from the same address is not held back.
    expect(
      (await client.post("/login", { username: "teacher", password: passwords.teacher as string }))
        .status,
    ).toBe(303);
  });

  it("speaks French to a French browser, and the switch overrides the browser", async () => {
    const client = new WebClient(node.url, { "accept-language": "fr-CA,fr;q=0.9,en;q=0.5" });
    let page = await client.page("/login");
    expect(page.html).toContain('<html lang="fr">');
    expect(page.html).toContain("Identifiant");
    const switched = await client.get("/language?set=en&back=%2Flogin");
    expect(switched.headers.get("location")).toBe("/login");
    page = await client.page("/login");
    expect(page.html).toContain('<html lang="en">');
    expect(page.html).toContain("Username");
    const english = await new WebClient(node.url, { "accept-language": "de, en;q=0.5" }).page(
      "/login",
    );
    expect(english.html).toContain('<html lang="en">');
  });
});
