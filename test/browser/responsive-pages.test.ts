import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AccountRepository } from "../../packages/node/src/accounts/account-repository.ts";
import { createAccount } from "../../packages/node/src/accounts/account-service.ts";
import { publishCourse } from "../../packages/node/src/courses/publish-service.ts";
import { domainServices } from "../../packages/node/src/federation/domain-services.ts";
import { eventually } from "../support/eventually.ts";
import { contextOf, followAndApprove } from "../support/federation-steps.ts";
import { fixture, haveFixtures, repositoryRoot } from "../support/shared-fixtures.ts";
import { freePort, startTestNode, type TestNode } from "../support/test-node.ts";
import { addProbedTargets } from "../web/probed-targets.ts";
import {
  artifactDirectory,
  haveChromium,
  launchChromium,
  seriousAxeViolations,
} from "./chromium.ts";

/** A phone, a tablet held upright, a laptop: each page must fit every one of them. */
const WIDTHS = [
  { width: 390, height: 844 },
  { width: 768, height: 1024 },
  { width: 1280, height: 800 },
] as const;
const LANGUAGES = [
  { code: "en", locale: "en-GB" },
  { code: "fr", locale: "fr-FR" },
] as const;
/**
 * Where the screenshots go: test/artifacts by default, so a run leaves the repository
 * as it was; COURSEFED_SCREENSHOTS=docs/screenshots refreshes the set checked in there
 * (docs/screenshots/README.md), to review a change of layout by eye.
 */
const SCREENSHOTS = process.env.COURSEFED_SCREENSHOTS
  ? resolve(repositoryRoot, process.env.COURSEFED_SCREENSHOTS)
  : join(artifactDirectory, "screenshots");

let university: TestNode;
let school: TestNode;
let browser: Browser;

/** Each page of the web interface by name, as the school's admin sees it (login: signed out). */
const pages: Array<{
  name: string;
  path: string;
  signedOut?: boolean;
  /** For a page that answers a form: what to fill in and send once `path` is open. */
  submit?: (page: Page) => Promise<void>;
}> = [];

/** The restore form into an existing course, which answers with a confirmation page. */
async function askToReplaceCourse(page: Page): Promise<void> {
  await page.locator("#restore-target").selectOption("moodle-45");
  await page.locator('input[name="destination"][value="existing-course"]').check();
  await page.locator("#restore-course").fill("12");
  await page.locator("#restore-mode").selectOption("replace");
  await page.locator('form.restore-form button[type="submit"]').click();
  await page.waitForURL(/\/catalog\/restore$/);
}

/** What reaches past the viewport (elements and text), to say what breaks the layout when it does. */
const OVERFLOWING = `(() => {
  const limit = document.documentElement.clientWidth + 1;
  const found = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_ELEMENT | NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node && found.length < 5; node = walker.nextNode()) {
    const element = node.nodeType === Node.TEXT_NODE ? node.parentElement : node;
    if (!element || element.parentElement?.closest(".table-scroll, pre")) continue;
    let right;
    if (node.nodeType === Node.TEXT_NODE) {
      const range = document.createRange();
      range.selectNodeContents(node);
      right = range.getBoundingClientRect().right;
    } else right = node.getBoundingClientRect().right;
    if (right > limit) found.push(element.tagName.toLowerCase() + (element.className ? "." + String(element.className).split(" ").join(".") : "") + (node.nodeType === Node.TEXT_NODE ? " text " + JSON.stringify(node.textContent.slice(0, 30)) : "") + " " + Math.round(right) + "px");
  }
  return found;
})()`;

async function signedInContext(locale: string): Promise<BrowserContext> {
  const context = await browser.newContext({ bypassCSP: true, locale });
  const page = await context.newPage();
  await page.goto(new URL("/login", school.url).href);
  await page.locator("#username").fill("admin");
  await page.locator("#password").fill(school.node.initialAdminPassword as string);
  await page.locator('form[action="/login"] button[type="submit"]').click();
  await page.waitForURL(/\/catalog/);
  await page.close();
  return context;
}

describe.runIf(haveChromium() && haveFixtures())(
  "every page at phone, tablet and laptop widths, in English and French",
  () => {
    beforeAll(async () => {
      [university, school] = await Promise.all([
        startTestNode("univ", "Université Exemple"),
        startTestNode("school", "Lycée Exemple"),
      ]);
      await followAndApprove(school, university);
      const { account } = await createAccount(
        {
          actors: university.node.services.actors,
          accounts: new AccountRepository(university.node.db),
        },
        { username: "ada", role: "teacher", displayName: "Ada Lovelace" },
      );
      const ada = await university.node.services.actors.byId(account.actorId);
      const received = await publishCourse(
        domainServices(contextOf(university)),
        ada as NonNullable<typeof ada>,
        fixture("m26dev-zip-course-glossary-nousers.mbz"),
        {
          title: "Chimie organique : un glossaire des termes et des réactions",
          summary:
            "Les termes de la chimie organique, avec des exemples et des exercices corrigés pour chaque chapitre.",
          tags: ["chimie", "lycée", "glossaire", "première"],
          license: "CC-BY-SA-4.0",
        },
      );
      const object = new URL(`/courses/${received.course.id}`, university.url).href;
      await eventually(() => school.node.services.catalog.catalogEntry(object));
      // A second revision, so that the course has changes to show.
      await publishCourse(
        domainServices(contextOf(university)),
        ada as NonNullable<typeof ada>,
        fixture("m324-tgz-course-files-scorm-nousers.mbz"),
        {},
        { courseId: received.course.id },
      );
      await eventually(
        async () => (await school.node.services.catalog.catalogEntry(object))?.revision === 2,
      );
      const own = await publishCourse(
        domainServices(contextOf(school)),
        school.node.institution,
        fixture("m262-tgz-course-availability-nousers.mbz"),
        { title: "Disponibilité conditionnelle", tags: ["moodle"], license: "CC-BY-4.0" },
      );
      await addProbedTargets(school);
      await school.node.services.moodleTargets.add({
        name: "moodle-lycee",
        driver: "ws",
        url: `http://127.0.0.1:${await freePort()}`,
        token: "t",
        timeoutMs: 5000,
      });
      const restore = await fetch(new URL("/api/v1/restores", school.url), {
        method: "POST",
        headers: { authorization: `Bearer ${school.token}`, "content-type": "application/json" },
        body: JSON.stringify({ object, target: "moodle-lycee", categoryId: 3 }),
      });
      expect(restore.status).toBe(202);
      // A report sent, so that the console's queue has one to show with its actions.
      const report = await fetch(new URL("/api/v1/reports", school.url), {
        method: "POST",
        headers: { authorization: `Bearer ${school.token}`, "content-type": "application/json" },
        body: JSON.stringify({
          object,
          reason: "broken",
          comment: "La section 2 renvoie vers une ressource absente du fichier de sauvegarde.",
        }),
      });
      expect(report.status).toBe(201);
      const course = `/catalog/course?${new URLSearchParams({ object })}`;
      pages.push(
        { name: "login", path: "/login", signedOut: true },
        { name: "catalog", path: "/catalog" },
        { name: "catalog-filters", path: "/catalog?tag=physique&language=de" },
        { name: "course", path: course },
        { name: "restore-confirm", path: course, submit: askToReplaceCourse },
        {
          name: "course-changes",
          path: `/catalog/changes?${new URLSearchParams({ object, from: "1", to: "2" })}`,
        },
        { name: "restores", path: "/restores?refresh=off" },
        { name: "feeds", path: "/feeds" },
        { name: "publish", path: "/publish" },
        { name: "my-courses", path: "/my-courses" },
        { name: "my-course-edit", path: `/my-courses/${own.course.id}/edit` },
        { name: "rules", path: "/rules" },
        { name: "admin-settings", path: "/admin" },
        { name: "admin-follow-requests", path: "/admin/follow-requests" },
        { name: "admin-reports", path: "/admin/reports" },
        { name: "admin-peers", path: "/admin/peers" },
        { name: "admin-targets", path: "/admin/targets" },
        { name: "admin-target-remove", path: "/admin/targets/remove?name=moodle-small" },
        { name: "admin-accounts", path: "/admin/accounts" },
        { name: "admin-tokens", path: "/admin/tokens" },
        { name: "admin-audit", path: "/admin/audit" },
        { name: "public-course", path: `/courses/${own.course.id}`, signedOut: true },
        { name: "public-institution", path: "/actors/institution", signedOut: true },
        { name: "error", path: "/catalog/course?object=https%3A%2F%2Fnowhere.example%2Fx" },
      );
      browser = await launchChromium();
    });
    afterAll(async () => {
      await browser?.close();
      await Promise.all([university, school].map((peer) => peer?.stop()));
    });

    for (const language of LANGUAGES) {
      it(`fits ${language.code} pages in 390 px without sideways scrolling, stays accessible, and photographs each at 390, 768 and 1280 px`, async () => {
        const signedIn = await signedInContext(language.locale);
        const signedOut = await browser.newContext({ bypassCSP: true, locale: language.locale });
        const directory = join(SCREENSHOTS, language.code);
        mkdirSync(directory, { recursive: true });
        const overflowing: Record<string, unknown> = {};
        const violations: Record<string, string[]> = {};
        try {
          for (const { name, path, signedOut: anonymous, submit } of pages) {
            const page: Page = await (anonymous ? signedOut : signedIn).newPage();
            for (const viewport of WIDTHS) {
              await page.setViewportSize(viewport);
              await page.goto(new URL(path, school.url).href);
              if (submit) await submit(page);
              else expect(new URL(page.url()).pathname, name).toBe(path.split("?")[0]);
              expect(await page.getAttribute("html", "lang"), name).toBe(language.code);
              if (viewport.width === 390) {
                const scrollWidth = (await page.evaluate(
                  "document.documentElement.scrollWidth",
                )) as number;
                if (scrollWidth > viewport.width) {
                  overflowing[name] = { scrollWidth, elements: await page.evaluate(OVERFLOWING) };
                }
                const found = await seriousAxeViolations(page);
                if (found.length) violations[name] = found;
              }
              await page.screenshot({ path: join(directory, `${name}-${viewport.width}.png`) });
            }
            await page.close();
          }
        } finally {
          await Promise.all([signedIn.close(), signedOut.close()]);
        }
        expect(overflowing).toEqual({});
        expect(violations).toEqual({});
      }, 240_000);
    }

    it("shows a filter's help under its checkbox, not over its label, on a phone", async () => {
      const context = await signedInContext("en-GB");
      const page = await context.newPage();
      await page.setViewportSize({ width: 390, height: 844 });
      await page.goto(new URL("/catalog?restorable=true", school.url).href);
      const label = await page.locator('label:has(input[name="restorable"])').boundingBox();
      const help = await page.locator("#restorable-help").boundingBox();
      expect(label && help).toBeTruthy();
      if (label && help) expect(help.y).toBeGreaterThanOrEqual(label.y + label.height - 1);
      // Examples are hints, set apart from what is typed: "e.g. …", slanted and lighter.
      const [typed, hint] = (await page.evaluate(`(() => {
        const input = document.querySelector('input[name="plugin"]');
        const style = (pseudo) => getComputedStyle(input, pseudo);
        return [style(null), style("::placeholder")].map((s) => s.fontStyle + " " + s.color);
      })()`)) as [string, string];
      expect(await page.getAttribute('input[name="plugin"]', "placeholder")).toBe(
        "e.g. qtype_stack",
      );
      expect(hint).toMatch(/^italic /);
      expect(hint).not.toBe(typed);
      await context.close();
    });
  },
);
