/**
 * The whole path a teacher's course takes, in Chromium, ending in a real Moodle (each of
 * 4.5.6 and 5.1.3):
 * two nodes on loopback; on the restorer (B) the admin adds the test site as a cli target
 * in the console and probes it, follows the publisher's (A's) institution from the Feeds
 * page; A's admin approves in the console and publishes a real backup through the
 * publish page; on B the course shows in the catalog, is found by a word of its title,
 * the site is restorable on its page, the restore goes into a category made for this
 * run, the restores page reloads itself until the job is restored, and its link opens
 * the course on the Moodle site (after signing in there as Moodle's admin).
 *
 * Every step goes through the pages; only the fixture set-up (nodes, the Moodle category,
 * starting Moodle's web server) and the checks against Moodle's database go around them.
 */
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import {
  haveChromium,
  launchChromium,
  screenshot,
  seriousAxeViolations,
} from "../browser/chromium.ts";
import { eventually } from "../support/eventually.ts";
import { institutionOf } from "../support/federation-steps.ts";
import { describeOnEachMoodle, siteScript } from "../support/moodle-site.ts";
import { fixture, haveFixtures } from "../support/shared-fixtures.ts";
import { startTestNode, type TestNode } from "../support/test-node.ts";
import { webFingerOverHttp } from "../web/loopback-webfinger.ts";
import { submitMoodleLogin } from "./moodle-browser-steps.ts";
import { courseModules, createCategory, queryMoodle } from "./moodle-database.ts";

/** A small course backup without users that Moodle 4.5 and 5.1 restore: one glossary, from 2.6. */
const BACKUP = "m26dev-zip-course-glossary-nousers.mbz";
const TITLE = "Glossaire de chimie organique";
const TARGET = "campus-moodle";
/** The admin moodle-test-site.sh installs (MOODLE_ADMIN_PASS changes its password). */
const MOODLE_ADMIN = { username: "admin", password: process.env.MOODLE_ADMIN_PASS ?? "Admin#1234" };

describeOnEachMoodle(
  "follow, approve, publish, find and restore into a real Moodle, in a browser",
  (live) => {
    let publisher: TestNode;
    let restorer: TestNode;
    let browser: Browser;
    /** One browser context per node: both are on 127.0.0.1, and cookies ignore the port. */
    let onPublisher: BrowserContext;
    let onRestorer: BrowserContext;
    let a: Page;
    let b: Page;
    let restoreFetch: () => void;
    let category: number;
    let objectUri: string;
    let moodleCourseId: number;
    let courseUrl: string;

    async function signIn(page: Page, node: TestNode): Promise<void> {
      await page.goto(new URL("/login", node.url).href);
      await page.getByLabel("Username").fill("admin");
      await page.getByLabel("Password").fill(node.node.initialAdminPassword as string);
      await page.getByLabel("Password").press("Enter");
      await page.waitForURL(/\/catalog$/);
    }

    async function expectAccessible(page: Page): Promise<void> {
      expect(await seriousAxeViolations(page), page.url()).toEqual([]);
    }

    beforeAll(async () => {
      const started = performance.now();
      [publisher, restorer] = await Promise.all([
        startTestNode("univ", "Université Exemple"),
        startTestNode("school", "Lycée Exemple"),
      ]);
      restoreFetch = webFingerOverHttp([publisher.url.host]);
      // The course link is followed in the browser: Moodle's web server must answer.
      // moodle-test-site.sh serve is idempotent and leaves the server running, as the ws
      // driver's tests do (its pid file is in the site's moodledata).
      await siteScript(live, "serve");
      category = await createCategory(live, `browser restores ${Date.now()}`);
      browser = await launchChromium();
      // bypassCSP: axe-core is a script, which the pages forbid.
      const options = { viewport: { width: 1280, height: 900 }, locale: "en-GB", bypassCSP: true };
      onPublisher = await browser.newContext(options);
      onRestorer = await browser.newContext(options);
      a = await onPublisher.newPage();
      b = await onRestorer.newPage();
      await Promise.all([signIn(a, publisher), signIn(b, restorer)]);
      console.info(`Set-up: ${((performance.now() - started) / 1000).toFixed(1)} s`);
    }, 120_000);
    afterAll(async () => {
      await browser?.close();
      restoreFetch?.();
      await Promise.all([publisher, restorer].map((peer) => peer?.stop()));
    });

    it("adds the Moodle test site as a cli target in B's console and probes it", async () => {
      await b.goto(new URL("/admin/targets", restorer.url).href);
      const form = b.locator("form.admin-form");
      // By name: each label also holds its help text.
      await form.locator('input[name="name"]').fill(TARGET);
      await form.locator('input[name="url"]').fill(live.wwwroot);
      await form.locator('select[name="driver"]').selectOption("cli");
      await form.locator('input[name="moodleDir"]').fill(live.moodleDir);
      await form.locator('input[name="php"]').fill("php");
      // "Run PHP as user" stays empty: the test site's files belong to root, who runs the tests.
      await form.getByRole("button", { name: "Add a Moodle site" }).click();
      await b.waitForURL(/notice=added/);
      await b.getByRole("button", { name: `Probe ${TARGET}` }).click();
      expect(await b.textContent(".probe-result h2")).toContain(`What ${TARGET} runs`);
      expect(await b.textContent(".probe-result")).toContain(live.version);
      expect(await b.textContent("tbody")).toContain(live.version);
    }, 90_000);

    it("follows A's institution from B's Feeds page", async () => {
      await b.goto(new URL("/feeds", restorer.url).href);
      await b.getByLabel("Handle or address").fill(`@univ@${publisher.url.host}`);
      await b.getByRole("button", { name: "Follow", exact: true }).click();
      await b.waitForURL(/notice=followed/);
      expect(await b.textContent(".people")).toContain("waiting for approval");
    });

    it("approves the follow in A's console", async () => {
      await eventually(() =>
        publisher.node.services.follows.follower(
          publisher.node.institution.id,
          institutionOf(restorer),
        ),
      );
      await a.goto(new URL("/admin/follow-requests", publisher.url).href);
      expect(await a.textContent(".requests")).toContain("Lycée Exemple");
      await a.getByRole("button", { name: "Accept Lycée Exemple" }).click();
      await a.waitForURL(/notice=accept/);
      expect(await a.textContent("[role=status]")).toContain("Accepted");
      await expect
        .poll(
          async () => {
            await b.reload();
            return await b.textContent(".people");
          },
          { timeout: 15_000 },
        )
        .toContain("accepted");
    });

    it("publishes a real backup through A's publish page", async () => {
      await a.goto(new URL("/publish", publisher.url).href);
      await a.setInputFiles("#upload-file", fixture(BACKUP));
      await a.getByRole("button", { name: "Upload and check" }).click();
      await a.waitForURL(/\/publish\/review\//);
      expect(await a.textContent(".verdict")).toContain("No personal data");
      await a.getByLabel("Title").fill(TITLE);
      await a.getByLabel("Summary").fill("Les termes du cours, avec des exemples.");
      await a.getByLabel("Tags").fill("chimie, glossaire");
      await a.getByRole("button", { name: "Publish", exact: true }).click();
      await a.waitForURL(/\/my-courses\?notice=published/);
      expect(await a.textContent("main")).toContain(TITLE);
      const course = (await publisher.node.services.courses.publishedCourses()).find(
        (c) => c.title === TITLE,
      );
      objectUri = new URL(`/courses/${course?.id}`, publisher.url).href;
    });

    it("shows the course in B's catalog, finds it by a word of its title, the site restorable", async () => {
      await eventually(() => restorer.node.services.catalog.catalogEntry(objectUri));
      await b.goto(new URL("/catalog", restorer.url).href);
      expect(await b.textContent(".course-grid")).toContain(TITLE);
      await b.getByLabel("Search courses").fill("organique");
      await b.getByLabel("Search courses").press("Enter");
      await b.waitForURL(/q=organique/);
      expect(await b.textContent(".result-count")).toBe("1 course");
      await screenshot(b, `moodle-restore-catalog-${live.tag}`);
      await expectAccessible(b);
      await b.getByRole("link", { name: TITLE }).click();
      await b.waitForURL(/\/catalog\/course\?object=/);
      expect(await b.textContent("h1")).toBe(TITLE);
      const compatible = b.locator(".compat-list > li", { hasText: TARGET });
      expect(await compatible.getAttribute("class")).toContain("compat-ok");
      expect(await compatible.locator(".badge").textContent()).toContain("restorable");
      // Green: the badge's text colour has more green than red or blue.
      const colour = await compatible
        .locator(".badge")
        .evaluate(
          (badge) =>
            (
              globalThis as unknown as { getComputedStyle(element: unknown): { color: string } }
            ).getComputedStyle(badge).color,
        );
      const [red, green, blue] = (colour.match(/\d+(\.\d+)?/g) ?? []).map(Number);
      expect(green, colour).toBeGreaterThan(Math.max(red ?? 0, blue ?? 0));
      await screenshot(b, `moodle-restore-course-${live.tag}`);
      await expectAccessible(b);
    });

    it("restores into a category; the restores page reloads itself until the job is restored", async () => {
      await b.locator("#restore-target").selectOption(TARGET);
      await b.getByLabel("Category id").fill(String(category));
      await b.getByRole("button", { name: "Restore", exact: true }).click();
      await b.waitForURL(/\/restores#job-/);
      const job = b.locator(".job", { hasText: TITLE });
      expect(await job.textContent()).toContain(`new course in category ${category}`);
      // The form lands on /restores#job-ID; the page's refresh names /restores, since a
      // refresh to an address with a #fragment is taken as a jump and never reloads.
      expect(await b.locator('meta[http-equiv="refresh"]').getAttribute("content")).toBe(
        "5; url=/restores",
      );
      // No reload from here: the page's own refresh (every 5 s while a job runs) brings it.
      await expect
        .poll(() => job.locator(".badge").textContent(), { timeout: 90_000, interval: 1_000 })
        .toMatch(/^(restored|failed|refused)$/);
      // A failed job shows Moodle's reason and log in its card.
      expect(await job.locator(".badge").textContent(), await job.innerText()).toBe("restored");
      expect(await b.locator('meta[http-equiv="refresh"]').count()).toBe(0);
      // A link drawn as a button (role="button").
      const link = job.getByRole("button", { name: /^Open Moodle course \d+$/ });
      courseUrl = (await link.getAttribute("href")) as string;
      const shape = new RegExp(
        `^${live.wwwroot.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}/course/view\\.php\\?id=(\\d+)$`,
      );
      expect(courseUrl).toMatch(shape);
      moodleCourseId = Number(shape.exec(courseUrl)?.[1]);
      expect(await link.textContent()).toBe(`Open Moodle course ${moodleCourseId}`);
      await screenshot(b, `moodle-restore-restores-${live.tag}`);
      await expectAccessible(b);
    }, 120_000);

    it("the job's link opens the restored course on the Moodle site", async () => {
      // What Moodle stored: the course, in the chosen category, with the backup's glossary.
      const [[fullname, courseCategory] = []] = await queryMoodle(
        live,
        `SELECT fullname, category FROM mdl_course WHERE id = ${moodleCourseId}`,
      );
      expect(Number(courseCategory)).toBe(category);
      // Named after the catalog title, not the backup's own name ("copy N": the site is kept between runs).
      expect(fullname).toMatch(new RegExp(`^${TITLE}( copy \\d+)?$`));
      expect(await courseModules(live, moodleCourseId)).toEqual({ glossary: 1 });
      const [[glossary] = []] = await queryMoodle(
        live,
        `SELECT name FROM mdl_glossary WHERE course = ${moodleCourseId}`,
      );
      // The page: Moodle asks for a sign-in first (the course has no guest access), then
      // sends the browser on to the course.
      const courseStatuses: number[] = [];
      b.on("response", (response) => {
        if (response.url() === courseUrl) courseStatuses.push(response.status());
      });
      await b
        .locator(".job", { hasText: TITLE })
        .getByRole("button", { name: `Open Moodle course ${moodleCourseId}` })
        .click();
      await b.waitForURL(/\/login\/index\.php/);
      await submitMoodleLogin(b, MOODLE_ADMIN.username, MOODLE_ADMIN.password);
      expect(b.url()).toBe(courseUrl);
      expect(courseStatuses.at(-1)).toBe(200);
      expect(await b.title()).toContain(fullname as string);
      expect(await b.textContent("h1")).toContain(fullname as string);
      expect(await b.textContent("#region-main")).toContain(glossary as string);
      // The course index on the left is drawn by Moodle's script after the page loads.
      await b
        .locator("#courseindex")
        .getByText(glossary as string)
        .waitFor();
      await screenshot(b, `moodle-restore-moodle-course-${live.tag}`);
    }, 60_000);
  },
  { when: haveFixtures() && haveChromium() },
);
