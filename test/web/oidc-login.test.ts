import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AccountRepository } from "../../packages/node/src/accounts/account-repository.ts";
import { AccountError, disableAccount } from "../../packages/node/src/accounts/account-service.ts";
import { NO_PASSWORD } from "../../packages/node/src/accounts/password.ts";
import { CATALOGUES } from "../../packages/node/src/web/i18n/language.ts";
import { OIDC_CALLBACK_PATH } from "../../packages/node/src/web/pages/oidc-login.ts";
import {
  signInAtProvider,
  startOidcProvider,
  type TestOidcProvider,
} from "../support/oidc-provider.ts";
import { startTestNode, type TestNode } from "../support/test-node.ts";
import { type OidcSite, PROVIDER_LABEL, startOidcSite } from "./oidc-site.ts";
import { WebClient } from "./web-client.ts";

/** Claims at the provider, read at each sign-in: a test may change someone's groups. */
const PEOPLE: Record<string, Record<string, unknown>> = {
  alice: { name: "Alice Martin", preferred_username: "alice", groups: ["coursefed-admins"] },
  bob: { name: "Bob Durand", preferred_username: "bob", groups: "coursefed-teachers" },
  carol: { name: "Carol", preferred_username: "carol" },
};

let site: OidcSite;
let nodeUrl: URL;

beforeAll(async () => {
  site = await startOidcSite(PEOPLE);
  nodeUrl = site.nodeUrl;
});

afterAll(async () => {
  await site?.stop();
});

/** Starts the sign-in in `browser` and signs in at the provider: the callback's path and query. */
async function signIn(
  browser: WebClient,
  login: string,
  options: { abort?: boolean; next?: string; callbackUrl?: string } = {},
) {
  const start = await browser.get(
    `/login/oidc?next=${encodeURIComponent(options.next ?? "/restores")}`,
  );
  expect(start.status).toBe(303);
  const callback = await signInAtProvider(
    new URL(start.headers.get("location") ?? ""),
    login,
    options.callbackUrl ?? site.callbackUrl,
    options,
  );
  return `${callback.pathname}${callback.search}`;
}

async function signedInAccount(browser: WebClient) {
  const id = browser.cookie("coursefed_session");
  return id ? (await site.sessions.authenticate(id))?.account : undefined;
}

describe("sign-in with OpenID Connect", () => {
  it("opens a session for the provider's person, with the role their groups give", async () => {
    const browser = new WebClient(nodeUrl);
    const start = await browser.get("/login/oidc?next=/restores");
    expect(start.status).toBe(303);
    const authorization = new URL(start.headers.get("location") ?? "");
    expect(authorization.origin).toBe(site.provider.issuer);
    expect(authorization.searchParams.get("redirect_uri")).toBe(site.callbackUrl);
    const [pendingCookie = ""] = start.headers.getSetCookie();
    expect(pendingCookie).toMatch(/^coursefed_oidc=[\w-]*\.\.[\w-]+\.[\w-]+\.[\w-]+;/);
    expect(pendingCookie).toMatch(/Max-Age=600/);
    expect(pendingCookie).toMatch(/Path=\/login\/oidc/);
    expect(pendingCookie).toMatch(/HttpOnly/);
    expect(pendingCookie).toMatch(/SameSite=Lax/);
    expect(pendingCookie).not.toMatch(/Secure/);
    // Sealed: neither the state nor the verifier can be read from it.
    expect(pendingCookie).not.toContain(authorization.searchParams.get("state"));

    const callback = await signInAtProvider(authorization, "alice", site.callbackUrl);
    const done = await browser.get(`${callback.pathname}${callback.search}`);
    expect(done.status).toBe(303);
    expect(done.headers.get("location")).toBe("/restores");
    expect(browser.cookie("coursefed_oidc")).toBeUndefined();
    expect(done.headers.getSetCookie().join("\n")).toMatch(
      /coursefed_session=[\w-]{43}; Path=\/; HttpOnly; SameSite=Lax/,
    );
    expect(await signedInAccount(browser)).toMatchObject({
      username: "alice",
      displayName: "Alice Martin",
      role: "admin",
    });
  });

  it("replaces the browser's session, and sends a signed-in browser on at once", async () => {
    const browser = new WebClient(nodeUrl);
    await browser.get(await signIn(browser, "alice"));
    const first = browser.cookie("coursefed_session") as string;
    const straight = await browser.get("/login/oidc?next=/feeds");
    expect(straight.status).toBe(303);
    expect(straight.headers.get("location")).toBe("/feeds");
    // A sign-in started before this one's session, finished after: the session is replaced.
    const other = new WebClient(nodeUrl);
    const callback = await signIn(other, "alice");
    const response = await fetch(new URL(callback, nodeUrl), {
      redirect: "manual",
      headers: {
        cookie: `coursefed_oidc=${other.cookie("coursefed_oidc")}; coursefed_session=${first}`,
      },
    });
    expect(response.status).toBe(303);
    expect(await site.sessions.authenticate(first)).toBeUndefined();
  });

  it("maps the role again at every sign-in, on the same account; a demotion ends the other sessions", async () => {
    const browser = new WebClient(nodeUrl);
    await browser.get(await signIn(browser, "bob"));
    const first = await signedInAccount(browser);
    expect(first?.role).toBe("teacher");
    PEOPLE.bob = { ...PEOPLE.bob, groups: [] };
    const again = new WebClient(nodeUrl);
    await again.get(await signIn(again, "bob"));
    expect(await signedInAccount(again)).toMatchObject({ id: first?.id, role: "viewer" });
    expect(await signedInAccount(browser)).toBeUndefined();
    // Promoted again: the viewer's session carries on, as the teacher they now are.
    PEOPLE.bob = { ...PEOPLE.bob, groups: ["coursefed-teachers"] };
    const third = new WebClient(nodeUrl);
    await third.get(await signIn(third, "bob"));
    expect(await signedInAccount(again)).toMatchObject({ id: first?.id, role: "teacher" });
  });

  it("refuses a replayed answer, one from another browser, and one of another sign-in", async () => {
    const browser = new WebClient(nodeUrl);
    const callback = await signIn(browser, "alice");
    expect((await browser.get(callback)).status).toBe(303);
    const replay = await browser.page(callback);
    expect(replay.status).toBe(400);
    expect(replay.html).toContain(CATALOGUES.en.oidcStartAgain);

    const elsewhere = new WebClient(nodeUrl, { "accept-language": "fr" });
    const stolen = await elsewhere.page(await signIn(new WebClient(nodeUrl), "alice"));
    expect(stolen.status).toBe(400);
    expect(stolen.html).toContain(CATALOGUES.fr.oidcStartAgain);
    expect(elsewhere.cookie("coursefed_session")).toBeUndefined();

    const twoTabs = new WebClient(nodeUrl);
    const first = await signIn(twoTabs, "alice");
    await twoTabs.get("/login/oidc");
    const mixed = await twoTabs.page(first);
    expect(mixed.status).toBe(400);
    expect(mixed.html).toContain(CATALOGUES.en.oidcStartAgain);
    expect(twoTabs.cookie("coursefed_session")).toBeUndefined();
  });

  it("refuses an altered sign-in cookie", async () => {
    const browser = new WebClient(nodeUrl);
    const callback = await signIn(browser, "alice");
    const sealed = browser.cookie("coursefed_oidc") ?? "";
    const altered = `${sealed.slice(0, -2)}${sealed.endsWith("AA") ? "BB" : "AA"}`;
    const response = await fetch(new URL(callback, nodeUrl), {
      redirect: "manual",
      headers: { cookie: `coursefed_oidc=${altered}` },
    });
    expect(response.status).toBe(400);
    expect(response.headers.getSetCookie().join("\n")).not.toContain("coursefed_session");
  });

  it("says so when the person cancels at the provider", async () => {
    const browser = new WebClient(nodeUrl);
    const refused = await browser.page(await signIn(browser, "alice", { abort: true }));
    expect(refused.status).toBe(403);
    expect(refused.html).toContain(CATALOGUES.en.oidcRefused(PROVIDER_LABEL));
    expect(refused.html).toContain("access_denied");
  });

  it("refuses those the mapping gives no role when the default is none", async () => {
    site.use(
      site.mount({
        roles: { claim: "groups", admin: ["coursefed-admins"], teacher: [], otherwise: undefined },
      }),
    );
    try {
      const browser = new WebClient(nodeUrl, { "accept-language": "fr" });
      const refused = await browser.page(await signIn(browser, "carol"));
      expect(refused.status).toBe(403);
      expect(refused.html).toContain(CATALOGUES.fr.oidcNoRole(PROVIDER_LABEL));
      expect(browser.cookie("coursefed_session")).toBeUndefined();
    } finally {
      site.use(site.mount());
    }
  });

  it("shows the account store's refusal", async () => {
    site.store.refusal = new AccountError("TAKEN", "The usernames carol to carol-50 are taken.");
    try {
      const browser = new WebClient(nodeUrl);
      const refused = await browser.page(await signIn(browser, "carol"));
      expect(refused.status).toBe(403);
      expect(refused.html).toContain(
        `${CATALOGUES.en.oidcAccountRefused} The usernames carol to carol-50 are taken.`,
      );
      expect(browser.cookie("coursefed_session")).toBeUndefined();
    } finally {
      site.store.refusal = undefined;
    }
  });

  it("refuses a disabled account in the person's language, and its session is over", async () => {
    const browser = new WebClient(nodeUrl);
    await browser.get(await signIn(browser, "carol"));
    const carol = await signedInAccount(browser);
    expect(carol?.username).toBe("carol");
    await disableAccount(site.accounts, { username: "carol", by: "alice" });
    expect(await signedInAccount(browser)).toBeUndefined();
    const french = new WebClient(nodeUrl, { "accept-language": "fr" });
    const refused = await french.page(await signIn(french, "carol"));
    expect(refused.status).toBe(403);
    expect(refused.html).toContain(CATALOGUES.fr.accountDisabled);
    expect(french.cookie("coursefed_session")).toBeUndefined();
    expect((await site.accounts.byId(carol?.id ?? 0))?.lastLoginAt).toBe(carol?.lastLoginAt);
  });

  it("tells what to fix when the provider is misconfigured", async () => {
    site.use(site.mount({ issuer: `${site.provider.issuer}/` }));
    try {
      const page = await new WebClient(nodeUrl).page("/login/oidc");
      expect(page.status).toBe(502);
      expect(page.html).toContain(
        CATALOGUES.en.oidcUnavailable(PROVIDER_LABEL).replace("'", "&#39;"),
      );
      expect(page.html).toContain(
        `set COURSEFED_OIDC_ISSUER to exactly &quot;${site.provider.issuer}&quot;`,
      );
    } finally {
      site.use(site.mount());
    }
  });

  it("goes back to a page of this site only", async () => {
    const browser = new WebClient(nodeUrl);
    const done = await browser.get(await signIn(browser, "alice", { next: "//evil.example/" }));
    expect(done.headers.get("location")).toBe("/catalog");
  });

  it("marks the sign-in cookie Secure on an https node", async () => {
    const https = site.mount({}, new URL("https://courses.univ.example/"));
    const response = await https.request("/login/oidc");
    expect(response.status).toBe(303);
    expect(response.headers.get("set-cookie")).toMatch(/; Secure/);
    const authorization = new URL(response.headers.get("location") ?? "");
    expect(authorization.searchParams.get("redirect_uri")).toBe(
      "https://courses.univ.example/login/oidc/callback",
    );
  });
});

describe("single sign-on on a whole node", () => {
  /** The node's institution is @univ, and it has a local admin (admin) and teacher (marie). */
  const STAFF: Record<string, Record<string, unknown>> = {
    "sub-alice": {
      name: "Alice Martin",
      preferred_username: "alice",
      groups: "coursefed-teachers",
    },
    "sub-admin": { name: "Mallory", preferred_username: "admin", groups: ["coursefed-admins"] },
    "sub-marie": {
      name: "Marie Other",
      email: "marie@elsewhere.example",
      groups: "coursefed-teachers",
    },
    "sub-univ": { name: "Someone", preferred_username: "univ" },
  };
  let provider: TestOidcProvider;
  let node: TestNode;
  let accounts: AccountRepository;
  let callbackUrl: string;

  beforeAll(async () => {
    node = await startTestNode("univ", "Université", {
      oidc: async (url) => {
        callbackUrl = new URL(OIDC_CALLBACK_PATH, url).href;
        provider = await startOidcProvider({
          clients: [
            { client_id: "coursefed", client_secret: "s3cret", redirect_uris: [callbackUrl] },
          ],
          people: STAFF,
        });
        return {
          COURSEFED_OIDC_ISSUER: provider.issuer,
          COURSEFED_OIDC_CLIENT_ID: "coursefed",
          COURSEFED_OIDC_CLIENT_SECRET: "s3cret",
          COURSEFED_OIDC_SCOPES: "groups",
          COURSEFED_OIDC_ADMIN_VALUES: "coursefed-admins",
          COURSEFED_OIDC_TEACHER_VALUES: "coursefed-teachers",
          COURSEFED_OIDC_LABEL: PROVIDER_LABEL,
        };
      },
    });
    accounts = new AccountRepository(node.node.db);
    // A teacher actor made from the command line, with no web account (yet).
    await node.node.services.actors.createTeacher("marie", "Marie Curie");
  });
  afterAll(async () => {
    await node?.stop();
    await provider?.stop();
  });

  /** Signs in through the node's /login/oidc as the provider's `subject`. */
  async function signInOnNode(subject: string, language = "en") {
    const browser = new WebClient(node.url, { "accept-language": language });
    const answer = await browser.page(
      await signIn(browser, subject, { next: "/catalog", callbackUrl }),
    );
    return { browser, answer };
  }

  it("offers the provider's button on the sign-in page, and again after a wrong password", async () => {
    const browser = new WebClient(node.url);
    const login = await browser.page("/login?next=/feeds");
    const button = `<a href="/login/oidc?next=%2Ffeeds" role="button" class="sign-in-provider">${CATALOGUES.en.signInWith(PROVIDER_LABEL)}</a>`;
    expect(login.html).toContain(button);
    expect(login.html).toContain(CATALOGUES.en.signInLocally);
    const wrong = await browser.post("/login", {
      username: "admin",
      password: "x",
      next: "/feeds",
    });
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).toContain(button);
    const french = await new WebClient(node.url, { "accept-language": "fr" }).page("/login");
    expect(french.html).toContain(CATALOGUES.fr.signInWith(PROVIDER_LABEL));
  });

  it("makes an account linked to the subject on the real database, and finds it again", async () => {
    const { browser, answer } = await signInOnNode("sub-alice");
    expect(answer.status).toBe(303);
    const catalog = await browser.page("/catalog");
    expect(catalog.status).toBe(200);
    expect(catalog.html).toContain("Alice Martin");
    const alice = await accounts.byOidcSubject(provider.issuer, "sub-alice");
    expect(alice).toMatchObject({
      username: "alice",
      displayName: "Alice Martin",
      role: "teacher",
      passwordHash: NO_PASSWORD,
      disabledAt: null,
    });
    expect(await node.node.services.actors.byId(alice?.actorId ?? 0)).toMatchObject({
      type: "Person",
      handle: "alice",
    });
    await signInOnNode("sub-alice");
    expect(
      (await accounts.all()).filter((account) => account.username.startsWith("alice")),
    ).toHaveLength(1);
    // No password opens it: the sign-in form refuses the marker as any other.
    const local = await new WebClient(node.url).login("alice", NO_PASSWORD);
    expect(local.status).toBe(401);
  });

  it("never takes over an account or an actor of the same name: the new account gets another", async () => {
    await signInOnNode("sub-admin");
    const mallory = await accounts.byOidcSubject(provider.issuer, "sub-admin");
    expect(mallory).toMatchObject({ username: "admin-2", role: "admin" });
    expect((await accounts.byUsername("admin"))?.oidcSubject).toBeNull();

    await signInOnNode("sub-marie");
    const other = await accounts.byOidcSubject(provider.issuer, "sub-marie");
    expect(other).toMatchObject({
      username: "marie-2",
      displayName: "Marie Other",
      role: "teacher",
    });
    const curie = await node.node.services.actors.byHandle("marie");
    expect(other?.actorId).not.toBe(curie?.id);
    expect(await node.node.services.actors.byId(other?.actorId ?? 0)).toMatchObject({
      handle: "marie-2",
    });

    await signInOnNode("sub-univ");
    expect(await accounts.byOidcSubject(provider.issuer, "sub-univ")).toMatchObject({
      username: "univ-2",
      role: "viewer",
    });
  });

  it("refuses a disabled account with a clear message, and ends its session at once", async () => {
    const { browser } = await signInOnNode("sub-univ");
    expect((await browser.page("/catalog")).status).toBe(200);
    await disableAccount(accounts, { username: "univ-2" });
    expect((await browser.get("/catalog")).headers.get("location")).toBe("/login?next=%2Fcatalog");
    const { answer } = await signInOnNode("sub-univ", "fr");
    expect(answer.status).toBe(403);
    expect(answer.html).toContain(CATALOGUES.fr.accountDisabled);
  });
});
