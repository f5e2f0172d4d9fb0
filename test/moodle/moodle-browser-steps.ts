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

/** Sign-ins tried before giving up, and the pause after the first failed one (then longer). */
const SIGN_IN_ATTEMPTS = 5;
const SIGN_IN_PAUSE_MS = 3000;

/**
 * Signs `username` in on Moodle's login page. Other suites reinstall the plugin and purge
 * the caches of the shared site meanwhile, which now and then spoils a login token, and
 * Moodle sometimes answers "Invalid login" for a user made seconds before then takes the
 * same password a little later: a few tries, each after a longer pause, then the page's words.
 */
export async function signInToMoodle(
  page: Page,
  site: LiveMoodleSite,
  username: string,
  password: string,
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    await page.goto(new URL("/login/index.php", site.wwwroot).href);
    await page.locator("#username").fill(username);
    await page.locator("#password").fill(password);
    await Promise.all([page.waitForLoadState("load"), page.locator("#loginbtn").click()]);
    await page.waitForLoadState("load");
    if (!new URL(page.url()).pathname.startsWith("/login/")) return;
    if (attempt === SIGN_IN_ATTEMPTS) {
      throw new Error(
        `${username} could not sign in (${page.url()}): ${await page.locator("body").innerText()}`,
      );
    }
    await page.waitForTimeout(SIGN_IN_PAUSE_MS * attempt);
  }
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
  // The string and language-menu caches only: purging all of them would spoil the other
  // suites' sign-ins.
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
