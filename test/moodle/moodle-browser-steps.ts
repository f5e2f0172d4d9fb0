/**
 * Steps the Moodle browser tests share on the test site: signing a user in, a French
 * language Moodle offers, the plugin pointed at a test node. The site is shared by every
 * Moodle suite running at once, which is why each step copes with what the others do.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { TokenRepository } from "../../packages/node/src/tokens/token-repository.ts";
import type { LiveMoodleSite } from "../support/moodle-site.ts";
import type { TestNode } from "../support/test-node.ts";
import { moodlePhp } from "./picker-fixtures.ts";

/**
 * Whether the scripts of the Moodle page are done, as Moodle's own Behat steps wait for them:
 * the document loaded and M.util.pending_js empty (core/first counts jQuery's requests there,
 * core/templates its renders). A login page is not ready before: its script rebuilds the
 * password field with a show/hide button once that template arrives, after the load event
 * (core/togglesensitive sets the field's outerHTML, which makes a new, empty field), and its
 * media_videojs_get_language call still carries the session from before the sign-in. The
 * rebuilt field is looked for by name too, since a module is required a tick after the
 * pending count of the script asking for it has dropped. Also done: a page whose script
 * bundle failed to load, where none of the page's scripts runs (after a purge of the 4.5.6
 * site's caches, Moodle's first answer for requirejs.php says gzip and is not compressed,
 * which the browser refuses; later answers come from its cache). A string: it runs in the page.
 */
const MOODLE_SCRIPTS_SETTLED = `(() => {
  if (document.readyState !== "complete") return false;
  if (typeof requirejs === "function" && requirejs.s.contexts._.registry["core/first"]?.error) return true;
  if (typeof M === "object" && typeof M.util === "object" && M.util.pending_js.length > 0) return false;
  const rebuildsPassword = [...document.scripts].some((script) => script.text.includes('ToggleSensitive.init("password"'));
  return !rebuildsPassword || document.querySelector(".toggle-sensitive-wrapper #password") !== null;
})()`;

/**
 * Submits the Moodle login form `page` shows, once the page's scripts are done (see
 * MOODLE_SCRIPTS_SETTLED). Typed earlier, the password could go with the field the script
 * replaced, so the form posted none ("Invalid login", back to login/index.php?loginredirect=1),
 * or the signed-in session was replaced by the fresh one Moodle gives the page's
 * pending request of the old session (the next page asked for a sign-in again): one
 * sign-in in ten to three in ten on a busy machine (docs/moodle.md, "Tests and figures").
 * Throws with the page's words when Moodle keeps the browser on its login pages.
 */
export async function submitMoodleLogin(
  page: Page,
  username: string,
  password: string,
): Promise<void> {
  await page.waitForFunction(MOODLE_SCRIPTS_SETTLED);
  await page.locator("#username").fill(username);
  await page.locator("#password").fill(password);
  const form = page.url();
  // Ends where the form leaves the browser: the page asked for, or the form again.
  await Promise.all([
    page.waitForURL((url) => url.href !== form),
    page.locator("#loginbtn").click(),
  ]);
  if (new URL(page.url()).pathname.startsWith("/login/")) {
    throw new Error(
      `${username} could not sign in to Moodle (${page.url()}): ${await page.locator("body").innerText()}`,
    );
  }
}

/** Signs `username` in on the site's login page. */
export async function signInToMoodle(
  page: Page,
  site: LiveMoodleSite,
  username: string,
  password: string,
): Promise<void> {
  await page.goto(new URL("/login/index.php", site.wwwroot).href);
  await submitMoodleLogin(page, username, password);
}

/**
 * A French language pack holding only its langconfig: Moodle then offers French, shows the
 * plugin's own French strings and English for the rest (the site has no network to fetch
 * the real pack).
 */
export async function allowFrenchOnMoodle(site: LiveMoodleSite): Promise<void> {
  const dataroot = await moodlePhp(site.moodleDir, "echo $CFG->dataroot;");
  const directory = join(dataroot, "lang", "fr");
  await mkdir(directory, { recursive: true });
  await writeFile(
    join(directory, "langconfig.php"),
    `<?php
defined('MOODLE_INTERNAL') || die();
$string['thislanguage'] = 'Français';
$string['thislanguageint'] = 'French';
$string['parentlanguage'] = '';
$string['iso6391'] = 'fr';
$string['locale'] = 'fr_FR.UTF-8';
$string['localewin'] = 'French_France.1252';
$string['decsep'] = ',';
$string['thousandssep'] = ' ';
`,
  );
  // The string and language-menu caches only: after a full purge every suite's next pages
  // rebuild their scripts and templates.
  await moodlePhp(site.moodleDir, "get_string_manager()->reset_caches(true);");
}

/**
 * Lets the site call a node on 127.0.0.1 at any port: Moodle's curl blocks loopback hosts
 * and ports other than 80 and 443 by default (the plugin never changes this; an admin whose
 * node is on the intranet does, as the tests do here).
 */
export async function allowLoopbackNode(site: LiveMoodleSite): Promise<void> {
  await moodlePhp(
    site.moodleDir,
    "set_config('curlsecurityblockedhosts', ''); set_config('curlsecurityallowedport', '');",
  );
}

/**
 * Points the plugin at a node with its site token, as the settings page saves a
 * registration, on a site that may call it. The site is shared by every Moodle suite:
 * another may point it at its own node meanwhile, so a suite connects it again before each
 * step that reaches the node.
 */
export async function connectPluginToNode(
  site: LiveMoodleSite,
  nodeUrl: URL | string,
  siteToken: string,
): Promise<void> {
  const url = (typeof nodeUrl === "string" ? nodeUrl : nodeUrl.href).replace(/\/$/, "");
  await moodlePhp(
    site.moodleDir,
    `set_config('nodeurl', ${JSON.stringify(url)}, 'local_coursefed');
    set_config('sitetoken', ${JSON.stringify(siteToken)}, 'local_coursefed');
    set_config('curlsecurityblockedhosts', '');
    set_config('curlsecurityallowedport', '');`,
  );
}

/**
 * Forgets the node's answers the plugin's course notices keep for a few minutes (its
 * "origins" cache), as if those minutes had passed: after the node learnt of a new revision
 * or a withdrawal, a course's page shows it at once.
 */
export async function letCourseNoticesExpire(site: LiveMoodleSite): Promise<void> {
  await moodlePhp(site.moodleDir, "cache::make('local_coursefed', 'origins')->purge();");
}

/**
 * PHP that defines `$newuser($username, $firstname, $lastname, $lang = '')`: makes a Moodle
 * user of the run's who signs in with `password` (manual authentication, confirmed, a mail
 * address at example.invalid, the site's language unless `$lang`) and returns its id. For a
 * test's PHP fixture script, which goes on to give the users their roles.
 */
export function newUserPhp(password: string): string {
  return `require_once($CFG->dirroot . '/user/lib.php');
    $newuser = function (string $username, string $firstname, string $lastname, string $lang = ''): int {
      global $CFG;
      $user = ['username' => $username, 'auth' => 'manual', 'password' => ${JSON.stringify(password)},
        'firstname' => $firstname, 'lastname' => $lastname, 'email' => "{$username}@example.invalid",
        'confirmed' => 1, 'mnethostid' => $CFG->mnet_localhost_id];
      if ($lang !== '') {
        $user['lang'] = $lang;
      }
      return user_create_user((object) $user);
    };`;
}

/**
 * The site as a `cli` target of `node` named `name`, with a site token bound to it, as a
 * registration code carries one: what the plugin connects with.
 */
export async function registerSiteOnNode(node: TestNode, site: LiveMoodleSite, name: string) {
  const target = await node.node.services.moodleTargets.add({
    name,
    driver: "cli",
    url: site.wwwroot,
    moodleDir: site.moodleDir,
    php: "php",
  });
  const { token } = await new TokenRepository(node.node.db).replaceSiteToken(
    target.id,
    `site ${name}`,
    node.node.institution.id,
  );
  return { target, siteToken: token };
}
