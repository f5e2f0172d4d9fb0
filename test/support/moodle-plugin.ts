import { execFile } from "node:child_process";
import { cp, readFile, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { repositoryRoot } from "./shared-fixtures.ts";

const run = promisify(execFile);

/** The companion plugin's source in this repository. */
export const pluginSource = join(repositoryRoot, "deploy", "moodle-plugin", "local_coursefed");

/** An installed Moodle site on this host. */
export interface MoodleSiteLocation {
  /** The Moodle code directory, the one holding config.php. */
  readonly moodleDir: string;
}

/** Moodle 4.5 refuses to run PHP with fewer input variables (see shared/moodle/README.md). */
const PHP = ["-d", "max_input_vars=5000"];

async function php(
  site: MoodleSiteLocation,
  args: readonly string[],
  stdin?: string,
): Promise<string> {
  const child = run("php", [...PHP, ...args], {
    cwd: site.moodleDir,
    env: { ...process.env, MOODLE_DIR: site.moodleDir },
    maxBuffer: 16 * 1024 * 1024,
  });
  if (stdin !== undefined) child.child.stdin?.end(stdin);
  const { stdout } = await child;
  return stdout;
}

/** The installed version of local_coursefed, or "" when the site does not have it. */
async function installedVersion(site: MoodleSiteLocation): Promise<string> {
  try {
    const out = await php(site, [
      "admin/cli/cfg.php",
      "--component=local_coursefed",
      "--name=version",
    ]);
    return out.trim();
  } catch (error) {
    // cfg.php exits 3 for a setting that does not exist.
    if ((error as { code?: number }).code === 3) return "";
    throw error;
  }
}

async function sourceVersion(): Promise<string> {
  const versionFile = await readFile(join(pluginSource, "version.php"), "utf8");
  const match = /\$plugin->version\s*=\s*(\d+)/.exec(versionFile);
  if (!match?.[1]) throw new Error(`No $plugin->version in ${pluginSource}/version.php`);
  return match[1];
}

/**
 * Installs (or refreshes) local_coursefed as an institution admin would: copy it to
 * local/coursefed, run admin/cli/upgrade.php, enable web services and REST. Returns a token
 * of the plugin's 'coursefed' service for the site's admin.
 */
export async function installCoursefedPlugin(site: MoodleSiteLocation): Promise<string> {
  const target = join(site.moodleDir, "local", "coursefed");
  const staging = `${target}.staging`;
  await rm(staging, { recursive: true, force: true });
  await cp(pluginSource, staging, { recursive: true });
  await rm(target, { recursive: true, force: true });
  // Moved into place at once, so Moodle never sees half a plugin.
  await rename(staging, target);
  if ((await installedVersion(site)) === (await sourceVersion())) {
    // Same version: upgrade.php would do nothing, but changed classes need the caches purged.
    await php(site, ["admin/cli/purge_caches.php"]);
  } else {
    await php(site, ["admin/cli/upgrade.php", "--non-interactive"]);
  }
  return (await php(site, [], TOKEN_SCRIPT)).trim();
}

/** Uninstalls local_coursefed and deletes its code: the site is one without the plugin. */
export async function removeCoursefedPlugin(site: MoodleSiteLocation): Promise<void> {
  await rm(join(site.moodleDir, "local", "coursefed"), { recursive: true, force: true });
  if ((await installedVersion(site)) !== "") {
    await php(site, ["admin/cli/uninstall_plugins.php", "--plugins=local_coursefed", "--run"]);
  }
}

/**
 * Moodle has no command for tokens: this enables web services and REST, and gives the
 * admin a permanent token of the 'coursefed' service db/services.php declares.
 */
const TOKEN_SCRIPT = `<?php
define('CLI_SCRIPT', true);
require(getenv('MOODLE_DIR') . '/config.php');
set_config('enablewebservices', 1);
set_config('webserviceprotocols', 'rest');
$admin = get_admin();
\\core\\session\\manager::set_user($admin);
$service = $DB->get_record('external_services', ['shortname' => 'coursefed', 'component' => 'local_coursefed'],
    '*', MUST_EXIST);
$token = $DB->get_field('external_tokens', 'token', ['userid' => $admin->id, 'externalserviceid' => $service->id,
    'tokentype' => EXTERNAL_TOKEN_PERMANENT], IGNORE_MULTIPLE);
if (!$token) {
    $token = \\core_external\\util::generate_token(EXTERNAL_TOKEN_PERMANENT, $service, $admin->id,
        context_system::instance(), 0, '', 'coursefed tests');
}
echo $token, "\\n";
`;
