import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AccountRepository } from "../../packages/node/src/accounts/account-repository.ts";
import { createAccount } from "../../packages/node/src/accounts/account-service.ts";
import { eventually } from "../support/eventually.ts";
import { followAndApprove } from "../support/federation-steps.ts";
import { fixture, haveFixtures } from "../support/shared-fixtures.ts";
import { startTestNode, type TestNode } from "../support/test-node.ts";
import { haveChromium, launchChromium, screenshot, seriousAxeViolations } from "./chromium.ts";

let publisher: TestNode;
let follower: TestNode;
let browser: Browser;
/** The pages as served, CSP included: our upload script must run under it. */
let strict: BrowserContext;
/** The same session with CSP bypassed, for axe-core (a script the pages do not allow). */
let audited: BrowserContext;
let page: Page;
let auditPage: Page;

/** Presses Tab until the focused element's text or value contains `text`. */
async function tabTo(text: string, limit = 40): Promise<void> {
  for (let i = 0; i < limit; i++) {
    await page.keyboard.press("Tab");
    const focused = (await page.evaluate(
      "(document.activeElement?.textContent ?? '') + (document.activeElement?.value ?? '')",
    )) as string;
    if (focused.includes(text)) return;
  }
  throw new Error(`Tab never reached "${text}"`);
}

/** The current page, checked by axe-core in the CSP-free context, and a screenshot of it. */
async function expectAccessible(name: string): Promise<void> {
  await screenshot(page, name);
  await auditPage.goto(page.url());
  expect(await seriousAxeViolations(auditPage), page.url()).toEqual([]);
}

describe.runIf(haveChromium() && haveFixtures())("publishing in a browser", () => {
  beforeAll(async () => {
    [publisher, follower] = await Promise.all([
      startTestNode("univ", "Université Exemple", { maxUpload: "100KiB" }),
      startTestNode("school", "Lycée Exemple"),
    ]);
    await followAndApprove(follower, publisher);
    const { password } = await createAccount(
      {
        actors: publisher.node.services.actors,
        accounts: new AccountRepository(publisher.node.db),
      },
      { username: "marie", role: "teacher", displayName: "Marie Curie" },
    );
    browser = await launchChromium();
    const options = { viewport: { width: 1280, height: 900 }, locale: "en-GB" };
    strict = await browser.newContext(options);
    page = await strict.newPage();
    await page.goto(new URL("/login", publisher.url).href);
    await page.getByLabel("Username").fill("marie");
    await page.getByLabel("Password").fill(password);
    await page.getByLabel("Password").press("Enter");
    await page.waitForURL(/\/catalog$/);
    audited = await browser.newContext({ ...options, bypassCSP: true });
    await audited.addCookies(await strict.cookies());
    auditPage = await audited.newPage();
  });
  afterAll(async () => {
    await browser?.close();
    await Promise.all([publisher, follower].map((peer) => peer?.stop()));
  });

  it("uploads with a progress bar that reaches 100%, shows the scan, publishes", async () => {
    const errors: string[] = [];
    page.on("console", (message) => {
      if (message.type() === "error") errors.push(message.text());
    });
    await page.goto(new URL("/publish", publisher.url).href);
    await expectAccessible("publish");
    await page.setInputFiles("#upload-file", fixture("m26dev-zip-course-glossary-nousers.mbz"));
    // Hold the node's answer (not the request: the file must reach the node for the bar
    // to fill) until the full bar has been seen, with its screenshot.
    const devtools = await strict.newCDPSession(page);
    await devtools.send("Fetch.enable", {
      patterns: [{ urlPattern: "*/publish/upload*", requestStage: "Response" }],
    });
    let sawFull = false;
    devtools.on("Fetch.requestPaused", async ({ requestId }) => {
      // The last progress events may reach the page after the answer's headers: wait for
      // them (the answer is held meanwhile), up to 10 s on a busy machine.
      for (let tries = 0; tries < 100 && !sawFull; tries++) {
        sawFull =
          (await page.evaluate("document.getElementById('upload-bar').value")) === 100 &&
          ((await page.textContent("#upload-status")) ?? "").includes("100%");
        if (!sawFull) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      // Pico animates the bar's width: let it reach the end before the picture.
      await page.waitForTimeout(500);
      await screenshot(page, "publish-progress");
      await devtools.send("Fetch.continueResponse", { requestId });
    });
    await page.getByRole("button", { name: "Upload and check" }).click();
    await page.waitForURL(/\/publish\/review\//);
    await devtools.detach();
    expect(sawFull).toBe(true);
    expect(errors).toEqual([]);
    expect(await page.textContent(".verdict")).toContain("No personal data");
    await expectAccessible("publish-review");

    // The keyboard alone: fill in the form and publish.
    await page.getByLabel("Title").fill("Glossaire de chimie");
    await page.getByLabel("Summary").focus();
    await page.keyboard.type("Les termes du cours, avec des exemples.");
    await page.keyboard.press("Tab");
    await page.keyboard.type("chimie, glossaire");
    await page.keyboard.press("Tab");
    await page.keyboard.type("CC-BY-4.0");
    await tabTo("Publish");
    await page.keyboard.press("Enter");
    await page.waitForURL(/\/my-courses\?notice=published/);
    expect(await page.textContent(".notice-ok")).toContain("Published");
    await expectAccessible("my-courses");
    const course = (await publisher.node.services.courses.publishedCourses()).find(
      (c) => c.title === "Glossaire de chimie",
    );
    await eventually(() =>
      follower.node.services.catalog.catalogEntry(
        new URL(`/courses/${course?.id}`, publisher.url).href,
      ),
    );
  });

  it("shows the refusal for a backup with users, with the way to sanitize it", async () => {
    await page.goto(new URL("/publish", publisher.url).href);
    await page.setInputFiles("#upload-file", fixture("m3107-tgz-course-quiz-users-logs.mbz"));
    await page.getByRole("button", { name: "Upload and check" }).click();
    await page.waitForURL(/\/publish\/review\//);
    expect(await page.textContent(".verdict")).toContain("Personal data found");
    expect(await page.textContent(".findings")).toContain("User accounts");
    await expectAccessible("publish-refusal");
    await page.getByRole("button", { name: "Remove personal data and publish" }).click();
    await page.waitForURL(/\/my-courses\?notice=published/);
  });

  it("shows the publish pages in French, accessible too", async () => {
    await page.goto(new URL("/language?set=fr&back=/publish", publisher.url).href);
    await page.waitForURL(/\/publish$/);
    expect(await page.textContent("h1")).toBe("Publier un cours");
    await expectAccessible("publish-fr");
    await page.setInputFiles("#upload-file", fixture("m3107-tgz-course-quiz-users-logs.mbz"));
    await page.getByRole("button", { name: "Déposer et vérifier" }).click();
    await page.waitForURL(/\/publish\/review\//);
    expect(await page.textContent(".verdict")).toContain("Données personnelles trouvées");
    await expectAccessible("publish-refusal-fr");
    await page.goto(new URL("/my-courses", publisher.url).href);
    await expectAccessible("my-courses-fr");
    await page.goto(new URL("/language?set=en&back=/my-courses", publisher.url).href);
    await page.waitForURL(/\/my-courses$/);
  });

  it("says at once that a file over the node's limit is too large", async () => {
    await page.goto(new URL("/publish", publisher.url).href);
    await page.setInputFiles("#upload-file", fixture("m324-tgz-course-files-scorm-nousers.mbz"));
    await page.getByRole("button", { name: "Upload and check" }).click();
    await expect
      .poll(() => page.textContent("#upload-status"))
      .toContain("larger than this node accepts");
    await screenshot(page, "publish-too-large");
  });

  it("asks before withdrawing, and the public pages show the course to anyone", async () => {
    await page.goto(new URL("/my-courses", publisher.url).href);
    const course = (await publisher.node.services.courses.publishedCourses()).find(
      (c) => c.title === "Glossaire de chimie",
    );
    await page.getByRole("button", { name: "Withdraw Glossaire de chimie" }).click();
    await page.waitForURL(/\/withdraw$/);
    await expectAccessible("withdraw-confirm");

    const reader = await browser.newContext({
      viewport: { width: 1280, height: 900 },
      bypassCSP: true,
    });
    const anonymous = await reader.newPage();
    const marie = await publisher.node.services.actors.byHandle("marie");
    for (const [path, name] of [
      [`/actors/${marie?.identifier}`, "public-profile"],
      [`/courses/${course?.id}`, "public-course"],
      ["/tags/chimie", "public-tag"],
    ] as const) {
      await anonymous.goto(new URL(path, publisher.url).href);
      expect(await anonymous.textContent("main"), path).toContain("Glossaire de chimie");
      await screenshot(anonymous, name);
      expect(await seriousAxeViolations(anonymous), path).toEqual([]);
    }
    await reader.close();

    await page.getByRole("button", { name: "Withdraw the course" }).click();
    await page.waitForURL(/notice=withdrawn/);
    expect(await page.textContent("main")).not.toContain("Glossaire de chimie");
  });
});
