/**
 * Browsing the network, importing and updating from inside Moodle, in Chromium, as a
 * teacher who may create and restore courses in one category (Moodle's course creator and
 * teacher there): two
 * nodes on loopback, the site's own node (school) following a university's node that
 * publishes a real course; the plugin registered with the school's node (its site token).
 *
 * The teacher searches the catalog, opens the course (its compatibility with this very
 * site), imports it into their category picked by name and watches the progress page
 * until the course exists in Moodle; the university publishes revision 2, the course's
 * page says "Update available" with what changed, the teacher applies it (merge) and the
 * course holds revision 2's activities; revision 3 is dismissed and the notice no longer
 * offers it. A user holding the plugin's capability but no Moodle right to restore sees no
 * destination, and a forged form is refused by the server.
 *
 * Only the fixture set-up (nodes, Moodle users and roles, the plugin's connection to the
 * node) and the checks against Moodle's database go around the pages.
 */
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { publishCourse, withdrawCourse } from "../../packages/node/src/courses/publish-service.ts";
import { domainServices } from "../../packages/node/src/federation/domain-services.ts";
import { probeTarget } from "../../packages/node/src/moodle-targets/probe-target.ts";
import {
  haveChromium,
  launchChromium,
  screenshot,
  seriousAxeViolations,
} from "../browser/chromium.ts";
import { eventually } from "../support/eventually.ts";
import { contextOf, followAndApprove } from "../support/federation-steps.ts";
import { installCoursefedPlugin } from "../support/moodle-plugin.ts";
import { describeOnEachMoodle, type LiveMoodleSite, siteScript } from "../support/moodle-site.ts";
import { fixture, haveFixtures } from "../support/shared-fixtures.ts";
import { startTestNode, type TestNode } from "../support/test-node.ts";
import { webFingerOverHttp } from "../web/loopback-webfinger.ts";
import {
  allowFrenchOnMoodle,
  connectPluginToNode,
  letCourseNoticesExpire,
  newUserPhp,
  registerSiteOnNode,
  signInToMoodle,
} from "./moodle-browser-steps.ts";
import { courseModules, queryMoodle } from "./moodle-database.ts";
import { moodlePhp } from "./picker-fixtures.ts";

/** Revision 1: one glossary; revision 2 adds a forum, a folder, an IMS package and a SCORM. */
const REVISION_1 = "m26dev-zip-course-glossary-nousers.mbz";
const REVISION_2 = "m324-tgz-course-files-scorm-nousers.mbz";
const PASSWORD = "Teacher#1234";
/**
 * What axe finds in Moodle's own page frame rather than in the plugin's content: the user
 * menu's button (#user-menu-toggle) shows initials its accessible name does not hold.
 */
const MOODLE_OWN = ["label-content-name-mismatch"];

interface MoodleFixture {
  readonly category: number;
  readonly categoryName: string;
  readonly elsewhere: number;
  readonly teacher: string;
  readonly norights: string;
}

/**
 * A category of the run's own with a teacher who is Moodle's course creator and teacher
 * there (moodle/course:create and moodle/restore:restorecourse, as a restore into a new
 * course needs), and a user holding local/coursefed:import alone (a role of its own) in
 * another category.
 */
async function makeMoodleFixture(site: LiveMoodleSite, stamp: string): Promise<MoodleFixture> {
  const out = await moodlePhp(
    site.moodleDir,
    `${newUserPhp(PASSWORD)}
    $stamp = ${JSON.stringify(stamp)};
    $category = core_course_category::create(['name' => "Network imports $stamp"]);
    $elsewhere = core_course_category::create(['name' => "Elsewhere $stamp"]);
    $teacher = $newuser("browse-teacher-$stamp", 'Camille', 'Test');
    $norights = $newuser("browse-norights-$stamp", 'Dominique', 'Test');
    // Creating a course is the course creator's; restoring one, a teacher's: both, over the category.
    foreach (['coursecreator', 'editingteacher'] as $shortname) {
        $role = $DB->get_field('role', 'id', ['shortname' => $shortname], MUST_EXIST);
        role_assign($role, $teacher, context_coursecat::instance($category->id));
    }
    $browser = $DB->get_field('role', 'id', ['shortname' => 'coursefedbrowser'])
        ?: create_role('coursefed browser (tests)', 'coursefedbrowser', 'local/coursefed:import only');
    set_role_contextlevels($browser, [CONTEXT_COURSECAT]);
    assign_capability('local/coursefed:import', CAP_ALLOW, $browser, context_system::instance()->id, true);
    role_assign($browser, $norights, context_coursecat::instance($elsewhere->id));
    // The user tours a first visit starts would cover the pages the test clicks.
    foreach ($DB->get_fieldset_select('tool_usertours_tours', 'id', 'enabled = 1') as $tour) {
        foreach ([$teacher, $norights] as $userid) {
            set_user_preference("tool_usertours_tour_completion_time_$tour", time(), $userid);
        }
    }
    echo json_encode(['category' => (int) $category->id, 'categoryName' => $category->name,
        'elsewhere' => (int) $elsewhere->id, 'teacher' => "browse-teacher-$stamp",
        'norights' => "browse-norights-$stamp"]);`,
  );
  return JSON.parse(out) as MoodleFixture;
}

describeOnEachMoodle(
  "browse the network, import and update from inside Moodle, in a browser",
  (site) => {
    const stamp = `${Date.now()}`;
    const title = `Glossaire réseau ${stamp}`;
    /** The name the teacher gives the imported course. */
    const courseName = `Glossaire (importé) ${stamp}`;
    /** And the short name. */
    const courseShortName = `GLOSS-${stamp}`;
    let university: TestNode;
    let school: TestNode;
    let siteToken: string;
    let moodle: MoodleFixture;
    let browser: Browser;
    let context: BrowserContext;
    let page: Page;
    let restoreFetch: () => void;
    let object: string;
    let courseId: string;
    let moodleCourseId: number;
    /** The course's modules once revision 2 was merged into it. */
    let merged: Record<string, number>;

    const moodleUrl = (path: string) => `${site.wwwroot}${path}`;

    async function publishRevision(backup: string): Promise<void> {
      const published = await publishCourse(
        domainServices(contextOf(university)),
        university.node.institution,
        fixture(backup),
        { title, summary: "Les termes du cours, avec des exemples.", tags: ["chimie"] },
        courseId ? { courseId } : {},
      );
      courseId = published.course.id;
      object = new URL(`/courses/${courseId}`, university.url).href;
      const revision = published.revision.revision;
      await eventually(
        async () =>
          (await school.node.services.catalog.catalogEntry(object))?.revision === revision,
      );
      await letCourseNoticesExpire(site);
    }

    /**
     * Submits what asks the node for a job until the progress page shows: a submission that
     * reached another suite's node (the site is shared) is made again once pointed back.
     */
    async function untilTheJobStarts(
      prepareAgain: () => Promise<void>,
      submit: () => Promise<void>,
    ): Promise<void> {
      for (let attempt = 1; ; attempt++) {
        if (attempt > 1) await prepareAgain();
        await Promise.all([page.waitForEvent("load"), submit()]);
        if (page.url().includes("/local/coursefed/import_progress.php")) return;
        if (attempt === 3) {
          throw new Error(`No job: ${page.url()} ${await page.textContent("#region-main")}`);
        }
        await connectPluginToNode(site, school.url, siteToken);
      }
    }

    /** Waits on the progress page, which reloads itself, until the job is over. */
    async function waitForImport(): Promise<string> {
      await page.waitForURL(/\/local\/coursefed\/import_progress\.php\?job=/);
      const state = page.locator(".coursefed-import-state");
      await expect
        .poll(
          async () => {
            if ((await state.count()) > 0) return await state.getAttribute("data-state");
            const shown = await page.textContent("#region-main").catch(() => "");
            // Another test pointed the shared site at its own node meanwhile: point it back.
            await connectPluginToNode(site, school.url, siteToken);
            await page.reload();
            return `no state on the page: ${shown}`;
          },
          { timeout: 150_000, interval: 1_000 },
        )
        .toMatch(/^(succeeded|failed|refused)$/);
      return (await state.getAttribute("data-state")) as string;
    }

    /**
     * The course page's network notice, or what the page shows instead. A page whose node
     * call went to another test's node (the site is shared) is loaded again once pointed back.
     */
    async function noticeOn(courseUrl: string): Promise<string> {
      const notice = page.locator(".coursefed-network-notice");
      for (let attempt = 1; ; attempt++) {
        await connectPluginToNode(site, school.url, siteToken);
        await page.goto(courseUrl);
        if ((await notice.count()) > 0) return (await notice.textContent()) as string;
        if (attempt === 3) return `no notice: ${await page.textContent("#region-main")}`;
      }
    }

    beforeAll(async () => {
      const started = performance.now();
      [university, school] = await Promise.all([
        startTestNode("univ", "Université Exemple"),
        startTestNode("school", "Lycée Exemple"),
      ]);
      restoreFetch = webFingerOverHttp([university.url.host]);
      await followAndApprove(school, university);
      await installCoursefedPlugin(site);
      await siteScript(site, "serve");
      const registered = await registerSiteOnNode(school, site, `campus-${site.tag}`);
      siteToken = registered.siteToken;
      await probeTarget(school.node.services.moodleTargets, registered.target);
      moodle = await makeMoodleFixture(site, stamp);
      await allowFrenchOnMoodle(site);
      await publishRevision(REVISION_1);
      browser = await launchChromium();
      context = await browser.newContext({
        viewport: { width: 1280, height: 900 },
        locale: "en-GB",
      });
      page = await context.newPage();
      await connectPluginToNode(site, school.url, siteToken);
      await signInToMoodle(page, site, moodle.teacher, PASSWORD);
      console.info(
        `Set-up on ${site.name}: ${((performance.now() - started) / 1000).toFixed(1)} s`,
      );
    }, 240_000);
    afterAll(async () => {
      await browser?.close();
      restoreFetch?.();
      await Promise.all([university, school].map((peer) => peer?.stop()));
    });

    it("finds the course by a word of its title among those this site can restore", async () => {
      await connectPluginToNode(site, school.url, siteToken);
      await page.goto(moodleUrl("/my/"));
      // The primary navigation (Moodle's "more menu": its entries are menu items).
      await page
        .locator(".primary-navigation")
        .getByRole("menuitem", { name: "Browse the network" })
        .click();
      await page.waitForURL(/\/local\/coursefed\/browse\.php/);
      await page.getByLabel("Words").fill(stamp);
      await page.getByLabel("Only courses this site can restore").check();
      await page.getByRole("button", { name: "Search" }).click();
      await page.waitForURL(/restorable=1/);
      // Another suite may have pointed the shared site at its own node meanwhile: point it
      // back and load the same search again.
      const count = page.locator(".coursefed-result-count");
      for (let attempt = 1; attempt < 3; attempt++) {
        if ((await count.count()) > 0 && (await count.textContent()) === "1 course(s)") break;
        await connectPluginToNode(site, school.url, siteToken);
        await page.reload();
      }
      expect(
        await page.textContent(".coursefed-result-count"),
        (await page.textContent("#region-main")) ?? "",
      ).toBe("1 course(s)");
      const result = page.locator(".coursefed-result");
      expect(await result.locator("h4").textContent()).toBe(title);
      expect(await result.locator(".coursefed-byline").textContent()).toBe("Université Exemple");
      await screenshot(page, `moodle-browse-en-${site.tag}`);
      expect(await seriousAxeViolations(page, MOODLE_OWN)).toEqual([]);
      // A word no course holds: nothing, and the node says why.
      await page.getByLabel("Words").fill(`absent${stamp}`);
      await page.getByRole("button", { name: "Search" }).click();
      await page.waitForURL(/absent/);
      expect(await page.textContent(".coursefed-result-count")).toBe("0 course(s)");
      expect(await page.locator(".coursefed-result").count()).toBe(0);
    }, 60_000);

    it("shows what the backup holds and that this site restores it", async () => {
      await connectPluginToNode(site, school.url, siteToken);
      await page.goto(moodleUrl(`/local/coursefed/browse.php?search=1&q=${stamp}`));
      await page.getByRole("link", { name: title }).click();
      await page.waitForURL(/\/local\/coursefed\/network_course\.php\?object=/);
      expect(await page.title()).toContain(title);
      expect(await page.textContent("#page-header")).toContain(title);
      expect(await page.textContent(".coursefed-compat")).toContain(
        "This site can restore the course faithfully.",
      );
      expect(await page.textContent(".coursefed-contents")).toContain("Glossary: 1");
    }, 60_000);

    it("imports into the teacher's category, picked by name; the course exists in Moodle", async () => {
      await connectPluginToNode(site, school.url, siteToken);
      await page.getByRole("button", { name: "Import", exact: true }).click();
      await page.waitForURL(/\/local\/coursefed\/import\.php/);
      // Moodle's capabilities decide: the teacher's category alone, by its name.
      const options = await page.locator("#coursefed-categoryid option").allTextContents();
      expect(options).toEqual([moodle.categoryName]);
      await page
        .getByLabel("Category", { exact: true })
        .selectOption({ label: moodle.categoryName });
      // Named after the catalog title unless the teacher names it otherwise.
      const fullName = page.getByLabel("Full name of the new course");
      expect(await fullName.inputValue()).toBe(title);
      await fullName.fill(courseName);
      // The short name is Moodle's (made from the full name) unless the teacher gives one, of
      // at most 100 characters as the node takes it: a longer one is refused, the form kept.
      const shortName = page.getByLabel("Short name of the new course (optional)");
      expect(await shortName.inputValue()).toBe("");
      await shortName.fill("G".repeat(101));
      await Promise.all([
        page.waitForEvent("load"),
        page.getByRole("button", { name: "Import", exact: true }).click(),
      ]);
      expect(page.url()).toContain("/local/coursefed/import.php");
      expect(await page.textContent("#region-main")).toContain(
        "The short name is 101 characters long; a Moodle course's short name holds at most 100: shorten it.",
      );
      expect(await fullName.inputValue()).toBe(courseName);
      expect(await shortName.inputValue()).toBe("G".repeat(101));
      await shortName.fill(courseShortName);
      await screenshot(page, `moodle-import-en-${site.tag}`);
      expect(await seriousAxeViolations(page, MOODLE_OWN)).toEqual([]);
      const form = page.url();
      await untilTheJobStarts(
        async () => {
          await page.goto(form);
          await page
            .getByLabel("Category", { exact: true })
            .selectOption({ label: moodle.categoryName });
          await page.getByLabel("Full name of the new course").fill(courseName);
          await page.getByLabel("Short name of the new course (optional)").fill(courseShortName);
        },
        () => page.getByRole("button", { name: "Import", exact: true }).click(),
      );
      const state = await waitForImport();
      expect(state, (await page.textContent("#region-main")) ?? "").toBe("succeeded");
      const link = page.getByRole("link", { name: "Go to the course" });
      const href = (await link.getAttribute("href")) as string;
      moodleCourseId = Number(new URL(href).searchParams.get("id"));
      const [[fullname, shortname, category] = []] = await queryMoodle(
        site,
        `SELECT fullname, shortname, category FROM mdl_course WHERE id = ${moodleCourseId}`,
      );
      expect(Number(category)).toBe(moodle.category);
      expect(fullname).toBe(courseName);
      expect(shortname).toBe(courseShortName);
      expect(await courseModules(site, moodleCourseId)).toEqual({ glossary: 1 });
      const notice = await noticeOn(href);
      expect(notice).toContain(`From the network: Université Exemple, ${title}, revision 1`);
      expect(notice).not.toContain("Update available");
      // The course's menu leads back to the network too.
      const more = page.locator(".secondary-navigation a", { hasText: "Browse the network" });
      expect(await more.getAttribute("href")).toBe(moodleUrl("/local/coursefed/browse.php"));
    }, 240_000);

    it("offers revision 2 as an update with what changed; applying it (merge) brings its activities", async () => {
      await publishRevision(REVISION_2);
      await connectPluginToNode(site, school.url, siteToken);
      const courseUrl = moodleUrl(`/course/view.php?id=${moodleCourseId}`);
      expect(await noticeOn(courseUrl)).toContain("Update available (revision 1 → 2):");
      const notice = page.locator(".coursefed-network-notice");
      const changes = await notice.locator(".coursefed-changes").textContent();
      expect(changes).toContain("Forum: 0 → 1");
      expect(changes).toContain("Glossary: 1 → 0");
      await screenshot(page, `moodle-update-en-${site.tag}`);
      expect(await seriousAxeViolations(page, MOODLE_OWN)).toEqual([]);
      // Viewing the course made its announcements forum: what the merge adds is counted from here.
      const before = await courseModules(site, moodleCourseId);
      await untilTheJobStarts(
        async () => void (await noticeOn(courseUrl)),
        () => notice.getByRole("link", { name: "Apply (add to the course)" }).click(),
      );
      const state = await waitForImport();
      expect(state, (await page.textContent("#region-main")) ?? "").toBe("succeeded");
      // Merged: revision 1's glossary stays beside revision 2's activities.
      expect(before.glossary).toBe(1);
      expect(await courseModules(site, moodleCourseId)).toEqual({
        ...before,
        folder: 1,
        forum: (before.forum ?? 0) + 1,
        imscp: 1,
        scorm: 1,
      });
      merged = await courseModules(site, moodleCourseId);
      const updated = await noticeOn(courseUrl);
      expect(updated).toContain(`${title}, revision 2`);
      expect(updated).not.toContain("Update available");
    }, 240_000);

    it("dismisses revision 3: the notice no longer offers it, and tells the origin still", async () => {
      await publishRevision(REVISION_1);
      await connectPluginToNode(site, school.url, siteToken);
      const courseUrl = moodleUrl(`/course/view.php?id=${moodleCourseId}`);
      expect(await noticeOn(courseUrl)).toContain("Update available (revision 2 → 3):");
      const notice = page.locator(".coursefed-network-notice");
      // Replacing asks first, naming the course; cancelling leaves it as it is.
      await notice.getByRole("link", { name: "Apply (replace the contents)" }).click();
      await page.waitForURL(/\/local\/coursefed\/update\.php/);
      expect(await page.textContent("#region-main")).toContain(
        `Replace the contents of the course "${courseName}" with "${title}"?`,
      );
      await page.getByRole("button", { name: "Cancel" }).click();
      await page.waitForURL(/\/course\/view\.php/);
      expect(await noticeOn(courseUrl)).toContain("Update available (revision 2 → 3):");
      await notice.getByRole("link", { name: "Dismiss" }).click();
      await page.waitForURL(/\/course\/view\.php/);
      expect(await page.textContent("#region-main")).toContain("The update was dismissed");
      const after = await noticeOn(courseUrl);
      expect(after).toContain(`${title}, revision 2`);
      expect(after).not.toContain("Update available");
      const [[dismissed] = []] = await queryMoodle(
        site,
        `SELECT count(*) FROM mdl_local_coursefed_dismissals WHERE courseid = ${moodleCourseId} AND revision = 3`,
      );
      expect(dismissed).toBe("1");
      // The course was not touched.
      expect(await courseModules(site, moodleCourseId)).toEqual(merged);
    }, 120_000);

    it("shows the pages in French", async () => {
      await connectPluginToNode(site, school.url, siteToken);
      await page.goto(moodleUrl(`/local/coursefed/browse.php?search=1&q=${stamp}&lang=fr`));
      expect(await page.textContent(".coursefed-result-count")).toBe("1 cours");
      expect(await page.textContent("#page-header")).toContain("Parcourir le réseau");
      await screenshot(page, `moodle-browse-fr-${site.tag}`);
      await page.getByRole("link", { name: title }).click();
      await page.getByRole("button", { name: "Importer", exact: true }).click();
      await page.waitForURL(/\/local\/coursefed\/import\.php/);
      expect(await page.textContent("legend")).toBe("Comme nouveau cours");
      expect(await page.getByLabel("Nom abrégé du nouveau cours (facultatif)").inputValue()).toBe(
        "",
      );
      expect(await page.textContent("#coursefed-shortname-hint")).toBe(
        "Laissé vide, Moodle le tire du nom complet.",
      );
      await screenshot(page, `moodle-import-fr-${site.tag}`);
      await publishRevision(REVISION_2);
      expect(await noticeOn(moodleUrl(`/course/view.php?id=${moodleCourseId}`))).toContain(
        "Mise à jour disponible (révision 2 → 4) :",
      );
      await screenshot(page, `moodle-update-fr-${site.tag}`);
      await page.goto(moodleUrl("/my/?lang=en"));
    }, 120_000);

    it("a user without Moodle's right to restore sees no destination, and a forged form is refused", async () => {
      await connectPluginToNode(site, school.url, siteToken);
      const other = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      const them = await other.newPage();
      try {
        await signInToMoodle(them, site, moodle.norights, PASSWORD);
        const importUrl = moodleUrl(
          `/local/coursefed/import.php?object=${encodeURIComponent(object)}`,
        );
        await them.goto(importUrl);
        expect(await them.textContent("#region-main")).toContain(
          "Moodle lets you restore into no category and no course of this site",
        );
        expect(await them.locator("#coursefed-categoryid").count()).toBe(0);
        // The form the teacher saw, posted by hand into the teacher's category.
        const [[before] = []] = await queryMoodle(
          site,
          `SELECT count(*) FROM mdl_course WHERE category = ${moodle.category}`,
        );
        const sesskey = await them.evaluate("M.cfg.sesskey");
        const forged = await them.request.post(importUrl, {
          form: {
            sesskey: String(sesskey),
            destination: "category",
            categoryid: String(moodle.category),
          },
        });
        expect(await forged.text()).toContain(
          `Moodle does not let you create and restore a course in category ${moodle.category}`,
        );
        const forgedCourse = await them.request.post(importUrl, {
          form: {
            sesskey: String(sesskey),
            destination: "course",
            courseid: String(moodleCourseId),
            mode: "replace",
            confirm: "1",
          },
        });
        expect(await forgedCourse.text()).toContain(
          `Moodle does not let you restore into course ${moodleCourseId}`,
        );
        const [[after] = []] = await queryMoodle(
          site,
          `SELECT count(*) FROM mdl_course WHERE category = ${moodle.category}`,
        );
        expect(after).toBe(before);
        // Nor may they apply an update from the course's page: no job reaches the node.
        const jobs = await school.node.services.restores.jobs({ limit: 200, offset: 0 });
        const update = await them.request.post(
          moodleUrl(
            `/local/coursefed/update.php?id=${moodleCourseId}&action=apply&mode=merge&revision=4`,
          ),
          { form: { sesskey: String(sesskey) } },
        );
        expect(update.url()).not.toContain("import_progress");
        expect(await school.node.services.restores.jobs({ limit: 200, offset: 0 })).toHaveLength(
          jobs.length,
        );
      } finally {
        await other.close();
      }
    }, 90_000);

    it("says when the publisher withdrew the course, and offers no update any more", async () => {
      await withdrawCourse(
        domainServices(contextOf(university)),
        university.node.institution,
        courseId,
      );
      await eventually(
        async () => (await school.node.services.catalog.catalogEntry(object))?.deletedAt != null,
      );
      await letCourseNoticesExpire(site);
      const notice = await noticeOn(moodleUrl(`/course/view.php?id=${moodleCourseId}`));
      expect(notice).toContain(`${title}, revision 2`);
      expect(notice).toContain("Its publisher has since withdrawn it from the network");
      expect(notice).not.toContain("Update available");
      // Deleting the course deletes its dismissed updates.
      const dismissals = `SELECT count(*) FROM mdl_local_coursefed_dismissals WHERE courseid = ${moodleCourseId}`;
      expect(await queryMoodle(site, dismissals)).toEqual([["1"]]);
      await moodlePhp(site.moodleDir, `delete_course(${moodleCourseId}, false);`);
      expect(await queryMoodle(site, dismissals)).toEqual([["0"]]);
    }, 60_000);
  },
  { when: haveFixtures() && haveChromium() },
);
