/**
 * Connecting a Moodle site to its node in one step (issue 16, item 1), in Chromium, as a
 * Moodle site administrator, in English and in French, on each Moodle release: the node
 * issues a registration code for a ws target that has no web-service token yet; the admin
 * pastes it on the plugin's settings page, which checks it with the node and shows the
 * node's institution; "Give the node access" makes the plugin's service user and token and
 * sends the token to the node, which then probes the site through web services with it. A
 * mistyped code and a revoked one are refused with what is wrong, and the plugin names the
 * Moodle user it acts for as the node reads it.
 *
 * The plugin's registration is site-wide: what this run changes is put back afterwards, for
 * the other suites that use the same site.
 */
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { haveChromium, launchChromium, screenshot } from "../browser/chromium.ts";
import { installCoursefedPlugin } from "../support/moodle-plugin.ts";
import { describeOnEachMoodle, type LiveMoodleSite, siteScript } from "../support/moodle-site.ts";
import { startTestNode, type TestNode } from "../support/test-node.ts";
import {
  allowFrenchOnMoodle,
  allowLoopbackNode,
  newUserPhp,
  signInToMoodle,
} from "./moodle-browser-steps.ts";
import { moodlePhp } from "./picker-fixtures.ts";

const PASSWORD = "Registrar#2026";
/** The plugin's settings that a registration writes: saved before the run, put back after. */
const REGISTRATION_SETTINGS = ["registrationcode", "nodeurl", "sitetoken", "site", "moodleaccess"];

const TEXT = {
  en: {
    save: "Save changes",
    connectedTo: "Connected to Université Exemple (@univ)",
    // "again" once the node holds a token of the site's (the other language's run gave it).
    give: /^Give the node access( again)?$/,
    given: "The node reached this site with its new token",
    hasAccess: "The node has a web-service token for this site.",
    notACode: "This is not a coursefed registration code",
    revoked: "This token is not valid",
    continue: "Continue",
  },
  fr: {
    // Moodle's own strings: the French pack here holds only its name (see allowFrenchOnMoodle).
    save: "Save changes",
    connectedTo: "Connecté à Université Exemple (@univ)",
    give: /^Donner (à nouveau )?l'accès au nœud$/,
    given: "Le nœud a atteint ce site avec son nouveau jeton",
    hasAccess: "Le nœud a un jeton de services web pour ce site.",
    notACode: "Ce n'est pas un code d'enregistrement coursefed",
    revoked: "This token is not valid",
    continue: "Continue",
  },
} as const;

/** A site administrator of this run's own (a user in $CFG->siteadmins), speaking `lang`. */
async function makeSiteAdmin(site: LiveMoodleSite, lang: string): Promise<string> {
  const username = `registrar${lang}${Date.now()}${Math.floor(Math.random() * 1000)}`;
  await moodlePhp(
    site.moodleDir,
    `${newUserPhp(PASSWORD)}
    $id = $newuser(${JSON.stringify(username)}, 'Registrar', ${JSON.stringify(lang)}, ${JSON.stringify(lang)});
    set_config('siteadmins', $CFG->siteadmins . ',' . $id);`,
  );
  return username;
}

/** Admins of this run leave the site's administrators as they were. */
async function removeSiteAdmins(site: LiveMoodleSite, usernames: readonly string[]) {
  await moodlePhp(
    site.moodleDir,
    `$ids = $DB->get_fieldset_select('user', 'id', 'username IN (' . implode(',', array_fill(0, ${usernames.length}, '?')) . ')',
      ${JSON.stringify(usernames)});
    set_config('siteadmins', implode(',', array_diff(explode(',', $CFG->siteadmins), $ids)));`,
  );
}

describeOnEachMoodle(
  "registering the site with its node from the plugin's settings page, in a browser",
  (site) => {
    let node: TestNode;
    let browser: Browser;
    const targetName = `registered-${site.tag}`;
    const admins: string[] = [];
    let saved: Record<string, string | false>;

    async function issueCode(): Promise<string> {
      const response = await fetch(
        new URL(`/api/v1/moodle/targets/${targetName}/registration`, node.url),
        { method: "POST", headers: { authorization: `Bearer ${node.token}` } },
      );
      expect(response.status).toBe(201);
      return ((await response.json()) as { code: string }).code;
    }

    async function signIn(lang: string): Promise<Page> {
      const username = await makeSiteAdmin(site, lang);
      admins.push(username);
      const context = await browser.newContext({
        viewport: { width: 1280, height: 900 },
        locale: lang,
      });
      const page = await context.newPage();
      await signInToMoodle(page, site, username, PASSWORD);
      return page;
    }

    /** Pastes `code` into the settings page's field and saves the page. */
    async function saveCode(page: Page, code: string, save: string): Promise<void> {
      await page.goto(new URL("/admin/settings.php?section=local_coursefed", site.wwwroot).href);
      const field = page.locator("#id_s_local_coursefed_registrationcode");
      // Moodle's password field opens for typing with a click on its "edit" link.
      const edit = page.locator('[data-passwordunmask="edit"]');
      // Its script may not have started yet when the page shows: click until the field opens.
      for (let tries = 0; (await edit.count()) > 0 && !(await field.isVisible()); tries++) {
        if (tries === 20) throw new Error("The registration code field does not open for typing.");
        await edit.first().click();
        await page.waitForTimeout(500);
      }
      await field.fill(code);
      await Promise.all([
        page.waitForLoadState("load"),
        page.getByRole("button", { name: save }).click(),
      ]);
      await page.waitForLoadState("load");
    }

    beforeAll(async () => {
      await installCoursefedPlugin(site);
      await siteScript(site, "serve");
      const before = JSON.parse(
        await moodlePhp(
          site.moodleDir,
          `echo json_encode(array_combine(${JSON.stringify(REGISTRATION_SETTINGS)}, array_map(
            fn($name) => get_config('local_coursefed', $name), ${JSON.stringify(REGISTRATION_SETTINGS)})));`,
        ),
      ) as Record<string, string | false>;
      saved = before;
      await allowLoopbackNode(site);
      await allowFrenchOnMoodle(site);
      node = await startTestNode("univ", "Université Exemple");
      // A ws target without a token: the site gives it.
      await node.node.services.moodleTargets.add({
        name: targetName,
        driver: "ws",
        url: site.wwwroot,
      });
      browser = await launchChromium();
    }, 240_000);

    afterAll(async () => {
      await browser?.close();
      await node?.stop();
      if (saved) {
        await moodlePhp(
          site.moodleDir,
          `foreach (json_decode(${JSON.stringify(JSON.stringify(saved))}, true) as $name => $value) {
            if ($value === false) { unset_config($name, 'local_coursefed'); }
            else { set_config($name, $value, 'local_coursefed'); }
          }`,
        );
      }
      if (admins.length > 0) await removeSiteAdmins(site, admins);
    });

    for (const lang of ["en", "fr"] as const) {
      const text = TEXT[lang];

      it(`${lang}: takes the code, shows the institution, and gives the node access`, async () => {
        const page = await signIn(lang);
        await saveCode(page, "coursefed-site:not-a-code", text.save);
        expect(await page.textContent("#region-main")).toContain(text.notACode);

        const code = await issueCode();
        await saveCode(page, code, text.save);
        const main = (await page.textContent("#region-main")) ?? "";
        expect(main).toContain(text.connectedTo);
        expect(main).toContain(targetName);
        const stored = JSON.parse(
          await moodlePhp(
            site.moodleDir,
            "echo json_encode([get_config('local_coursefed', 'registrationcode'), get_config('local_coursefed', 'nodeurl')]);",
          ),
        );
        expect(stored).toEqual([code, node.url.href.replace(/\/$/, "")]);
        await screenshot(page, `moodle-settings-${lang}-${site.tag}`);

        await Promise.all([
          page.waitForURL(/\/local\/coursefed\/give_access\.php/),
          page.getByRole("link", { name: text.give }).click(),
        ]);
        await Promise.all([
          page.waitForURL(/\/admin\/settings\.php/, { timeout: 90_000 }),
          page.getByRole("button", { name: text.continue }).click(),
        ]);
        const after = (await page.textContent("#page")) ?? "";
        expect(after).toContain(text.given);
        expect(after).toContain(text.hasAccess);

        // The node holds the token the site sent and reaches the site with it.
        const target = await node.node.services.moodleTargets.byName(targetName);
        expect(typeof target?.settings.token).toBe("string");
        const probe = await fetch(new URL(`/api/v1/moodle/targets/${targetName}/probe`, node.url), {
          method: "POST",
          headers: { authorization: `Bearer ${node.token}` },
        });
        expect(probe.status).toBe(200);
        const probed = (await probe.json()) as { release: string; plugins: Record<string, number> };
        expect(probed.release.startsWith(site.version)).toBe(true);
        expect(probed.plugins).toHaveProperty("local_coursefed");
        await page.context().close();
      }, 240_000);
    }

    it("refuses a code the node revoked, saying so", async () => {
      const old = await issueCode();
      await issueCode();
      const page = await signIn("en");
      await saveCode(page, old, TEXT.en.save);
      expect(await page.textContent("#region-main")).toContain(TEXT.en.revoked);
      await page.context().close();
    }, 120_000);

    it("names the Moodle user it acts for as the node reads them", async () => {
      const code = await issueCode();
      const answer = await moodlePhp(
        site.moodleDir,
        `${newUserPhp(PASSWORD)}
        $code = \\local_coursefed\\local\\registration_code::parse(${JSON.stringify(code)});
        $username = 'actor' . ${JSON.stringify(site.tag)} . time() . random_int(0, 999);
        $id = $newuser($username, 'Hélène', "O'Brien-Çelik");
        $user = $DB->get_record('user', ['id' => $id]);
        $site = (new \\local_coursefed\\local\\node_client($code->nodeurl, $code->token))->request('GET', '/site', null, $user);
        echo json_encode(['username' => $username, 'id' => $id, 'actingAs' => $site['actingAs']]);`,
      );
      const { username, id, actingAs } = JSON.parse(answer.split("\n").pop() as string) as {
        username: string;
        id: number;
        actingAs: { handle: string; name: string };
      };
      expect(actingAs).toMatchObject({ handle: username, name: "Hélène O'Brien-Çelik" });
      const users = await fetch(
        new URL(`/api/v1/moodle/targets/${targetName}/moodle-users`, node.url),
        { headers: { authorization: `Bearer ${node.token}` } },
      );
      const { items } = (await users.json()) as {
        items: Array<{ moodleUserId: number; email: string }>;
      };
      expect(items).toContainEqual(
        expect.objectContaining({ moodleUserId: id, email: `${username}@example.invalid` }),
      );
    }, 60_000);
  },
  { when: haveChromium() },
);
