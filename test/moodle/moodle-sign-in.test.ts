/**
 * Signing in to Moodle in a browser, as every Moodle browser suite does (signInToMoodle),
 * when the login page's scripts are slow, as on a busy machine: the user's name and
 * password are typed only once the page's scripts are done, so the field the password went
 * into is the one the form posts and no request of the page still carries the session from
 * before the sign-in. Typed at the load event, up to four sign-ins in ten came back signed
 * out with the browser slowed (docs/moodle.md, "Tests and figures").
 */
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { haveChromium, launchChromium } from "../browser/chromium.ts";
import { describeOnEachMoodle, siteScript } from "../support/moodle-site.ts";
import { newUserPhp, signInToMoodle } from "./moodle-browser-steps.ts";
import { moodlePhp } from "./picker-fixtures.ts";

const PASSWORD = "SignIn#2026";
/** How late the page's calls to Moodle answer: far longer than typing a name and a password takes. */
const LATE_MS = 500;

/** What the page saw when the password was typed. */
interface Typing {
  /** Moodle's count of the page's scripts still at work (M.util.pending_js). */
  readonly pending: number;
  /** Whether the field was already the one Moodle rebuilds with its show/hide button. */
  readonly rebuilt: boolean;
  /**
   * Whether the page's script bundle had failed to load: another suite purged the site's
   * caches just before (see MOODLE_SCRIPTS_SETTLED in moodle-browser-steps.ts), and none of
   * the page's scripts ran, so this sign-in says nothing of waiting for them.
   */
  readonly bundleFailed: boolean;
}

/** Sign-ins tried until one loads its scripts: a purge by another suite spoils only one. */
const ATTEMPTS = 3;

describeOnEachMoodle(
  "signing in to Moodle in a browser",
  (site) => {
    const username = `signin-${Date.now()}${Math.floor(Math.random() * 1000)}`;
    let browser: Browser;

    beforeAll(async () => {
      await siteScript(site, "serve");
      await moodlePhp(
        site.moodleDir,
        `${newUserPhp(PASSWORD)} echo $newuser(${JSON.stringify(username)}, 'Sign', 'In');`,
      );
      browser = await launchChromium();
      // The first page after another suite purged the site's caches runs none of its scripts
      // (see MOODLE_SCRIPTS_SETTLED in moodle-browser-steps.ts): this one, not the test's.
      const warmUp = await browser.newContext();
      await (await warmUp.newPage()).goto(new URL("/login/index.php", site.wwwroot).href);
      await warmUp.close();
    }, 60_000);
    afterAll(async () => {
      await browser?.close();
    });

    it("types the password once the login page's scripts are done, and signs in at the first try", async () => {
      for (let attempt = 1; ; attempt++) {
        // A new context, as each suite's: no template or string cached in the browser yet.
        const context = await browser.newContext({ locale: "en-GB" });
        const typings: Typing[] = [];
        await context.exposeBinding("reportTyping", (_source, typing: Typing) => {
          typings.push(typing);
        });
        // A string: it runs in the page (this file's types have no DOM).
        await context.addInitScript(`addEventListener("input", (event) => {
          if (event.target.id !== "password") return;
          reportTyping({
            pending: typeof M === "object" && M.util ? M.util.pending_js.length : 0,
            rebuilt: event.target.closest(".toggle-sensitive-wrapper") !== null,
            bundleFailed: typeof requirejs === "function" && !!requirejs.s.contexts._.registry["core/first"]?.error,
          });
        }, true);`);
        const page = await context.newPage();
        // The page's own calls (the password field's template, videojs' language strings)
        // answer late, all of them after the page's load event.
        await page.route(/\/lib\/ajax\/service(-nologin)?\.php/, async (route) => {
          await new Promise((resolve) => setTimeout(resolve, LATE_MS));
          await route.continue().catch(() => {
            // The page moved on before its call was answered.
          });
        });
        const posted: string[] = [];
        page.on("request", (request) => {
          if (
            request.method() === "POST" &&
            new URL(request.url()).pathname === "/login/index.php"
          ) {
            posted.push(new URLSearchParams(request.postData() ?? "").get("password") ?? "");
          }
        });
        try {
          await signInToMoodle(page, site, username, PASSWORD);
          if (typings.some(({ bundleFailed }) => bundleFailed) && attempt < ATTEMPTS) continue;
          expect(typings).toEqual([{ pending: 0, rebuilt: true, bundleFailed: false }]);
          expect(posted).toEqual([PASSWORD]);
          await page.unrouteAll({ behavior: "ignoreErrors" });
          // Still signed in on the next page: no session of the page's replaced this one.
          await page.goto(new URL("/user/profile.php", site.wwwroot).href);
          expect(new URL(page.url()).pathname).toBe("/user/profile.php");
          expect(await page.locator("#region-main").innerText()).toContain(
            `${username}@example.invalid`,
          );
          return;
        } finally {
          await context.close();
        }
      }
    }, 120_000);

    it("says what Moodle answered when it refuses the sign-in", async () => {
      const context = await browser.newContext({ locale: "en-GB" });
      try {
        const page = await context.newPage();
        const refused = await signInToMoodle(page, site, username, "not the password").then(
          () => undefined,
          (error: unknown) => error as Error,
        );
        expect(refused?.message).toContain(`${username} could not sign in to Moodle`);
        expect(refused?.message).toContain("loginredirect=1");
        expect(refused?.message).toContain("Invalid login");
      } finally {
        await context.close();
      }
    }, 60_000);
  },
  { when: haveChromium() },
);
