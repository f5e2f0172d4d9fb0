/**
 * Sharing a course from its own page in Moodle (issue 16, item 2), in Chromium, as a
 * teacher (an editingteacher of a course made for the run, not Moodle's admin), in English
 * and in French, on each Moodle release: the course menu's "Share on the network", the
 * state at a glance, the form prefilled from the course, Share (the node backs the course
 * up through its cli target, scans and publishes it, the page follows the job), "Share the
 * changes" (revision 2), Withdraw; a course whose backup holds personal data is refused
 * with what was found; a teacher whose role lacks local/coursefed:share sees no entry and
 * gets Moodle's "no permission" page; a node that cannot be reached is said to be so.
 *
 * Only the fixtures (node, target, site registration, Moodle users and courses) go around
 * the pages; what the node published is checked through its API, as the site sees it.
 */
import type { Browser, BrowserContext, Locator, Page } from "playwright-core";
import { afterAll, beforeAll, beforeEach, expect, it } from "vitest";
import { haveChromium, launchChromium, screenshot } from "../browser/chromium.ts";
import { installCoursefedPlugin } from "../support/moodle-plugin.ts";
import { describeOnEachMoodle, type LiveMoodleSite, siteScript } from "../support/moodle-site.ts";
import { freePort, startTestNode, type TestNode } from "../support/test-node.ts";
import {
  allowFrenchOnMoodle,
  connectPluginToNode,
  newUserPhp,
  registerSiteOnNode,
  signInToMoodle,
} from "./moodle-browser-steps.ts";
import { moodlePhp } from "./picker-fixtures.ts";

const PASSWORD = "Teacher#2026";

/** What the run made on the site, for one language. */
interface ShareFixtures {
  readonly teacher: string;
  /** An editingteacher of `course` whose role is refused local/coursefed:share there. */
  readonly narrowed: string;
  readonly course: number;
  /** A course of `teacher` holding personal data: up to 4.5, its backup keeps it even without users. */
  readonly personal: number;
  /** What holds it: a survey a student answered (up to 4.5), or a comment on a question (5.0 on). */
  readonly kind: "survey" | "comment";
}

/**
 * Makes a category, a course with an HTML summary and tags, and its teachers, and a second
 * course holding personal data: a survey a student answered where there is mod_survey (up
 * to 4.5), whose answers Moodle writes into every backup, even one without user data; else
 * (5.0 on) a question with a comment on it, which a backup without comments leaves out.
 */
async function makeFixtures(site: LiveMoodleSite, lang: string): Promise<ShareFixtures> {
  const stamp = `${lang}${Date.now()}${Math.floor(Math.random() * 1000)}`;
  const made = await moodlePhp(
    site.moodleDir,
    `require_once($CFG->dirroot . '/enrol/locallib.php');
    $stamp = ${JSON.stringify(stamp)};
    $lang = ${JSON.stringify(lang)};
    $category = core_course_category::create(['name' => "Share {$stamp}"]);
    $course = create_course((object) ['fullname' => "Chimie organique & réactions {$stamp}",
      'shortname' => "CHSHARE{$stamp}", 'category' => $category->id,
      'summary' => '<p>Réactions <strong>et</strong> mécanismes</p>', 'summaryformat' => FORMAT_HTML]);
    core_tag_tag::set_item_tags('core', 'course', $course->id, context_course::instance($course->id),
      ['chimie', 'C++ avancé']);
    ${newUserPhp(PASSWORD)}
    $user = fn(string $name) => $newuser(strtolower("{$name}{$stamp}"), ucfirst($name), $stamp, $lang);
    $editing = $DB->get_field('role', 'id', ['shortname' => 'editingteacher'], MUST_EXIST);
    $enrol = function (int $courseid, int $userid, int $roleid) {
      $instance = enrol_get_instances($courseid, true);
      $manual = array_values(array_filter($instance, fn($i) => $i->enrol === 'manual'))[0];
      enrol_get_plugin('manual')->enrol_user($manual, $userid, $roleid);
    };
    $teacher = $user('teacher');
    // The course index drawer closed: open, it covers the page in full-page screenshots.
    set_user_preference('drawer-open-index', 0, $teacher);
    $enrol($course->id, $teacher, $editing);
    // A role of the site's own that may back up but not share: the plugin's capability narrows it. No
    // archetype: installing the plugin again (other tests do) gives new capabilities to archetypes' roles.
    $narrowedrole = create_role("Teacher without sharing {$stamp}", "noshare{$stamp}", '');
    foreach (get_default_capabilities('editingteacher') as $capability => $permission) {
      assign_capability($capability, $permission, $narrowedrole, context_system::instance()->id, true);
    }
    assign_capability('local/coursefed:share', CAP_PROHIBIT, $narrowedrole, context_system::instance()->id, true);
    set_role_contextlevels($narrowedrole, [CONTEXT_COURSE]);
    $narrowed = $user('narrowed');
    $enrol($course->id, $narrowed, $narrowedrole);
    if (file_exists($CFG->dirroot . '/mod/survey/version.php')) {
      $personalcourse = create_course((object) ['fullname' => "Enquête {$stamp}", 'shortname' => "SURVEY{$stamp}",
        'category' => $category->id]);
      $enrol($personalcourse->id, $teacher, $editing);
      $DB->set_field('modules', 'visible', 1, ['name' => 'survey']);
      $template = $DB->get_field('survey', 'id', ['template' => 0, 'name' => 'attlsname'], MUST_EXIST);
      $survey = create_module((object) ['modulename' => 'survey', 'course' => $personalcourse->id, 'section' => 0,
        'name' => 'ATTLS', 'introeditor' => ['text' => '', 'format' => FORMAT_HTML, 'itemid' => 0],
        'template' => $template, 'visible' => 1]);
      $student = $user('student');
      foreach ([1, 2] as $question) {
        $DB->insert_record('survey_answers', ['userid' => $student, 'survey' => $survey->instance,
          'question' => $question, 'time' => time(), 'answer1' => '3', 'answer2' => '']);
      }
      $personal = (int) $personalcourse->id;
      $kind = 'survey';
    } else {
      // From 5.0: a question of the course's bank with a colleague's comment on it.
      require_once($CFG->dirroot . '/comment/lib.php');
      require_once($CFG->libdir . '/questionlib.php');
      $personalcourse = create_course((object) ['fullname' => "Banque {$stamp}", 'shortname' => "QBANK{$stamp}",
        'category' => $category->id]);
      $enrol($personalcourse->id, $teacher, $editing);
      $bank = create_module((object) ['modulename' => 'qbank', 'course' => $personalcourse->id, 'section' => 0,
        'name' => 'Banque', 'introeditor' => ['text' => '', 'format' => FORMAT_HTML, 'itemid' => 0], 'visible' => 1]);
      $bankcontext = context_module::instance($bank->coursemodule);
      $questioncategory = question_get_default_category($bankcontext->id, true);
      $text = fn(string $text) => ['text' => $text, 'format' => FORMAT_HTML];
      $question = question_bank::get_qtype('truefalse')->save_question(
        (object) ['category' => $questioncategory->id, 'qtype' => 'truefalse'],
        (object) ['category' => "{$questioncategory->id},{$bankcontext->id}", 'name' => 'Vrai ou faux',
          'questiontext' => $text('Vrai ?'), 'generalfeedback' => $text(''), 'defaultmark' => 1, 'correctanswer' => 1,
          'feedbacktrue' => $text(''), 'feedbackfalse' => $text(''), 'penalty' => 1,
          'status' => \\core_question\\local\\bank\\question_version_status::QUESTION_STATUS_READY]);
      $comment = new comment((object) ['context' => $bankcontext, 'course' => $personalcourse, 'area' => 'question',
        'itemid' => $question->id, 'component' => 'qbank_comment']);
      $comment->add('Une bonne question');
      $personal = (int) $personalcourse->id;
      $kind = 'comment';
    }
    echo json_encode(['kind' => $kind, 'teacher' => strtolower("teacher{$stamp}"), 'narrowed' => strtolower("narrowed{$stamp}"),
      'course' => (int) $course->id, 'personal' => $personal]);`,
  );
  return JSON.parse(made.split("\n").pop() as string) as ShareFixtures;
}

const TEXT = {
  en: {
    entry: "Share on the network",
    notShared: "This course is not shared on the network.",
    share: "Share",
    shareChanges: "Share the changes",
    shared: (revision: number) => `Shared on the network as revision ${revision}`,
    withdraw: "Withdraw from the network",
    withdrawn: "Withdrawn from the network on",
    personal: "holds personal data",
    answers: "records of students' work in activities",
    unreachable: "could not be reached",
    title: "Title",
  },
  fr: {
    entry: "Partager sur le réseau",
    notShared: "Ce cours n'est pas partagé sur le réseau.",
    share: "Partager",
    shareChanges: "Partager les modifications",
    shared: (revision: number) => `Partagé sur le réseau en révision ${revision}`,
    withdraw: "Retirer du réseau",
    withdrawn: "Retiré du réseau le",
    personal: "contient des données personnelles",
    answers: "traces du travail d'étudiants dans des activités",
    unreachable: "n'a pas pu être joint",
    title: "Titre",
  },
} as const;

describeOnEachMoodle(
  "sharing a course from its page as a teacher, in a browser",
  (site) => {
    let node: TestNode;
    let siteToken: string;
    let browser: Browser;

    /** What the node says of a Moodle course, asked as the site. */
    async function stateOnNode(courseId: number) {
      const response = await fetch(new URL(`/api/v1/site/courses/${courseId}`, node.url), {
        headers: { authorization: `Bearer ${siteToken}` },
      });
      expect(response.status).toBe(200);
      return (await response.json()) as {
        shared: boolean;
        course: { revision: number; title: string; tags: string[]; summary: string | null };
        withdrawnAt: string | null;
      };
    }

    async function signIn(context: BrowserContext, username: string): Promise<Page> {
      const page = await context.newPage();
      await signInToMoodle(page, site, username, PASSWORD);
      return page;
    }

    /** The course menu's link to the share page ("More" holds it), hidden or not: none when absent. */
    async function menuEntry(page: Page, courseId: number, name: string) {
      await page.goto(new URL(`/course/view.php?id=${courseId}`, site.wwwroot).href);
      const entry = page.locator('.secondary-navigation a[href*="/local/coursefed/share.php"]');
      if ((await entry.count()) > 0) {
        expect((await entry.first().textContent())?.trim()).toBe(name);
      }
      return entry;
    }

    /**
     * Presses a button of the share page and waits, the page refreshing itself, until the
     * node's job is over.
     */
    async function pressAndSettle(page: Page, button: Locator): Promise<void> {
      // The form posts to the page, which redirects to itself: its URL does not change.
      const navigated = page.waitForEvent("framenavigated");
      await button.click();
      await navigated;
      await page.waitForLoadState("load");
      // Asked of one document at once: between two refreshes there is none to ask.
      const settled = () =>
        page
          .evaluate(
            "document.readyState === 'complete' && document.querySelector('.local_coursefed-share-state') !== null && document.querySelector('.coursefed-share-progress') === null",
          )
          .catch(() => false);
      await expect.poll(settled, { timeout: 120_000, interval: 1000 }).toBe(true);
    }

    beforeAll(async () => {
      await installCoursefedPlugin(site);
      await siteScript(site, "serve");
      await allowFrenchOnMoodle(site);
      node = await startTestNode("univ", "Université Exemple");
      ({ siteToken } = await registerSiteOnNode(node, site, `campus-${site.tag}`));
      await connectPluginToNode(site, node.url, siteToken);
      browser = await launchChromium();
    }, 240_000);

    // The plugin's registration is the site's: other suites point it at their nodes too
    // (one file at a time in a run, but runs may overlap on a developer's machine).
    beforeEach(async () => {
      if (node) await connectPluginToNode(site, node.url, siteToken);
    });

    afterAll(async () => {
      await browser?.close();
      await node?.stop();
    });

    for (const lang of ["en", "fr"] as const) {
      const text = TEXT[lang];
      let fixtures: ShareFixtures;
      let context: BrowserContext;
      let page: Page;

      it(`${lang}: opens the share page from the course menu, the form prefilled from the course`, async () => {
        fixtures = await makeFixtures(site, lang);
        context = await browser.newContext({
          viewport: { width: 1280, height: 900 },
          locale: lang,
        });
        page = await signIn(context, fixtures.teacher);
        const entry = await menuEntry(page, fixtures.course, text.entry);
        // Followed rather than clicked: "More" opens by script, which a loaded machine delays.
        await page.goto(
          new URL((await entry.first().getAttribute("href")) as string, site.wwwroot).href,
        );
        expect(await page.textContent(".coursefed-share-status")).toBe(text.notShared);
        expect(await page.inputValue("#id_title")).toMatch(/^Chimie organique & réactions /);
        expect(await page.inputValue("#id_summary")).toBe("Réactions et mécanismes");
        expect(await page.inputValue("#id_tags")).toBe("chimie, C avancé");
        await screenshot(page, `moodle-share-${lang}-${site.tag}`);
      }, 120_000);

      it(`${lang}: shares the course; the page follows the node's job to revision 1`, async () => {
        await page.fill("#id_tags", "chimie, chimie organique");
        await page.selectOption("#id_visibility", "followers");
        await pressAndSettle(page, page.getByRole("button", { name: text.share, exact: true }));
        expect(await page.textContent(".coursefed-share-status")).toContain(text.shared(1));
        const state = await stateOnNode(fixtures.course);
        expect(state.shared).toBe(true);
        expect(state.course).toMatchObject({
          revision: 1,
          tags: ["chimie", "chimie organique"],
          summary: "Réactions et mécanismes",
        });
        await screenshot(page, `moodle-share-shared-${lang}-${site.tag}`);
      }, 180_000);

      // The rest once, in English: the French pages above show the same code at work.
      if (lang !== "en") continue;

      it(`${lang}: shares the changes as revision 2, then withdraws after a confirmation`, async () => {
        expect(await page.inputValue("#id_tags")).toBe("chimie, chimie organique");
        await page.fill("#id_title", "Chimie organique, deuxième version");
        await pressAndSettle(page, page.getByRole("button", { name: text.shareChanges }));
        expect(await page.textContent(".coursefed-share-status")).toContain(text.shared(2));
        expect((await stateOnNode(fixtures.course)).course).toMatchObject({
          revision: 2,
          title: "Chimie organique, deuxième version",
        });

        await page.getByRole("button", { name: text.withdraw }).click();
        await page.waitForURL(/action=withdraw/);
        expect(await page.textContent("#region-main")).toContain("Chimie organique & réactions");
        await Promise.all([
          page.waitForURL((url) => !url.search.includes("action=withdraw")),
          page
            .locator(".modal-footer, .confirmation-buttons, [role=alertdialog]")
            .getByRole("button", { name: text.withdraw })
            .click(),
        ]);
        expect(await page.textContent(".coursefed-share-status")).toContain(text.withdrawn);
        const state = await stateOnNode(fixtures.course);
        expect(state.shared).toBe(false);
        expect(state.withdrawnAt).not.toBeNull();
      }, 240_000);

      // Up to 4.5 a survey's answers are written into every backup, with or without users,
      // so the scan refuses the course. Moodle 5.0 removed mod_survey and writes a question
      // bank's comments (activities/qbank_N/comments.xml) only under the "comments" setting,
      // which a share's backup turns off: the same kind of course is shared there, clean.
      const withSurvey = site.release === "4.5";
      it(withSurvey
        ? `${lang}: refuses a course whose backup holds personal data, saying what was found`
        : `${lang}: shares a course whose question has a comment, leaving the comment out`, async () => {
        await page.goto(
          new URL(`/local/coursefed/share.php?id=${fixtures.personal}`, site.wwwroot).href,
        );
        await pressAndSettle(page, page.getByRole("button", { name: text.share, exact: true }));
        if (!withSurvey) {
          expect(fixtures.kind).toBe("comment");
          expect(await page.textContent(".coursefed-share-status")).toContain(text.shared(1));
          expect((await stateOnNode(fixtures.personal)).shared).toBe(true);
          return;
        }
        const failure = await page.textContent(".coursefed-share-failure");
        expect(failure).toContain(text.personal);
        expect(fixtures.kind).toBe("survey");
        expect(failure).toContain(`2 ${text.answers}`);
        expect(failure).toContain("survey");
        expect(await page.textContent(".coursefed-share-status")).toBe(text.notShared);
        expect((await stateOnNode(fixtures.personal)).shared).toBe(false);
      }, 180_000);

      it(`${lang}: says so when the node cannot be reached`, async () => {
        await connectPluginToNode(site, `http://127.0.0.1:${await freePort()}`, siteToken);
        try {
          await page.goto(
            new URL(`/local/coursefed/share.php?id=${fixtures.course}`, site.wwwroot).href,
          );
          expect(await page.textContent("#region-main .alert-danger")).toContain(text.unreachable);
          expect(await page.locator("#id_title").count()).toBe(0);
        } finally {
          await connectPluginToNode(site, node.url, siteToken);
        }
      }, 60_000);

      it(`${lang}: gives a teacher whose role may not share no entry, and Moodle's refusal`, async () => {
        const other = await browser.newContext({
          viewport: { width: 1280, height: 900 },
          locale: lang,
        });
        try {
          const narrowed = await signIn(other, fixtures.narrowed);
          const entry = await menuEntry(narrowed, fixtures.course, text.entry);
          expect(await entry.count()).toBe(0);
          await narrowed.goto(
            new URL(`/local/coursefed/share.php?id=${fixtures.course}`, site.wwwroot).href,
          );
          expect(await narrowed.textContent("#region-main")).toContain(
            "Sorry, but you do not currently have permissions to do that",
          );
          expect(await narrowed.locator("#id_title").count()).toBe(0);
        } finally {
          await other.close();
        }
      }, 60_000);
    }
  },
  { when: haveChromium() },
);
