/**
 * The plugin at its boundaries, against a node that says hostile things: what another
 * institution wrote (a course's title, summary, tags, lineage, a compatibility problem), the
 * node's own error messages and the links it gives are shown as text in Moodle, never run;
 * the token goes only to a node whose certificate Moodle can verify; an answer past the
 * plugin's bound is refused, not read into memory; the progress page of an import lets only
 * the user who asked for it into the new course, not whoever opens its address.
 *
 * The "node" is a small HTTP server of the test's own answering the plugin's calls with
 * crafted JSON, as a compromised node, or one relaying a hostile peer's course, would. The
 * site's registration is shared by every Moodle suite: each page is loaded after pointing
 * the plugin back at this server, and again if another suite pointed it elsewhere meanwhile.
 */
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createTlsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { promisify } from "node:util";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { haveChromium, launchChromium } from "../browser/chromium.ts";
import { installCoursefedPlugin } from "../support/moodle-plugin.ts";
import { describeOnEachMoodle, type LiveMoodleSite, siteScript } from "../support/moodle-site.ts";
import { scratchDirectory } from "../support/scratch-directory.ts";
import { connectPluginToNode, newUserPhp, signInToMoodle } from "./moodle-browser-steps.ts";
import { moodlePhp } from "./picker-fixtures.ts";

const PASSWORD = "Hostile#2026";
const TOKEN = "hostile-site-token-0123456789";
/** What a page runs if it lets the node's text through as HTML. */
const RUN = "document.body.dataset.pwned='1'";
/** The largest answer the plugin reads (node_client::MAX_ANSWER_BYTES). */
const MAX_ANSWER_BYTES = 8 * 1024 * 1024;

const scratch = scratchDirectory("coursefed-hostile-node-");

interface Fixture {
  /** An editing teacher of `course` who may also import in the category (a role of the run's own). */
  readonly teacher: string;
  /** Who may import into the category too, and is no teacher of any of its courses. */
  readonly colleague: string;
  /** A manager over the site: every capability, the site's front page included. */
  readonly manager: string;
  readonly course: number;
  /** A course of the teacher's that the node says came from the network, with an update. */
  readonly updated: number;
  /** The course the node says a new-course import made. */
  readonly imported: number;
  readonly restorerRole: number;
}

/**
 * A category with two courses; a role that may create, restore and import there and nothing
 * else (so that the progress page's grant is what lets its holder into a course); a teacher
 * of the first course holding that role over the category, and a colleague holding it alone.
 */
async function makeFixture(site: LiveMoodleSite, stamp: string): Promise<Fixture> {
  const out = await moodlePhp(
    site.moodleDir,
    `${newUserPhp(PASSWORD)}
    $stamp = ${JSON.stringify(stamp)};
    $category = core_course_category::create(['name' => "Hostile node $stamp"]);
    $course = create_course((object) ['fullname' => "Chimie $stamp", 'shortname' => "HOSTILE$stamp",
      'category' => $category->id]);
    $updated = create_course((object) ['fullname' => "Mis à jour $stamp", 'shortname' => "HOSTUPD$stamp",
      'category' => $category->id]);
    $imported = create_course((object) ['fullname' => "Importé $stamp", 'shortname' => "HOSTIMP$stamp",
      'category' => $category->id]);
    $teacher = $newuser("hostile-teacher-$stamp", 'Camille', 'Test');
    $colleague = $newuser("hostile-colleague-$stamp", 'Dominique', 'Test');
    $manager = $newuser("hostile-manager-$stamp", 'Alex', 'Test');
    role_assign($DB->get_field('role', 'id', ['shortname' => 'manager'], MUST_EXIST), $manager, context_system::instance());
    foreach ([$course, $updated] as $teaching) {
      $manual = array_values(array_filter(enrol_get_instances($teaching->id, true), fn($i) => $i->enrol === 'manual'))[0];
      enrol_get_plugin('manual')->enrol_user($manual, $teacher,
        $DB->get_field('role', 'id', ['shortname' => 'editingteacher'], MUST_EXIST));
    }
    // No archetype: installing the plugin again (other suites do) gives new capabilities to archetypes' roles.
    $importer = create_role("coursefed importer $stamp", "cfimporter$stamp", '');
    set_role_contextlevels($importer, [CONTEXT_COURSECAT]);
    foreach (['moodle/course:create', 'moodle/restore:restorecourse', 'local/coursefed:import'] as $capability) {
      assign_capability($capability, CAP_ALLOW, $importer, context_system::instance()->id, true);
    }
    role_assign($importer, $teacher, context_coursecat::instance($category->id));
    role_assign($importer, $colleague, context_coursecat::instance($category->id));
    foreach ([$teacher, $colleague, $manager] as $userid) {
      foreach ($DB->get_fieldset_select('tool_usertours_tours', 'id', 'enabled = 1') as $tour) {
        set_user_preference("tool_usertours_tour_completion_time_$tour", time(), $userid);
      }
    }
    echo json_encode(['teacher' => "hostile-teacher-$stamp", 'colleague' => "hostile-colleague-$stamp",
      'manager' => "hostile-manager-$stamp",
      'course' => (int) $course->id, 'updated' => (int) $updated->id, 'imported' => (int) $imported->id, 'restorerRole' => (int) $CFG->restorernewroleid]);`,
  );
  return JSON.parse(out.split("\n").pop() as string) as Fixture;
}

/** A self-signed certificate for 127.0.0.1, which nothing trusts. */
async function selfSignedCertificate(): Promise<{ key: string; cert: string }> {
  const key = scratch.path("node.key");
  const cert = scratch.path("node.crt");
  await promisify(execFile)("openssl", [
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:P-256",
    "-nodes",
    "-keyout",
    key,
    "-out",
    cert,
    "-days",
    "1",
    "-subj",
    "/CN=127.0.0.1",
    "-addext",
    "subjectAltName=IP:127.0.0.1",
  ]);
  return { key: await readFile(key, "utf8"), cert: await readFile(cert, "utf8") };
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describeOnEachMoodle(
  "a hostile node's answers, inside Moodle",
  (site) => {
    const stamp = `${Date.now()}${Math.floor(Math.random() * 1000)}`;
    /** Shows as text where the plugin escapes it; runs RUN where it does not. */
    const hostile = `<img src="x" onerror="${RUN}"> <b>refused</b> by node ${stamp}`;
    const object = `https://peer.example/courses/${stamp}`;
    const ownJob = `own-${stamp}`;
    let fixture: Fixture;
    let node: Server;
    let nodeUrl: string;
    let tlsNode: Server;
    let tlsNodeUrl: string;
    /** The paths the node was asked for. */
    const asked: string[] = [];
    /** The requests the TLS node received: none may reach it with the token. */
    const tlsRequests: string[] = [];
    let browser: Browser;
    const contexts: BrowserContext[] = [];
    /** The teacher's, the colleague's and the manager's pages, signed in once for the file. */
    let page: Page;
    let colleague: Page;
    let manager: Page;

    const json = (response: ServerResponse, status: number, body: unknown) => {
      response.writeHead(status, { "content-type": "application/json" });
      response.end(JSON.stringify(body));
    };
    const refuse = (response: ServerResponse, status: number) =>
      json(response, status, { error: { code: "hostile", message: hostile } });

    /** A catalog course whose every field another institution wrote. */
    const hostileCourse = () => ({
      object,
      title: `<script>${RUN}</script>Chimie ${stamp}`,
      summary: `<p>Résumé</p><script>${RUN}</script><a href="javascript:${RUN}">lien</a><img src="x" onerror="${RUN}">`,
      institution: {
        name: `<img src="x" onerror="${RUN}">Université`,
        host: "peer.example",
        actor: "a",
      },
      author: { actor: "b", name: `<b onmouseover="${RUN}">Prof</b>`, handle: "prof" },
      revision: 1,
      size: 1234,
      moodleRelease: `<i>4.5</i>`,
      tags: [`<script>${RUN}</script>`],
      withdrawn: false,
      revisions: [
        {
          revision: 1,
          publishedAt: "2026-12-06T10:00:00.000Z",
          size: 1234,
          manifest: {
            sections: 2,
            activities: { [`<img src=x onerror="${RUN}">`]: 1 },
            languages: ["<b>fr</b>"],
            requiredPlugins: [`<script>${RUN}</script>`],
            license: `<a href="javascript:${RUN}">cc-by</a>`,
          },
        },
      ],
      lineage: [
        {
          object: `javascript:${RUN}`,
          revision: 1,
          title: `<script>${RUN}</script>Source`,
          authors: [`<img src=x onerror="${RUN}">`],
          institution: "<b>Ailleurs</b>",
          license: "<i>cc</i>",
          url: `javascript:${RUN}`,
          known: "catalog",
        },
      ],
    });

    function answer(request: IncomingMessage, response: ServerResponse) {
      const url = new URL(request.url ?? "/", "http://node.invalid");
      const path = url.pathname.replace(/^\/api\/v1/, "");
      asked.push(path);
      if (request.headers.authorization !== `Bearer ${TOKEN}`) return refuse(response, 401);
      if (path === "/catalog") return refuse(response, 503);
      if (path === "/catalog/course") {
        return url.searchParams.get("object") === object
          ? json(response, 200, hostileCourse())
          : refuse(response, 404);
      }
      if (path === "/catalog/compatibility") {
        return json(response, 200, {
          object,
          revision: 1,
          targets: [
            {
              target: "site",
              probed: true,
              restorable: false,
              problems: [{ kind: "missing_plugin", message: hostile }],
            },
          ],
        });
      }
      if (path === `/site/courses/${fixture.course}/origin`) return refuse(response, 502);
      if (path === `/site/courses/${fixture.updated}/origin`) {
        return json(response, 200, {
          origin: {
            object,
            title: `<script>${RUN}</script>Chimie ${stamp}`,
            institution: { name: `<b>Université</b>`, host: "peer.example" },
            teacher: { name: `<i>Prof</i>`, handle: "prof" },
            revision: 1,
            latestRevision: 2,
            updateAvailable: true,
            withdrawn: false,
            // What a manifest says, as a node that passes it on unchecked would tell it.
            changes: {
              title: { before: "<b>avant</b>", after: `<script>${RUN}</script>` },
              sections: { before: `<img src="x" onerror="${RUN}">`, after: 3 },
              activities: [{ module: `<img src="x" onerror="${RUN}">`, before: 0, after: 1 }],
              size: { before: 1, after: 2048 },
            },
          },
        });
      }
      if (path === "/catalog/changes") return refuse(response, 500);
      if (path === `/site/courses/${fixture.course}`) {
        return json(response, 200, {
          shared: true,
          course: {
            title: `<script>${RUN}</script>Chimie ${stamp}`,
            url: `javascript:${RUN}`,
            revision: 1,
            publishedAt: "2026-12-06T10:00:00.000Z",
            visibility: "public",
            tags: ["chimie"],
            license: null,
            author: `<b>Prof</b> ${stamp}`,
          },
          job: null,
          withdrawnAt: null,
        });
      }
      if (path === "/site/imports" && request.method === "POST") {
        return json(response, 202, { job: { id: ownJob, state: "queued" }, repeat: false });
      }
      if (path === `/site/imports/${ownJob}`) {
        return json(response, 200, {
          id: ownJob,
          object,
          revision: 1,
          destination: { kind: "new-course", categoryId: 0 },
          state: "succeeded",
          problems: [],
          moodleCourseId: fixture.imported,
          errorMessage: null,
        });
      }
      if (path === "/huge") {
        // Chunked, no length: the bound must hold while the answer arrives.
        response.writeHead(200, { "content-type": "application/json" });
        response.write('{"pad":"');
        const chunk = "a".repeat(64 * 1024);
        for (let sent = 0; sent <= MAX_ANSWER_BYTES; sent += chunk.length) response.write(chunk);
        response.end('"}');
        return;
      }
      refuse(response, 404);
    }

    async function signIn(username: string): Promise<Page> {
      const context = await browser.newContext();
      contexts.push(context);
      const page = await context.newPage();
      await signInToMoodle(page, site, username, PASSWORD);
      return page;
    }

    /**
     * Opens a page of the site with the plugin pointed at this test's node, until the page
     * shows `expected` (what only this node says): another suite may have pointed it away.
     */
    async function visit(page: Page, path: string, expected: string): Promise<void> {
      for (let attempt = 1; ; attempt++) {
        await connectPluginToNode(site, `http://${nodeUrl}`, TOKEN);
        await page.goto(new URL(path, site.wwwroot).href);
        const shown = await page.locator("body").innerText();
        if (shown.includes(expected)) return;
        if (attempt === 3) throw new Error(`${path} never showed "${expected}": ${shown}`);
      }
    }

    /** Nothing the node said ran, or became an element or a link. */
    async function expectInert(page: Page): Promise<void> {
      expect(await page.evaluate("document.body.dataset.pwned ?? null")).toBeNull();
      expect(await page.locator("[onerror], [onmouseover]").count()).toBe(0);
      expect(await page.locator('#region-main a[href^="javascript:" i]').count()).toBe(0);
      const scripts = await page.locator("script").allTextContents();
      expect(scripts.filter((script) => script.includes("pwned"))).toEqual([]);
    }

    /** The user's role assignments in a course's context. */
    async function rolesIn(username: string, courseId: number): Promise<number[]> {
      const out = await moodlePhp(
        site.moodleDir,
        `$userid = $DB->get_field('user', 'id', ['username' => ${JSON.stringify(username)}], MUST_EXIST);
        echo json_encode(array_map('intval', $DB->get_fieldset_select('role_assignments', 'roleid',
          'userid = ? AND contextid = ?', [$userid, context_course::instance(${courseId})->id])));`,
      );
      return JSON.parse(out) as number[];
    }

    beforeAll(async () => {
      await installCoursefedPlugin(site);
      await siteScript(site, "serve");
      fixture = await makeFixture(site, stamp);
      node = createServer(answer);
      nodeUrl = await listen(node);
      tlsNode = createTlsServer(await selfSignedCertificate(), (request, response) => {
        tlsRequests.push(`${request.method} ${request.url} ${request.headers.authorization ?? ""}`);
        json(response, 200, { institution: { name: "MITM" }, target: { name: "MITM" } });
      });
      tlsNodeUrl = await listen(tlsNode);
      browser = await launchChromium();
      [page, colleague, manager] = await Promise.all([
        signIn(fixture.teacher),
        signIn(fixture.colleague),
        signIn(fixture.manager),
      ]);
    }, 240_000);

    afterAll(async () => {
      for (const context of contexts) await context.close();
      await browser?.close();
      await new Promise((resolve) => node?.close(resolve));
      await new Promise((resolve) => tlsNode?.close(resolve));
    });

    it("sends the token only to a node whose certificate Moodle can verify", async () => {
      const out = await moodlePhp(
        site.moodleDir,
        `try {
          (new \\local_coursefed\\local\\node_client('https://${tlsNodeUrl}', ${JSON.stringify(TOKEN)}))->request('GET', '/site');
          echo json_encode(['answered' => true]);
        } catch (\\local_coursefed\\local\\node_error $e) {
          echo json_encode(['code' => $e->problemcode, 'message' => $e->plaintext]);
        }`,
      );
      const result = JSON.parse(out) as { code?: string; message?: string };
      expect(result.code).toBe("unreachable");
      expect(result.message).toMatch(/certificate/i);
      expect(tlsRequests).toEqual([]);
    });

    it("links the institution on the settings page only at a web address", async () => {
      // What a node answered when its code was saved, drawn as the settings page does; the site's
      // own registration is put back in the same PHP run, so no other suite sees this one.
      const out = await moodlePhp(
        site.moodleDir,
        `$saved = get_config('local_coursefed');
        set_config('nodeurl', 'http://${nodeUrl}', 'local_coursefed');
        set_config('sitetoken', ${JSON.stringify(TOKEN)}, 'local_coursefed');
        set_config('site', json_encode(['institution' => ['name' => '<b>Université</b> ${stamp}', 'handle' => 'univ',
          'url' => "javascript:${RUN}"], 'node' => ['url' => 'http://${nodeUrl}'], 'target' => ['name' => 'campus',
          'driver' => 'cli']]), 'local_coursefed');
        try {
          $html = \\local_coursefed\\local\\site_connection::describe();
        } finally {
          foreach (['nodeurl', 'sitetoken', 'site'] as $name) {
            isset($saved->$name) ? set_config($name, $saved->$name, 'local_coursefed') : unset_config($name, 'local_coursefed');
          }
        }
        echo json_encode($html);`,
      );
      const html = JSON.parse(out) as string;
      expect(html).toContain(`&lt;b&gt;Université&lt;/b&gt; ${stamp}`);
      expect(html).not.toMatch(/href="\s*javascript:/i);
    });

    it("refuses an answer larger than its bound as it arrives", async () => {
      const out = await moodlePhp(
        site.moodleDir,
        `try {
          $answer = (new \\local_coursefed\\local\\node_client('http://${nodeUrl}', ${JSON.stringify(TOKEN)}))->request('GET', '/huge');
          echo json_encode(['answered' => strlen($answer['pad'] ?? '')]);
        } catch (\\local_coursefed\\local\\node_error $e) {
          echo json_encode(['code' => $e->problemcode, 'message' => $e->plaintext]);
        }`,
      );
      const result = JSON.parse(out) as { code?: string; message?: string };
      expect(result.code).toBe("bad_response");
      expect(result.message).toContain("an answer larger than 8");
    });

    it("shows the node's error messages as text: a search, a course's page, after a redirect", async () => {
      const said = `by node ${stamp}`;
      await visit(page, "/local/coursefed/browse.php?search=1&q=chimie", said);
      await expectInert(page);
      expect(await page.locator("#region-main").innerText()).toContain(`<b>refused</b> ${said}`);

      await visit(
        page,
        `/local/coursefed/network_course.php?object=${encodeURIComponent(`${object}/missing`)}`,
        said,
      );
      await expectInert(page);
      expect(await page.locator("#region-main").innerText()).toContain(`<img src="x"`);

      // The node refuses the course's origin: changes.php goes back to the course, saying why.
      await visit(page, `/local/coursefed/changes.php?id=${fixture.course}`, said);
      expect(new URL(page.url()).pathname).toBe("/course/view.php");
      await expectInert(page);
      expect(await page.locator("body").innerText()).toContain(`<b>refused</b> ${said}`);
    });

    it("tells what an update changes as text, on the course's page and the changes page", async () => {
      await visit(page, `/course/view.php?id=${fixture.updated}`, "<i>Prof</i>");
      await expectInert(page);
      const notice = await page.locator(".coursefed-network-notice").innerText();
      expect(notice).toContain("<b>avant</b>");
      expect(notice).toContain("Sections: 0 → 3");

      await visit(page, `/local/coursefed/changes.php?id=${fixture.updated}`, `by node ${stamp}`);
      await expectInert(page);
      // Escaped once: the node's words read as it wrote them, no entity shows.
      expect(await page.locator("#region-main").innerText()).toContain(
        `<b>refused</b> by node ${stamp}`,
      );
    });

    it("refuses the site's front page as a course to import into or update, before asking the node", async () => {
      for (const action of ["changes.php?id=1", "update.php?id=1&action=dismiss&revision=2"]) {
        await connectPluginToNode(site, `http://${nodeUrl}`, TOKEN);
        await manager.goto(new URL(`/local/coursefed/${action}`, site.wwwroot).href);
        expect(await manager.locator("body").innerText()).toContain(
          "Moodle does not let you restore into course 1",
        );
      }
      expect(asked).not.toContain("/site/courses/1/origin");
      // Nor is it offered as a course to import into.
      await visit(
        manager,
        `/local/coursefed/import.php?object=${encodeURIComponent(object)}`,
        stamp,
      );
      expect(await manager.locator('#coursefed-courseid option[value="1"]').count()).toBe(0);
      expect(await manager.locator("#coursefed-courseid option").count()).toBeGreaterThan(0);
    });

    it("links the course's page on the node only at a web address", async () => {
      await visit(page, `/local/coursefed/share.php?id=${fixture.course}`, `</b> ${stamp}`);
      await expectInert(page);
      const details = await page.locator(".coursefed-share-details").innerText();
      expect(details).toContain(`<script>${RUN}</script>Chimie ${stamp}`);
      expect(details).toContain(`<b>Prof</b> ${stamp}`);
    });

    it("shows a hostile peer's course as text on its page and the import page", async () => {
      const title = `<script>${RUN}</script>Chimie ${stamp}`;
      await visit(
        page,
        `/local/coursefed/network_course.php?object=${encodeURIComponent(object)}`,
        stamp,
      );
      await expectInert(page);
      const main = await page.locator("#region-main").innerText();
      for (const text of [
        `<i>4.5</i>`,
        `<b>Ailleurs</b>`,
        `<img src="x" onerror="${RUN}">Université`,
        `<b>refused</b>`,
      ]) {
        expect(main).toContain(text);
      }
      expect(await page.title()).toContain(title);

      await visit(page, `/local/coursefed/import.php?object=${encodeURIComponent(object)}`, stamp);
      await expectInert(page);
      expect(await page.locator("#coursefed-fullname").inputValue()).toBe(title);
    });

    it("lets into an imported course the user who asked for the import, not whoever opens its progress page", async () => {
      await visit(page, `/local/coursefed/import.php?object=${encodeURIComponent(object)}`, stamp);
      await Promise.all([
        page.waitForURL(/\/local\/coursefed\/import_progress\.php\?job=/),
        page.locator('form.coursefed-import button[type="submit"]').click(),
      ]);
      await expect
        .poll(() => page.locator(".coursefed-import-state").getAttribute("data-state"))
        .toBe("succeeded");
      expect(await rolesIn(fixture.teacher, fixture.imported)).toEqual([fixture.restorerRole]);

      // The colleague may import into the same category, and got the progress page's address.
      await visit(
        colleague,
        `/local/coursefed/import_progress.php?job=${ownJob}`,
        "Go to the course",
      );
      expect(await rolesIn(fixture.colleague, fixture.imported)).toEqual([]);
    });
  },
  { when: haveChromium() },
);
