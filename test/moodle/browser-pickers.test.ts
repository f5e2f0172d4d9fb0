/**
 * Picking by name on the node's web pages, in Chromium, against a real Moodle (each of
 * 4.5.6 and 5.1.3) as a cli target: the course page's restore form offers the site's
 * categories by path with their ids, the course search finds the site's courses by words
 * of their names, and a restore into the category picked, under the names typed, makes
 * the course Moodle stores with those names in that category. Screenshots of the form
 * go to test/artifacts (moodle-restore-picker-<lang>-<release>.png).
 */
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { publishCourse } from "../../packages/node/src/courses/publish-service.ts";
import { domainServices } from "../../packages/node/src/federation/domain-services.ts";
import {
  haveChromium,
  launchChromium,
  screenshot,
  seriousAxeViolations,
} from "../browser/chromium.ts";
import { eventually } from "../support/eventually.ts";
import { contextOf, followAndApprove } from "../support/federation-steps.ts";
import { describeOnEachMoodle } from "../support/moodle-site.ts";
import { fixture, haveFixtures } from "../support/shared-fixtures.ts";
import { startTestNode, type TestNode } from "../support/test-node.ts";
import { queryMoodle } from "./moodle-database.ts";
import { makePickerFixtures, type PickerFixtures } from "./picker-fixtures.ts";

const TARGET = "campus";

describeOnEachMoodle(
  "picking a Moodle category and course by name on the node's pages, in a browser",
  (live) => {
    let publisher: TestNode;
    let restorer: TestNode;
    let browser: Browser;
    let page: Page;
    let made: PickerFixtures;
    let coursePage: string;

    async function signIn(language: string): Promise<Page> {
      const context = await browser.newContext({
        viewport: { width: 1280, height: 900 },
        locale: language,
        // axe-core is a script, which the pages forbid.
        bypassCSP: true,
      });
      const signedIn = await context.newPage();
      await signedIn.goto(new URL("/login", restorer.url).href);
      await signedIn.locator('input[name="username"]').fill("admin");
      await signedIn
        .locator('input[name="password"]')
        .fill(restorer.node.initialAdminPassword as string);
      await signedIn.locator('input[name="password"]').press("Enter");
      await signedIn.waitForURL(/\/catalog$/);
      return signedIn;
    }

    beforeAll(async () => {
      [publisher, restorer] = await Promise.all([
        startTestNode("univ", "Université Exemple"),
        startTestNode("school", "Lycée Exemple"),
      ]);
      made = await makePickerFixtures(live.moodleDir);
      await restorer.node.services.moodleTargets.add({
        name: TARGET,
        driver: "cli",
        url: live.wwwroot,
        moodleDir: live.moodleDir,
      });
      await followAndApprove(restorer, publisher);
      const published = await publishCourse(
        domainServices(contextOf(publisher)),
        publisher.node.institution,
        fixture("m26dev-zip-course-glossary-nousers.mbz"),
        { title: "Glossaire de chimie" },
      );
      const object = new URL(`/courses/${published.course.id}`, publisher.url).href;
      await eventually(() => restorer.node.services.catalog.catalogEntry(object));
      coursePage = new URL(`/catalog/course?object=${encodeURIComponent(object)}`, restorer.url)
        .href;
      browser = await launchChromium();
      page = await signIn("en-GB");
    }, 120_000);
    afterAll(async () => {
      await browser?.close();
      await Promise.all([publisher, restorer].map((peer) => peer?.stop()));
    });

    it("offers the site's categories by path with their ids, and finds its courses by name", async () => {
      await page.goto(coursePage);
      const picker = page.locator("#restore-category-picked");
      const chimie = `Sciences ${made.stamp} / Chimie (id ${made.chimieId})`;
      expect(await picker.locator("option", { hasText: chimie }).count()).toBe(1);
      expect(
        await picker
          .locator("option", { hasText: `Sciences ${made.stamp} / Archives` })
          .textContent(),
      ).toBe(`Sciences ${made.stamp} / Archives (id ${made.archivesId}), hidden`);
      await page.locator("#course-search-words").fill(`chimie ${made.stamp}`);
      await page.getByRole("button", { name: "Search", exact: true }).click();
      await page.waitForURL(/courseSearch=/);
      expect(await page.locator(".course-search [role=status]").textContent()).toBe(
        `2 courses of ${TARGET} found: choose one below.`,
      );
      const found = page.locator("#restore-course-picked option");
      expect(await found.allTextContents()).toEqual([
        `Chimie minérale ${made.stamp} [CHMIN${made.stamp}] in Sciences ${made.stamp} / Chimie (id ${made.courseIds[1]})`,
        `Chimie organique ${made.stamp} [CHORG${made.stamp}] in Sciences ${made.stamp} / Chimie (id ${made.courseIds[0]})`,
      ]);
      expect(await seriousAxeViolations(page)).toEqual([]);
    }, 60_000);

    it("restores into the category picked, under the names typed", async () => {
      await page.goto(coursePage);
      await page.locator('input[name="destination"][value="new-course"]').check();
      await page.locator("#restore-category-picked").selectOption(`${TARGET}:${made.chimieId}`);
      await page.locator("#restore-full-name").fill(`Glossaire ${made.stamp}`);
      await page.locator("#restore-short-name").fill(`GLOS${made.stamp}`);
      await page.locator("#restore").scrollIntoViewIfNeeded();
      await screenshot(page, `moodle-restore-picker-en-${live.tag}`);
      await page.getByRole("button", { name: "Restore", exact: true }).click();
      await page.waitForURL(/\/restores#job-/);
      const job = page.locator(".job", { hasText: "Glossaire de chimie" });
      await expect
        .poll(() => job.locator(".badge").textContent(), { timeout: 90_000, interval: 1_000 })
        .toMatch(/^(restored|failed|refused)$/);
      expect(await job.locator(".badge").textContent(), await job.innerText()).toBe("restored");
      const [[fullname, shortname, category] = []] = await queryMoodle(
        live,
        `SELECT fullname, shortname, category FROM mdl_course WHERE shortname = 'GLOS${made.stamp}'`,
      );
      expect([fullname, shortname, Number(category)]).toEqual([
        `Glossaire ${made.stamp}`,
        `GLOS${made.stamp}`,
        made.chimieId,
      ]);
    }, 120_000);

    it("speaks French", async () => {
      const french = await signIn("fr-FR");
      await french.goto(coursePage);
      expect(
        await french
          .locator("#restore-category-picked option", {
            hasText: `Sciences ${made.stamp} / Chimie`,
          })
          .textContent(),
      ).toBe(`Sciences ${made.stamp} / Chimie (n°\u00a0${made.chimieId})`);
      // The courses found, offered to restore into.
      await french.locator("#course-search-words").fill(`chimie ${made.stamp}`);
      await french.getByRole("button", { name: "Chercher", exact: true }).click();
      await french.waitForURL(/courseSearch=/);
      expect(await french.locator(".course-search [role=status]").textContent()).toBe(
        `2 cours de ${TARGET} trouvés\u00a0: choisissez-en un ci-dessous.`,
      );
      expect(
        await french.locator('input[name="destination"][value="existing-course"]').isChecked(),
      ).toBe(true);
      await screenshot(french, `moodle-restore-picker-fr-${live.tag}`);
    }, 60_000);
  },
  { when: haveFixtures() && haveChromium() },
);
