import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CATALOGUES } from "../../packages/node/src/web/i18n/language.ts";
import { signInAtProvider } from "../support/oidc-provider.ts";
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
  options: { abort?: boolean; next?: string } = {},
) {
  const start = await browser.get(
    `/login/oidc?next=${encodeURIComponent(options.next ?? "/restores")}`,
  );
  expect(start.status).toBe(303);
  const callback = await signInAtProvider(
    new URL(start.headers.get("location") ?? ""),
    login,
    site.callbackUrl,
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

  it("maps the role again at every sign-in, on the same account", async () => {
    const browser = new WebClient(nodeUrl);
    await browser.get(await signIn(browser, "bob"));
    const first = await signedInAccount(browser);
    expect(first?.role).toBe("teacher");
    PEOPLE.bob = { ...PEOPLE.bob, groups: [] };
    const again = new WebClient(nodeUrl);
    await again.get(await signIn(again, "bob"));
    expect(await signedInAccount(again)).toMatchObject({ id: first?.id, role: "viewer" });
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
    site.accounts.refusal = "The username carol is taken by a local account.";
    try {
      const browser = new WebClient(nodeUrl);
      const refused = await browser.page(await signIn(browser, "carol"));
      expect(refused.status).toBe(403);
      expect(refused.html).toContain("The username carol is taken by a local account.");
    } finally {
      site.accounts.refusal = undefined;
    }
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
