/**
 * The real Moodle sites the Moodle tests run against, one per release coursefed supports
 * (4.5.6 LTS and 5.1.3), set up once per test run by vitest's globalSetup (see
 * vitest.config.ts) with shared/moodle/moodle-test-site.sh. Its subcommands are
 * idempotent, so a later run on the same machine reuses the installed sites and only
 * makes sure the database is up (a few seconds instead of about a minute each).
 *
 * Each release has its own directory, database and port, so both run side by side on one
 * PostgreSQL cluster. The 4.5 site keeps the script's own environment (MOODLE_BASE,
 * MOODLE_DIR, MOODLE_DATA, MOODLE_DB_NAME, MOODLE_PORT, MOODLE_TARBALL); the 5.1 site
 * takes MOODLE51_BASE, MOODLE51_DB_NAME and MOODLE51_PORT. COURSEFED_MOODLE_RELEASES=4.5
 * (or 5.1) runs the tests on one release only.
 *
 * Tests run a suite on every site with describeOnEachMoodle.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, inject, it } from "vitest";
import type { TestProject } from "vitest/node";
import { sharedDirectory } from "./shared-fixtures.ts";

const run = promisify(execFile);

/** The Moodle releases coursefed is tested on, by branch. */
export const MOODLE_RELEASES = ["4.5", "5.1"] as const;
export type MoodleRelease = (typeof MOODLE_RELEASES)[number];

/** What a release's installed site reports of itself, for the tests' expectations. */
const RELEASE_FACTS: Record<
  MoodleRelease,
  { readonly version: string; readonly build: string; readonly tarball: string }
> = {
  "4.5": { version: "4.5.6", build: "2024100706", tarball: "moodle-4.5.6.tar.gz" },
  "5.1": { version: "5.1.3", build: "2025100603", tarball: "moodle-5.1.3.tar.gz" },
};

/** A Moodle site of the test run, installed and up. */
export interface LiveMoodleSite {
  readonly available: true;
  /** The branch, as the drivers' probe reports it ("4.5", "5.1"). */
  readonly release: MoodleRelease;
  /** "4.5.6": the start of the release string Moodle reports ("4.5.6 (Build: 20250811)"). */
  readonly version: string;
  /** The start of $version in the site's version.php ("2024100706"). */
  readonly build: string;
  /** "Moodle 4.5.6", for test names. */
  readonly name: string;
  /** "moodle45", "moodle51": ends the names of screenshots taken on this site. */
  readonly tag: string;
  /** The Moodle code directory, the one holding config.php and admin/cli. */
  readonly moodleDir: string;
  /** The directory the web server serves: moodleDir on 4.5, moodleDir/public from 5.1 on. */
  readonly webRoot: string;
  /** Where local_coursefed is installed: local/coursefed under the web root. */
  readonly pluginDir: string;
  readonly wwwroot: string;
  readonly database: {
    readonly name: string;
    readonly user: string;
    readonly password: string;
    readonly host: string;
  };
  /** The environment under which moodle-test-site.sh works on this site (see siteScript). */
  readonly scriptEnvironment: Readonly<Record<string, string>>;
}

/** What the tests need to reach a site, or why there is none. */
export type MoodleTestSite =
  | LiveMoodleSite
  | {
      readonly available: false;
      readonly release: MoodleRelease;
      readonly name: string;
      readonly reason: string;
    };

declare module "vitest" {
  export interface ProvidedContext {
    /** Every release's site, in MOODLE_RELEASES order. */
    moodleSites: MoodleTestSite[];
  }
}

export const moodleScript = join(sharedDirectory, "moodle", "moodle-test-site.sh");

/** vitest globalSetup: install (or reuse) the sites and hand their details to the tests. */
export default async function setup(project: TestProject): Promise<void> {
  project.provide("moodleSites", await prepareMoodleSites());
}

/**
 * Declares `suite` once per Moodle site of the run, named after its release: the same
 * tests, run on 4.5.6 and on 5.1.3. A site that is not there is skipped with the reason
 * (in CI the global setup has already failed instead). `when: false` skips the suites for
 * a reason of the test's own (fixtures or Chromium absent, which say so themselves).
 */
export function describeOnEachMoodle(
  name: string,
  suite: (site: LiveMoodleSite) => void,
  options: { readonly when?: boolean } = {},
): void {
  for (const site of inject("moodleSites")) {
    const title = `${name}, on ${site.name}`;
    if (!site.available) {
      describe.skip(title, () => {
        it(site.reason, () => {});
      });
      continue;
    }
    describe.skipIf(options.when === false)(title, () => suite(site));
  }
}

/** Matches the release string the site reports ("4.5.6 (Build: 20250811)"), and no other. */
export function releasePattern(site: LiveMoodleSite): RegExp {
  return new RegExp(`^${site.version.replaceAll(".", "\\.")} `);
}

/**
 * A course's modules as a restore leaves them on this site: from 5.0 on, Moodle keeps
 * questions in `qbank` modules it makes while restoring (shared/moodle/README.md, "What
 * differs on 5.1": "A restore makes `qbank` course modules ... which count among the
 * course's modules"), `banks` of them for a backup holding questions.
 */
export function withQuestionBanks(
  site: LiveMoodleSite,
  modules: Readonly<Record<string, number>>,
  banks: number,
): Record<string, number> {
  return site.release === "4.5" ? { ...modules } : { ...modules, qbank: banks };
}

/** Runs a subcommand of moodle-test-site.sh (serve, token, ...) on this site; its stdout. */
export async function siteScript(
  site: LiveMoodleSite,
  command: string,
  ...args: string[]
): Promise<string> {
  const { stdout } = await run("bash", [moodleScript, command, ...args], {
    env: { ...process.env, ...site.scriptEnvironment },
    maxBuffer: 1 << 24,
  });
  return stdout.trim();
}

/** The releases COURSEFED_MOODLE_RELEASES asks for ("4.5", "5.1", "4.5,5.1"); all by default. */
export function selectedReleases(): MoodleRelease[] {
  const asked = process.env.COURSEFED_MOODLE_RELEASES?.trim();
  if (!asked) return [...MOODLE_RELEASES];
  const releases = asked.split(/[\s,]+/).filter((release) => release !== "");
  const unknown = releases.filter(
    (release) => !(MOODLE_RELEASES as readonly string[]).includes(release),
  );
  if (unknown.length > 0 || releases.length === 0) {
    throw new Error(
      `COURSEFED_MOODLE_RELEASES=${asked}: the tests have no Moodle site for ${unknown.join(", ")}; name ${MOODLE_RELEASES.join(" or ")}, or both separated by a comma.`,
    );
  }
  return releases as MoodleRelease[];
}

/** Installs every selected site, or makes sure the installed ones are up. */
export async function prepareMoodleSites(): Promise<MoodleTestSite[]> {
  const selected = selectedReleases();
  const sites: MoodleTestSite[] = [];
  // One after the other: both share the PostgreSQL cluster the first start-db starts.
  for (const release of MOODLE_RELEASES) {
    if (!selected.includes(release)) {
      const reason = `Moodle ${RELEASE_FACTS[release].version} left out by COURSEFED_MOODLE_RELEASES=${process.env.COURSEFED_MOODLE_RELEASES}.`;
      sites.push({
        available: false,
        release,
        name: `Moodle ${RELEASE_FACTS[release].version}`,
        reason,
      });
      continue;
    }
    sites.push(await prepareMoodleSite(release));
  }
  return sites;
}

/** Where a release's site lives and the script's environment for it. */
function siteLayout(release: MoodleRelease): {
  readonly moodleDir: string;
  readonly tarball: string;
  readonly database: string;
  readonly environment: Record<string, string>;
} {
  const tmp = process.env.TMPDIR ?? "/tmp";
  const shippedTarball = join(sharedDirectory, "moodle", RELEASE_FACTS[release].tarball);
  if (release === "4.5") {
    // The script's own defaults and variables, as before 5.1 was added.
    const base = process.env.MOODLE_BASE ?? join(tmp, "moodle-test");
    const moodleDir = process.env.MOODLE_DIR ?? join(base, "moodle");
    const tarball = process.env.MOODLE_TARBALL ?? shippedTarball;
    const database = process.env.MOODLE_DB_NAME ?? "moodle";
    return {
      moodleDir,
      tarball,
      database,
      environment: {
        MOODLE_RELEASE: release,
        MOODLE_BASE: base,
        MOODLE_DIR: moodleDir,
        MOODLE_DATA: process.env.MOODLE_DATA ?? join(base, "moodledata"),
        MOODLE_DB_NAME: database,
        MOODLE_PORT: process.env.MOODLE_PORT ?? "8080",
        MOODLE_TARBALL: tarball,
      },
    };
  }
  const base = process.env.MOODLE51_BASE ?? join(tmp, "moodle-test-51");
  const moodleDir = join(base, "moodle");
  const database = process.env.MOODLE51_DB_NAME ?? "moodle51";
  return {
    moodleDir,
    tarball: shippedTarball,
    database,
    environment: {
      MOODLE_RELEASE: release,
      MOODLE_BASE: base,
      MOODLE_DIR: moodleDir,
      MOODLE_DATA: join(base, "moodledata"),
      MOODLE_DB_NAME: database,
      MOODLE_PORT: process.env.MOODLE51_PORT ?? "8081",
      MOODLE_TARBALL: shippedTarball,
    },
  };
}

/** Installs a release's site, or makes sure the installed one is up; says why not where it cannot. */
export async function prepareMoodleSite(release: MoodleRelease = "4.5"): Promise<MoodleTestSite> {
  const facts = RELEASE_FACTS[release];
  const name = `Moodle ${facts.version}`;
  const layout = siteLayout(release);
  const missing = await missingPrerequisites(layout);
  if (missing.length > 0) {
    const what = missing.join("; ");
    if (process.env.CI) {
      throw new Error(`The tests on a real ${name} site cannot run in CI: ${what} (see .ci/run).`);
    }
    const reason = `Skipping the tests on a real ${name} site: ${what}.`;
    console.warn(reason);
    return { available: false, release, name, reason };
  }
  const started = performance.now();
  const alreadyInstalled = existsSync(join(layout.moodleDir, "config.php"));
  const environment = { ...process.env, ...layout.environment };
  try {
    await run("bash", [moodleScript, "start-db"], { env: environment, maxBuffer: 1 << 24 });
    // Only where there is no site yet: the script's install takes a config.php whose
    // cfg.php fails for a failed install and deletes it, which a site that is merely busy
    // (another run upgrading the plugin, the database restarting) would not survive.
    if (!alreadyInstalled) {
      await run("bash", [moodleScript, "install"], {
        env: environment,
        maxBuffer: 1 << 24,
        timeout: 600_000,
      });
    }
  } catch (error) {
    const { stderr } = error as { stderr?: string };
    throw new Error(
      `Could not set up the ${name} test site with ${moodleScript} (MOODLE_RELEASE=${release}, MOODLE_DIR=${layout.moodleDir}): ${stderr?.trim() || (error as Error).message}`,
    );
  }
  const cfg = (setting: string) =>
    run("php", [
      "-d",
      "max_input_vars=5000",
      join(layout.moodleDir, "admin/cli/cfg.php"),
      setting,
    ]).catch((error: { stdout?: string; stderr?: string; message: string }) => {
      const said = `${error.stderr ?? ""}${error.stdout ?? ""}`.trim() || error.message;
      throw new Error(
        `The ${name} test site in ${layout.moodleDir} does not answer admin/cli/cfg.php (${said}). If another run is upgrading it, run again; if its install failed half-way, reset it: MOODLE_RELEASE=${release} MOODLE_DIR=${layout.moodleDir} MOODLE_DB_NAME=${layout.database} bash ${moodleScript} reset.`,
      );
    });
  // The address the site was installed with, which a later MOODLE_PORT does not change.
  const { stdout: wwwroot } = await cfg("--name=wwwroot");
  // A site installed from another tarball than this release's would make every
  // version-dependent expectation wrong in ways hard to read: say so now.
  const { stdout: installedRelease } = await cfg("--name=release");
  if (!installedRelease.startsWith(`${facts.version} `)) {
    throw new Error(
      `${layout.moodleDir} runs Moodle ${installedRelease.trim()}, not ${facts.version}: point the ${release} site elsewhere (see test/support/moodle-site.ts) or reset it with MOODLE_RELEASE=${release} ${moodleScript} reset.`,
    );
  }
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.info(
    `${name} test site ${layout.moodleDir} ${alreadyInstalled ? "reused" : "installed"} in ${seconds} s.`,
  );
  // Moodle 5.1 serves the web from public/, where its plugins live too.
  const webRoot = existsSync(join(layout.moodleDir, "public", "version.php"))
    ? join(layout.moodleDir, "public")
    : layout.moodleDir;
  return {
    available: true,
    release,
    version: facts.version,
    build: facts.build,
    name,
    tag: `moodle${release.replace(".", "")}`,
    moodleDir: layout.moodleDir,
    webRoot,
    pluginDir: join(webRoot, "local", "coursefed"),
    wwwroot: wwwroot.trim(),
    database: {
      name: layout.database,
      user: process.env.MOODLE_DB_USER ?? "moodleuser",
      password: process.env.MOODLE_DB_PASS ?? "moodlepass",
      host: "127.0.0.1",
    },
    scriptEnvironment: layout.environment,
  };
}

async function missingPrerequisites(layout: {
  readonly moodleDir: string;
  readonly tarball: string;
}): Promise<string[]> {
  const missing: string[] = [];
  if (!existsSync(moodleScript)) missing.push(`${moodleScript} is absent`);
  if (!existsSync(layout.tarball) && !existsSync(join(layout.moodleDir, "config.php"))) {
    missing.push(`the Moodle tarball ${layout.tarball} is absent`);
  }
  const php = await run("php", ["-r", "echo PHP_VERSION;"]).catch(() => undefined);
  if (!php)
    missing.push("php is not installed (bash shared/moodle/moodle-test-site.sh install-deps)");
  const psql = await run("pg_lsclusters", ["-h"]).catch(() => undefined);
  if (!psql) missing.push("PostgreSQL is not installed (same command)");
  if (process.getuid?.() !== 0) missing.push("the site script must run as root");
  return missing;
}
