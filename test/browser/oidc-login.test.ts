import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AccountRepository } from "../../packages/node/src/accounts/account-repository.ts";
import { CATALOGUES } from "../../packages/node/src/web/i18n/language.ts";
import { OIDC_CALLBACK_PATH } from "../../packages/node/src/web/pages/oidc-login.ts";
import { startOidcProvider, type TestOidcProvider } from "../support/oidc-provider.ts";
import { startTestNode, type TestNode } from "../support/test-node.ts";
import { haveChromium, launchChromium, screenshot, seriousAxeViolations } from "./chromium.ts";

const PROVIDER_LABEL = "Université SSO";

let provider: TestOidcProvider;
let node: TestNode;
let callbackUrl: string;
let browser: Browser;
let context: BrowserContext;
let page: Page;

/** A browser context that never reaches the Internet (the provider's pages import a web font). */
async function offlineContext(options: Parameters<Browser["newContext"]>[0]) {
  const created = await browser.newContext(options);
  await created.route(/^https:\/\//, (route) => route.abort());
  return created;
}

/** On the node's sign-in page: presses the provider's button from the keyboard. */
async function pressProviderButton(tab: Page, language: "en" | "fr") {
  const button = tab.getByRole("button", { name: CATALOGUES[language].signInWith(PROVIDER_LABEL) });
  await button.focus();
  await tab.keyboard.press("Enter");
  await tab.waitForURL((url) => url.origin === provider.issuer);
}

/**
 * A real node, started with the COURSEFED_OIDC_* settings, and its provider on localhost
 * while the node is on 127.0.0.1: two sites to the browser, as a real institution's
 * provider and node are. The provider's answer then reaches the node by a cross-site
 * top-level redirect, which carries the SameSite=Lax sign-in cookie.
 */
describe.runIf(haveChromium())("single sign-on in a browser", () => {
  beforeAll(async () => {
    node = await startTestNode("univ", "Université", {
      oidc: async (url) => {
        callbackUrl = new URL(OIDC_CALLBACK_PATH, url).href;
        provider = await startOidcProvider({
          clients: [
            { client_id: "coursefed", client_secret: "s3cret", redirect_uris: [callbackUrl] },
          ],
          people: {
            alice: {
              name: "Alice Martin",
              preferred_username: "alice",
              groups: "coursefed-teachers",
            },
          },
          host: "localhost",
        });
        return {
          COURSEFED_OIDC_ISSUER: provider.issuer,
          COURSEFED_OIDC_CLIENT_ID: "coursefed",
          COURSEFED_OIDC_CLIENT_SECRET: "s3cret",
          COURSEFED_OIDC_SCOPES: "groups",
          COURSEFED_OIDC_TEACHER_VALUES: "coursefed-teachers",
          COURSEFED_OIDC_LABEL: PROVIDER_LABEL,
        };
      },
    });
    browser = await launchChromium();
    context = await offlineContext({ locale: "en-GB" });
    page = await context.newPage();
  });

  afterAll(async () => {
    await browser?.close();
    await node?.stop();
    await provider?.stop();
  });

  it("starts from the node's sign-in page, signs in at the provider with the keyboard and comes back signed in", async () => {
    await page.goto(new URL("/login?next=/feeds", node.url).href);
    await pressProviderButton(page, "en");
    // Typing before the provider's page has focused its login field would lose letters.
    await page.waitForSelector('input[name="login"]:focus');
    await page.keyboard.type("alice");
    await page.keyboard.press("Tab");
    await page.keyboard.type("any password");
    await page.keyboard.press("Enter");
    // Its consent page focuses "Continue".
    await page.waitForSelector('input[name="prompt"][value="consent"]', { state: "attached" });
    await page.keyboard.press("Enter");
    await page.waitForURL(new URL("/feeds", node.url).href);
    expect(await page.textContent(".account")).toContain("Alice Martin");
    const cookies = await context.cookies(node.url.href);
    expect(cookies.find((cookie) => cookie.name === "coursefed_session")).toMatchObject({
      httpOnly: true,
      sameSite: "Lax",
    });
    expect(cookies.find((cookie) => cookie.name === "coursefed_oidc")).toBeUndefined();
    const account = await new AccountRepository(node.node.db).byOidcSubject(
      provider.issuer,
      "alice",
    );
    expect(account).toMatchObject({ username: "alice", role: "teacher" });
  });

  it("shows why when the sign-in is cancelled at the provider", async () => {
    const french = await offlineContext({ locale: "fr-FR", bypassCSP: true });
    const tab = await french.newPage();
    try {
      await tab.goto(new URL("/login", node.url).href);
      expect(await tab.textContent("main")).toContain(CATALOGUES.fr.signInLocally);
      await screenshot(tab, "login-oidc-fr");
      expect(await seriousAxeViolations(tab)).toEqual([]);
      await pressProviderButton(tab, "fr");
      await tab.getByText("[ Cancel ]").click();
      await tab.waitForURL((url) => url.href.startsWith(callbackUrl));
      expect(await tab.textContent("h1")).toBe(CATALOGUES.fr.oidcFailedTitle);
      expect(await tab.textContent("main")).toContain(CATALOGUES.fr.oidcRefused(PROVIDER_LABEL));
      await screenshot(tab, "oidc-refused-fr");
      expect(await seriousAxeViolations(tab)).toEqual([]);
    } finally {
      await french.close();
    }
  });
});
