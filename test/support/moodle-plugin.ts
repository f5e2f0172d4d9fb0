import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { cp, readFile, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { repositoryRoot } from "./shared-fixtures.ts";

const run = promisify(execFile);

/** The companion plugin's source in this repository. */
export const pluginSource = join(repositoryRoot, "packages", "moodle-plugin", "local_coursefed");

/** An installed Moodle site on this host. */
export interface MoodleSiteLocation {
  /** The Moodle code directory, the one holding config.php. */
  readonly moodleDir: string;
}

/**
 * Where the plugin goes: local/coursefed under the web root, which is the code directory
 * up to Moodle 5.0 and its public/ directory from 5.1 on (shared/moodle/README.md).
 */
export function pluginDirectory(site: MoodleSiteLocation): string {
  const publicRoot = join(site.moodleDir, "public");
  const webRoot = existsSync(join(publicRoot, "version.php")) ? publicRoot : site.moodleDir;
  return join(webRoot, "local", "coursefed");
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

/** The version of the plugin in this repository, from its version.php. */
export async function sourceVersion(): Promise<string> {
  const versionFile = await readFile(join(pluginSource, "version.php"), "utf8");
  const match = /\$plugin->version\s*=\s*(\d+)/.exec(versionFile);
  if (!match?.[1]) throw new Error(`No $plugin->version in ${pluginSource}/version.php`);
  return match[1];
}

/**
 * Installs (or refreshes) local_coursefed as an institution admin would: copy it to
 * local/coursefed (public/local/coursefed on 5.1), run admin/cli/upgrade.php, then the
 * plugin's cli/grant_node_access.php,
 * which enables web services and REST and returns a token of the 'coursefed' service for a
 * dedicated user (not an admin) holding the plugin's documented role.
 */
export async function installCoursefedPlugin(site: MoodleSiteLocation): Promise<string> {
  const target = pluginDirectory(site);
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
  // The site reaches the test nodes on 127.0.0.1 and on any port (it downloads the
  // archives it restores from them), which Moodle's HTTP security blocks by default. A
  // setting of the test site's, never the plugin's: institutions' nodes are not on loopback.
  for (const name of ["curlsecurityblockedhosts", "curlsecurityallowedport"]) {
    await php(site, ["admin/cli/cfg.php", `--name=${name}`, "--set="]);
  }
  // As the plugin's README tells admins: a dedicated user, its role, and a token.
  const granted = await php(site, [
    join(target, "cli", "grant_node_access.php"),
    "--username=coursefed",
  ]);
  return granted.trim();
}

/** Uninstalls local_coursefed and deletes its code: the site is one without the plugin. */
export async function removeCoursefedPlugin(site: MoodleSiteLocation): Promise<void> {
  await rm(pluginDirectory(site), { recursive: true, force: true });
  if ((await installedVersion(site)) !== "") {
    await php(site, ["admin/cli/uninstall_plugins.php", "--plugins=local_coursefed", "--run"]);
  }
}
