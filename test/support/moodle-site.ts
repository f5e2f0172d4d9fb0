/**
 * The real Moodle site the Moodle tests run against, set up once per test run by vitest's
 * globalSetup (see vitest.config.ts) with shared/moodle/moodle-test-site.sh. Its
 * subcommands are idempotent, so a later run on the same machine reuses the installed
 * site and only makes sure the database is up (a few seconds instead of about a minute).
 *
 * The script's environment chooses the site: MOODLE_BASE (directory), MOODLE_DB_NAME,
 * MOODLE_PORT, so a second site can run beside the default one.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import type { TestProject } from "vitest/node";
import { sharedDirectory } from "./shared-fixtures.ts";

const run = promisify(execFile);

/** What the tests need to reach the site, or why there is none. */
export type MoodleTestSite =
  | {
      readonly available: true;
      readonly moodleDir: string;
      readonly wwwroot: string;
      readonly database: {
        readonly name: string;
        readonly user: string;
        readonly password: string;
        readonly host: string;
      };
    }
  | { readonly available: false; readonly reason: string };

declare module "vitest" {
  export interface ProvidedContext {
    moodleSite: MoodleTestSite;
  }
}

export const moodleScript = join(sharedDirectory, "moodle", "moodle-test-site.sh");

/** vitest globalSetup: install (or reuse) the site and hand its details to the tests. */
export default async function setup(project: TestProject): Promise<void> {
  project.provide("moodleSite", await prepareMoodleSite());
}

/** Installs the site, or makes sure the installed one is up; says why not where it cannot. */
export async function prepareMoodleSite(): Promise<MoodleTestSite> {
  const missing = await missingPrerequisites();
  if (missing.length > 0) {
    const what = missing.join("; ");
    if (process.env.CI) {
      throw new Error(`The tests on a real Moodle site cannot run in CI: ${what} (see .ci/run).`);
    }
    const reason = `Skipping the tests on a real Moodle site: ${what}.`;
    console.warn(reason);
    return { available: false, reason };
  }
  const started = performance.now();
  const alreadyInstalled = existsSync(join(siteDirectory(), "config.php"));
  try {
    await run("bash", [moodleScript, "start-db"], { maxBuffer: 1 << 24 });
    await run("bash", [moodleScript, "install"], { maxBuffer: 1 << 24, timeout: 600_000 });
  } catch (error) {
    const { stderr } = error as { stderr?: string };
    throw new Error(
      `Could not set up the Moodle test site with ${moodleScript}: ${stderr?.trim() || (error as Error).message}`,
    );
  }
  // The address the site was installed with, which a later MOODLE_PORT does not change.
  const { stdout: wwwroot } = await run("php", [
    "-d",
    "max_input_vars=5000",
    join(siteDirectory(), "admin/cli/cfg.php"),
    "--name=wwwroot",
  ]);
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.info(
    `Moodle test site ${siteDirectory()} ${alreadyInstalled ? "reused" : "installed"} in ${seconds} s.`,
  );
  return {
    available: true,
    moodleDir: siteDirectory(),
    wwwroot: wwwroot.trim(),
    database: {
      name: process.env.MOODLE_DB_NAME ?? "moodle",
      user: process.env.MOODLE_DB_USER ?? "moodleuser",
      password: process.env.MOODLE_DB_PASS ?? "moodlepass",
      host: "127.0.0.1",
    },
  };
}

/** Mirrors the script's defaults: MOODLE_DIR, else $MOODLE_BASE/moodle, else $TMPDIR/moodle-test/moodle. */
function siteDirectory(): string {
  const base = process.env.MOODLE_BASE ?? join(process.env.TMPDIR ?? "/tmp", "moodle-test");
  return process.env.MOODLE_DIR ?? join(base, "moodle");
}

async function missingPrerequisites(): Promise<string[]> {
  const missing: string[] = [];
  const tarball =
    process.env.MOODLE_TARBALL ?? join(sharedDirectory, "moodle", "moodle-4.5.6.tar.gz");
  if (!existsSync(moodleScript)) missing.push(`${moodleScript} is absent`);
  if (!existsSync(tarball) && !existsSync(join(siteDirectory(), "config.php"))) {
    missing.push(`the Moodle tarball ${tarball} is absent`);
  }
  const php = await run("php", ["-r", "echo PHP_VERSION;"]).catch(() => undefined);
  if (!php)
    missing.push("php is not installed (bash shared/moodle/moodle-test-site.sh install-deps)");
  const psql = await run("pg_lsclusters", ["-h"]).catch(() => undefined);
  if (!psql) missing.push("PostgreSQL is not installed (same command)");
  if (process.getuid?.() !== 0) missing.push("the site script must run as root");
  return missing;
}
