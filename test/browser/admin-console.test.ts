import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AccountRepository } from "../../packages/node/src/accounts/account-repository.ts";
import { createAccount } from "../../packages/node/src/accounts/account-service.ts";
import { domainServices } from "../../packages/node/src/federation/domain-services.ts";
import { follow } from "../../packages/node/src/follows/follow-service.ts";
import { eventually } from "../support/eventually.ts";
import { contextOf, institutionOf } from "../support/federation-steps.ts";
import { startTestNode, type TestNode } from "../support/test-node.ts";
import { startSiteInfoServer } from "../web/admin-moodle-site-info.ts";
import { addProbedTargets } from "../web/probed-targets.ts";
import { haveChromium, launchChromium, screenshot, seriousAxeViolations } from "./chromium.ts";

let node: TestNode;
let other: TestNode;
let browser: Browser;
let page: Page;

async function expectAccessible(): Promise<void> {
  expect(await seriousAxeViolations(page), page.url()).toEqual([]);
}

/** Presses Tab until the focused element's accessible label or text contains `text`. */
async function tabTo(text: string, limit = 60): Promise<void> {
  for (let i = 0; i < limit; i++) {
    await page.keyboard.press("Tab");
    const focused = (await page.evaluate(
      "(document.activeElement?.getAttribute('aria-label') ?? '') + ' ' + (document.activeElement?.textContent ?? '')",
    )) as string;
    if (focused.includes(text)) return;
  }
  throw new Error(`Tab never reached "${text}"`);
}

async function visit(path: string): Promise<void> {
  await page.goto(new URL(path, node.url).href);
}

describe.runIf(haveChromium())("the admin console in a browser", () => {
  beforeAll(async () => {
    [node, other] = await Promise.all([
      startTestNode("univ", "Université Exemple"),
      startTestNode("school", "Lycée Exemple"),
    ]);
    await addProbedTargets(node);
    await node.node.services.moodleTargets.add({
      name: "moodle-lab",
      driver: "cli",
      url: "https://moodle-lab.example",
      moodleDir: "/nonexistent/moodle",
    });
    const stores = {
      actors: node.node.services.actors,
      accounts: new AccountRepository(node.node.db),
    };
    await createAccount(stores, { username: "marie", role: "teacher", displayName: "Marie Curie" });
    await createAccount(stores, { username: "paul", role: "viewer", displayName: "Paul Martin" });
    await follow(domainServices(contextOf(other)), other.node.institution, institutionOf(node));
    await eventually(() =>
      node.node.services.follows.follower(node.node.institution.id, institutionOf(other)),
    );
    browser = await launchChromium();
    const context = await browser.newContext({
      bypassCSP: true,
      viewport: { width: 1280, height: 900 },
      locale: "en-GB",
    });
    page = await context.newPage();
    await visit("/admin");
    await page.getByLabel("Username").fill("admin");
    await page.getByLabel("Password").fill(node.node.initialAdminPassword as string);
    await page.keyboard.press("Enter");
    await page.waitForURL(/\/admin$/);
  });
  afterAll(async () => {
    await browser?.close();
    await Promise.all([node, other].map((peer) => peer?.stop()));
  });

  it("shows the node's settings, read-only", async () => {
    expect(await page.textContent("h1")).toBe("Node settings");
    expect(await page.textContent(".settings")).toContain(`@univ@${node.url.host}`);
    await screenshot(page, "admin-settings");
    await expectAccessible();
  });

  it("approves a follow request with the keyboard", async () => {
    await visit("/admin/follow-requests");
    expect(await page.textContent(".requests")).toContain("Lycée Exemple");
    await screenshot(page, "admin-follow-requests");
    await expectAccessible();
    await tabTo("Accept Lycée Exemple");
    await page.keyboard.press("Enter");
    await page.waitForURL(/notice=accept/);
    expect(await page.textContent("[role=status]")).toContain("Accepted");
    await eventually(
      async () =>
        (
          await other.node.services.follows.following(
            other.node.institution.id,
            institutionOf(node),
          )
        )?.state === "accepted",
    );
    await expectAccessible();
  });

  it("shows the peers with their delivery state", async () => {
    // The Accept was delivered to the other node: it is a peer now.
    await eventually(() => node.node.services.peers.peer(other.url.host));
    await node.node.services.peers.recordFailure(
      "gone.example",
      "fetch failed: getaddrinfo ENOTFOUND gone.example",
    );
    await visit("/admin/peers");
    expect(await page.textContent("tbody")).toContain(other.url.host);
    await screenshot(page, "admin-peers");
    await expectAccessible();
  });

  it("lists the Moodle sites, probes one and shows why it failed, asks before removing", async () => {
    await visit("/admin/targets");
    await screenshot(page, "admin-targets");
    await expectAccessible();
    await page.getByRole("button", { name: "Probe moodle-lab" }).click();
    expect(await page.textContent(".probe-result")).toContain("holds no config.php");
    await screenshot(page, "admin-targets-probe-failed");
    await expectAccessible();
    const site = await startSiteInfoServer();
    try {
      await node.node.services.moodleTargets.add({
        name: "campus",
        driver: "ws",
        url: site.url,
        token: "t",
      });
      await visit("/admin/targets");
      await page.getByRole("button", { name: "Probe campus" }).click();
      expect(await page.textContent(".probe-result h2")).toContain("What campus runs");
      await page.locator(".probe-result summary").click();
      await screenshot(page, "admin-targets-probe");
      await expectAccessible();
    } finally {
      await site.close();
    }
    await visit("/admin/targets/remove?name=moodle-lab");
    await screenshot(page, "admin-targets-remove");
    await expectAccessible();
    await page.getByRole("button", { name: "Remove moodle-lab" }).click();
    await page.waitForURL(/notice=removed/);
    expect(await node.node.services.moodleTargets.byName("moodle-lab")).toBeUndefined();
  });

  it("adds an account and shows its password once", async () => {
    await visit("/admin/accounts");
    await page.getByLabel("Username").fill("claire");
    await page.getByLabel("Display name").fill("Claire Dubois");
    await page.locator('form.admin-form select[name="role"]').selectOption("teacher");
    await page.getByRole("button", { name: "Add an account" }).click();
    expect(await page.textContent(".secret h2")).toBe("Password of claire");
    await screenshot(page, "admin-accounts");
    await expectAccessible();
  });

  it("creates an API token and shows it once", async () => {
    await visit("/admin/tokens");
    await page.getByLabel("Name").fill("nightly backup script");
    await page.getByRole("button", { name: "Create a token" }).click();
    expect(await page.textContent(".secret-value")).toMatch(/^cf_/);
    await screenshot(page, "admin-tokens");
    await expectAccessible();
  });

  it("adds an auto-restore rule", async () => {
    await visit("/rules");
    await screenshot(page, "rules-empty");
    await page.getByLabel("Tagged").fill("chimie");
    await page.locator('select[name="target"]').selectOption("moodle-45");
    await page.getByLabel("Category id").fill("3");
    await page.getByRole("button", { name: "Add a rule" }).click();
    await page.waitForURL(/notice=added/);
    expect(await page.textContent("tbody")).toContain("#chimie");
    await screenshot(page, "rules");
    await expectAccessible();
  });

  it("lists every action in the audit log, in English and French", async () => {
    await visit("/admin/audit");
    expect(await page.textContent("tbody")).toContain("accepted a follow request");
    await screenshot(page, "admin-audit");
    await expectAccessible();
    await page.getByRole("link", { name: "Français" }).click();
    await page.waitForURL(/\/admin\/audit$/);
    expect(await page.textContent("h1")).toBe("Journal d’audit");
    await screenshot(page, "admin-audit-fr");
    await expectAccessible();
    await visit("/admin/targets");
    await screenshot(page, "admin-targets-fr");
    await expectAccessible();
  });
});
