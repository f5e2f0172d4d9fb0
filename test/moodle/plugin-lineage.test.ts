/**
 * The plugin's network course page shows a course's whole lineage as the site's node
 * gives it: a university publishes a course under CC BY-SA and an adaptation of it; the
 * school's node follows the university; a Moodle user browsing from the school's site sees
 * the adaptation's source with its author and licence, linked to its own network page.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { publishCourse } from "../../packages/node/src/courses/publish-service.ts";
import { domainServices } from "../../packages/node/src/federation/domain-services.ts";
import { haveChromium, launchChromium } from "../browser/chromium.ts";
import { eventually } from "../support/eventually.ts";
import {
  contextOf,
  followAndApprove,
  publishToFollower,
  writeOnePageBackup,
} from "../support/federation-steps.ts";
import { installCoursefedPlugin } from "../support/moodle-plugin.ts";
import { describeOnEachMoodle, siteScript } from "../support/moodle-site.ts";
import { startTestNode, type TestNode } from "../support/test-node.ts";
import { webFingerOverHttp } from "../web/loopback-webfinger.ts";
import {
  connectPluginToNode,
  newUserPhp,
  registerSiteOnNode,
  signInToMoodle,
} from "./moodle-browser-steps.ts";
import { moodlePhp } from "./picker-fixtures.ts";

const PASSWORD = "Lineage#1234";

describeOnEachMoodle(
  "the network course page's lineage",
  (site) => {
    const stamp = `${Date.now()}`;
    let university: TestNode;
    let school: TestNode;
    let siteToken: string;
    let browser: Browser;
    let page: Page;
    let restoreFetch: () => void;
    let original: string;
    let adapted: string;
    let directory: string;

    beforeAll(async () => {
      [university, school] = await Promise.all([
        startTestNode("univ", "Université Lignée"),
        startTestNode("school", "Lycée Lignée"),
      ]);
      restoreFetch = webFingerOverHttp([university.url.host]);
      await followAndApprove(school, university);
      await installCoursefedPlugin(site);
      await siteScript(site, "serve");
      siteToken = (await registerSiteOnNode(school, site, `lineage-${site.tag}-${stamp}`))
        .siteToken;
      // A manager over the site holds local/coursefed:import, which the network pages ask.
      await moodlePhp(
        site.moodleDir,
        `${newUserPhp(PASSWORD)}
      $user = $newuser("lineage-${stamp}", 'Lina', 'Test');
      role_assign($DB->get_field('role', 'id', ['shortname' => 'manager'], MUST_EXIST), $user,
          context_system::instance());
      echo $user;`,
      );
      directory = await mkdtemp(join(tmpdir(), "coursefed-plugin-lineage-"));
      const file = await writeOnePageBackup(directory);
      original = await publishToFollower(university, school, file, {
        title: `Source ${stamp}`,
        license: "CC BY-SA 4.0",
      });
      const derived = await publishCourse(
        domainServices(contextOf(university)),
        university.node.institution,
        file,
        { title: `Adaptation ${stamp}` },
        { derivedFrom: { object: original, revision: 1 } },
      );
      adapted = new URL(`/courses/${derived.course.id}`, university.url).href;
      await eventually(() => school.node.services.catalog.catalogEntry(adapted));
      browser = await launchChromium();
      page = await (await browser.newContext({ locale: "en-GB" })).newPage();
      await signInToMoodle(page, site, `lineage-${stamp}`, PASSWORD);
    }, 240_000);
    afterAll(async () => {
      await browser?.close();
      restoreFetch?.();
      await Promise.all([university, school].map((peer) => peer?.stop()));
      if (directory) await rm(directory, { recursive: true, force: true });
    });

    it("lists each ancestor with its author and licence", async () => {
      const lineage = page.locator(".coursefed-lineage li");
      // The site is shared: another suite may point the plugin at its own node meanwhile.
      for (let attempt = 1; attempt <= 3 && (await lineage.count()) === 0; attempt++) {
        await connectPluginToNode(site, school.url, siteToken);
        await page.goto(
          `${site.wwwroot}/local/coursefed/network_course.php?object=${encodeURIComponent(adapted)}`,
        );
      }
      const sourceTitle = (await school.node.services.catalog.catalogEntry(original))?.title ?? "";
      expect(await lineage.count(), await page.locator("#region-main").innerText()).toBe(1);
      expect(await lineage.first().innerText()).toBe(
        `${sourceTitle}, revision 1, by Université Lignée: licence CC BY-SA 4.0`,
      );
      expect(await lineage.first().locator("a").getAttribute("href")).toContain(
        `network_course.php?object=${encodeURIComponent(original)}`,
      );
    });
  },
  { when: haveChromium() },
);
