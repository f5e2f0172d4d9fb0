import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { publishCourse } from "../../packages/node/src/courses/publish-service.ts";
import { domainServices } from "../../packages/node/src/federation/domain-services.ts";
import { answerFollow } from "../../packages/node/src/follows/follow-service.ts";
import { eventually } from "../support/eventually.ts";
import { contextOf, institutionOf } from "../support/federation-steps.ts";
import { fixture, haveFixtures } from "../support/shared-fixtures.ts";
import { freePort, startTestNode, type TestNode } from "../support/test-node.ts";
import { webFingerOverHttp } from "../web/loopback-webfinger.ts";
import { addProbedTargets } from "../web/probed-targets.ts";
import { haveChromium, launchChromium, screenshot, seriousAxeViolations } from "./chromium.ts";

let publisher: TestNode;
let follower: TestNode;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let restoreFetch: () => void;
let objectUri: string;

/** Presses Tab until the focused element's text contains `text`; fails after `limit` presses. */
async function tabTo(text: string, limit = 40): Promise<void> {
  for (let i = 0; i < limit; i++) {
    await page.keyboard.press("Tab");
    const focused = (await page.evaluate("document.activeElement?.textContent ?? ''")) as string;
    if (focused.includes(text)) return;
  }
  throw new Error(`Tab never reached "${text}"`);
}

async function expectAccessible(): Promise<void> {
  expect(await seriousAxeViolations(page), page.url()).toEqual([]);
}

/**
 * The restores page while a job runs: axe flags any <meta http-equiv="refresh"> (WCAG
 * 2.2.1) whatever the page offers, and this one offers to stop it, which 2.2.1 accepts.
 * So: the control is there, everything else passes, and without the refresh all passes.
 */
async function expectAccessibleWhileRefreshing(): Promise<void> {
  const stop = page.locator('.refresh-notice a[href="/restores?refresh=off"]');
  expect(await stop.count()).toBe(1);
  expect(await seriousAxeViolations(page, ["meta-refresh"]), page.url()).toEqual([]);
  await stop.click();
  await page.waitForURL(/refresh=off/);
  expect(await page.locator('meta[http-equiv="refresh"]').count()).toBe(0);
  await expectAccessible();
}

describe.runIf(haveChromium() && haveFixtures())(
  "the web interface in a browser, two nodes on loopback",
  () => {
    beforeAll(async () => {
      [publisher, follower] = await Promise.all([
        startTestNode("univ", "Université Exemple"),
        startTestNode("school", "Lycée Exemple"),
      ]);
      restoreFetch = webFingerOverHttp([publisher.url.host]);
      const published = await publishCourse(
        domainServices(contextOf(publisher)),
        publisher.node.institution,
        fixture("m26dev-zip-course-glossary-nousers.mbz"),
        {
          title: "Chimie organique : un glossaire",
          summary: "Les termes de la chimie organique, avec des exemples et des exercices.",
          tags: ["chimie", "lycée"],
          license: "CC-BY-SA-4.0",
        },
      );
      objectUri = new URL(`/courses/${published.course.id}`, publisher.url).href;
      // A Moodle site that is not there: the restore job waits and says why.
      await follower.node.services.moodleTargets.add({
        name: "moodle-lycee",
        driver: "ws",
        url: `http://127.0.0.1:${await freePort()}`,
        token: "t",
        timeoutMs: 5000,
      });
      await addProbedTargets(follower);
      browser = await launchChromium();
      context = await browser.newContext({
        bypassCSP: true,
        viewport: { width: 1280, height: 900 },
        locale: "en-GB",
      });
      page = await context.newPage();
    });
    afterAll(async () => {
      await browser?.close();
      restoreFetch?.();
      await Promise.all([publisher, follower].map((peer) => peer?.stop()));
    });

    it("signs in with the keyboard", async () => {
      await page.goto(new URL("/catalog", follower.url).href);
      expect(new URL(page.url()).pathname).toBe("/login");
      await screenshot(page, "login");
      await expectAccessible();
      // The username field has the focus on arrival.
      await page.keyboard.type("admin");
      await page.keyboard.press("Tab");
      await page.keyboard.type(follower.node.initialAdminPassword as string);
      await page.keyboard.press("Enter");
      await page.waitForURL(/\/catalog$/);
      expect(await page.textContent("h1")).toBe("Catalog");
      await screenshot(page, "catalog-empty");
      await expectAccessible();
    });

    it("follows the other node by its handle from the feeds page", async () => {
      await page.goto(new URL("/feeds", follower.url).href);
      await page.getByLabel("Handle or address").focus();
      await page.keyboard.type(`@univ@${publisher.url.host}`);
      await page.keyboard.press("Enter");
      await page.waitForURL(/notice=followed/);
      await expect.poll(() => page.textContent(".people")).toContain("waiting for approval");
      await eventually(() =>
        publisher.node.services.follows.follower(
          publisher.node.institution.id,
          institutionOf(follower),
        ),
      );
      await answerFollow(
        domainServices(contextOf(publisher)),
        publisher.node.institution,
        institutionOf(follower),
        "accepted",
      );
      await eventually(() => follower.node.services.catalog.catalogEntry(objectUri));
      await page.reload();
      expect(await page.textContent(".people")).toContain("accepted");
      await screenshot(page, "feeds");
      await expectAccessible();
    });

    it("finds the received course by searching, and opens it with the keyboard", async () => {
      await page.goto(new URL("/catalog", follower.url).href);
      await page.getByLabel("Search courses").focus();
      await page.keyboard.type("glossaire");
      await page.keyboard.press("Enter");
      await page.waitForURL(/q=glossaire/);
      expect(await page.textContent(".result-count")).toBe("1 course");
      await screenshot(page, "catalog");
      await expectAccessible();
      await tabTo("Chimie organique");
      await page.keyboard.press("Enter");
      await page.waitForURL(/\/catalog\/course\?object=/);
      expect(await page.textContent("h1")).toBe("Chimie organique : un glossaire");
      expect(await page.textContent(".compat-ok")).toContain("moodle-45");
      expect(await page.textContent(".compat-problem")).toMatch(
        /The backup \(\d+ KiB\) is larger than the 1000 B the site accepts/,
      );
      await screenshot(page, "course");
      await expectAccessible();
    });

    it("asks for a restore, and sees the job wait with its reason", async () => {
      await page.locator("#restore-target").selectOption("moodle-lycee");
      await page.getByLabel("Category id").fill("3");
      await tabTo("Restore", 10);
      await page.keyboard.press("Enter");
      await page.waitForURL(/\/restores/);
      expect(await page.textContent(".job .badge")).toMatch(/^(queued|running)$/);
      // The page reloads itself while the job waits; the reason shows up on a reload.
      await expect
        .poll(
          async () => {
            await page.reload();
            return await page.textContent(".job");
          },
          {
            timeout: 20_000,
          },
        )
        .toContain("Will be tried again");
      expect(await page.getAttribute('meta[http-equiv="refresh"]', "content")).toBe(
        "5; url=/restores",
      );
      await screenshot(page, "restores");
      await expectAccessibleWhileRefreshing();
    });

    it("shows every page in French after the switch, accessible too", async () => {
      await page.goto(new URL("/catalog", follower.url).href);
      await page.getByRole("link", { name: "Français" }).click();
      await page.waitForURL(/\/catalog$/);
      expect(await page.getAttribute("html", "lang")).toBe("fr");
      expect(await page.textContent("h1")).toBe("Catalogue");
      await screenshot(page, "catalog-fr");
      await expectAccessible();
      await page.goto(
        new URL(`/catalog/course?object=${encodeURIComponent(objectUri)}`, follower.url).href,
      );
      expect(await page.textContent("#revisions")).toBe("Révisions");
      await screenshot(page, "course-fr");
      await expectAccessible();
      await page.goto(new URL("/feeds", follower.url).href);
      await screenshot(page, "feeds-fr");
      await expectAccessible();
      await page.goto(new URL("/restores", follower.url).href);
      await screenshot(page, "restores-fr");
      await expectAccessibleWhileRefreshing();
    });
  },
);
