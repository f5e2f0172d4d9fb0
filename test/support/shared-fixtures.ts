import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const repositoryRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

/**
 * The shared material (real Moodle backups, the Moodle tarball) lives beside the
 * repository, not in it. COURSEFED_SHARED points elsewhere.
 */
export const sharedDirectory = process.env.COURSEFED_SHARED ?? resolve(repositoryRoot, "../shared");
export const fixtureDirectory = join(sharedDirectory, "fixtures", "mbz");

/**
 * Whether the real backups are here. CI must have them: a missing shared/ there is an
 * error, not a reason to skip. On a user's machine, tests that need them are skipped
 * with this message.
 */
export function haveFixtures(): boolean {
  if (existsSync(fixtureDirectory)) return true;
  if (process.env.CI) {
    throw new Error(
      `Real Moodle backups are missing from ${fixtureDirectory}; CI must run with shared/ beside the repository.`,
    );
  }
  console.warn(
    `Skipping tests on real Moodle backups: ${fixtureDirectory} is absent (set COURSEFED_SHARED to the shared/ folder).`,
  );
  return false;
}

export function fixture(name: string): string {
  return join(fixtureDirectory, name);
}
