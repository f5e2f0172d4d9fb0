/**
 * local_coursefed follows Moodle's plugin conventions (issue 16): its PHP passes `php -l`,
 * version.php, db/access.php, db/services.php and lang/en, lang/fr agree with each other and
 * with the code, a privacy provider exists, no superglobals. Checked on the source with PHP's
 * command line alone; a deliberately broken copy shows that each rule can fail.
 */
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pluginSource } from "../support/moodle-plugin.ts";
import { havePhp, pluginConventionProblems } from "./plugin-conventions.ts";

const phpHere = await havePhp();
if (!phpHere) {
  const why =
    "php is not installed (bash ../shared/moodle/moodle-test-site.sh install-deps, or apt-get install php8.2-cli)";
  if (process.env.CI)
    throw new Error(`The Moodle plugin's conventions cannot be checked in CI: ${why}.`);
  console.warn(`Skipping the Moodle plugin's conventions: ${why}.`);
}

const HEADER = `<?php
// This file is part of coursefed's companion plugin for Moodle - https://moodle.org/
//
// Moodle is free software: you can redistribute it and/or modify
// it under the terms of the GNU General Public License as published by
// the Free Software Foundation, either version 3 of the License, or
// (at your option) any later version.
//
// Moodle is distributed in the hope that it will be useful,
// but WITHOUT ANY WARRANTY; without even the implied warranty of
// MERCHANTABILITY or FITNESS FOR A PARTICULAR PURPOSE.  See the
// GNU General Public License for more details.
//
// You should have received a copy of the GNU General Public License
// along with Moodle.  If not, see <https://www.gnu.org/licenses/>.
`;
const GUARD = "defined('MOODLE_INTERNAL') || die();\n";

describe.skipIf(!phpHere)("local_coursefed and Moodle's plugin conventions", () => {
  let broken: string;

  beforeAll(async () => {
    broken = await mkdtemp(join(tmpdir(), "coursefed-plugin-broken-"));
    await cp(pluginSource, broken, { recursive: true });
    const edit = async (file: string, change: (source: string) => string) => {
      const path = join(broken, file);
      const before = await readFile(path, "utf8");
      const after = change(before);
      // A change that no longer applies would leave the copy unbroken, and the test blind.
      expect(after, `the broken copy's change to ${file}`).not.toBe(before);
      await writeFile(path, after);
    };
    await writeFile(join(broken, "syntax.php"), `${HEADER}${GUARD}function broken( {\n`);
    await writeFile(join(broken, "noheader.php"), `<?php\n${GUARD}echo 1;\n`);
    await writeFile(
      join(broken, "unguarded.php"),
      `${HEADER}echo get_string('nosuchstring', 'local_coursefed');\n`,
    );
    await writeFile(join(broken, "closing.php"), `${HEADER}${GUARD}echo 1;\n?>\n`);
    await writeFile(
      join(broken, "superglobal.php"),
      `${HEADER}require(__DIR__ . '/../../config.php');\necho s($_POST['id']);\n`,
    );
    await writeFile(
      join(broken, "classes/local/misplaced.php"),
      `${HEADER}namespace local_coursefed;\n\nclass elsewhere {\n}\n`,
    );
    await edit("lang/fr/local_coursefed.php", (source) =>
      source
        .replace(/^\$string\['pluginname'\] = .*\n/m, "")
        .replace(/^\$string\['restorefailed'\] = .*$/m, "$string['restorefailed'] = '';"),
    );
    await edit("db/access.php", (source) =>
      source.replace(
        "$capabilities = [",
        "$capabilities = [\n    'local/coursefed:unnamed' => ['captype' => 'read', 'contextlevel' => CONTEXT_SYSTEM],",
      ),
    );
    await edit("db/services.php", (source) =>
      source.replace(
        "$functions = [",
        "$functions = [\n    'local_coursefed_absent' => ['classname' => \\local_coursefed\\external\\absent::class, 'methodname' => 'execute'],",
      ),
    );
    await edit("classes/external/site_info.php", (source) =>
      source.replace("public static function execute_returns(", "public static function returns("),
    );
    await edit("version.php", (source) =>
      source
        .replace(/^\$plugin->release = .*\n/m, "")
        .replace(/^\$plugin->requires = \d+;/m, "$plugin->requires = 2025100600;"),
    );
    await rm(join(broken, "classes/privacy/provider.php"));
  });
  afterAll(async () => {
    if (broken) await rm(broken, { recursive: true, force: true });
  });

  it("passes php -l and every convention checked", async () => {
    expect(await pluginConventionProblems(pluginSource)).toEqual([]);
  });

  it("names each convention a broken copy of the plugin breaks, and where", async () => {
    const problems = await pluginConventionProblems(broken);
    const expected = [
      "syntax.php: php -l fails: PHP Parse error",
      "noheader.php: no GPL v3-or-later header",
      "unguarded.php: neither defined('MOODLE_INTERNAL') || die(); nor a require of config.php",
      "unguarded.php: asks for strings lang/en lacks: nosuchstring",
      "closing.php: ends with a closing ?> tag",
      "superglobal.php: reads $_POST directly",
      "classes/local/misplaced.php: not in namespace local_coursefed\\local",
      "classes/local/misplaced.php: declares no class misplaced",
      "lang/fr: lacks pluginname",
      "lang/fr: empty strings restorefailed",
      "db/access.php: capability local/coursefed:unnamed has no string coursefed:unnamed",
      "db/services.php: local_coursefed_absent's class local_coursefed\\external\\absent has no classes/external/absent.php",
      "classes/external/site_info.php: local_coursefed_site_info needs public static function execute_returns()",
      "version.php: $plugin->requires 2025100600 keeps the plugin off Moodle 4.5",
      "version.php: $plugin->release is missing",
      "classes/privacy/provider.php: no privacy provider",
    ];
    for (const problem of expected) {
      expect(
        problems.some((found) => found.startsWith(problem)),
        `${problem}\nnot among:\n${problems.join("\n")}`,
      ).toBe(true);
    }
    // Nothing else: the rest of the copy is the plugin as it is.
    expect(problems).toHaveLength(expected.length);
  });
});
