import { execFile } from "node:child_process";
import { promisify } from "node:util";
import type { MoodleTestSite } from "../support/moodle-site.ts";

const run = promisify(execFile);

/**
 * Reads the test site's database directly, to check what a driver reports against what
 * Moodle actually stored. Queries are the tests' own, with numbers only interpolated.
 */
export async function queryMoodle(
  site: Extract<MoodleTestSite, { available: true }>,
  query: string,
): Promise<string[][]> {
  const { database } = site;
  const { stdout } = await run(
    "psql",
    [
      "-X",
      "-qtA",
      "-F",
      "\t",
      "-v",
      "ON_ERROR_STOP=1",
      "-h",
      database.host,
      "-U",
      database.user,
      "-d",
      database.name,
      "-c",
      query,
    ],
    { env: { ...process.env, PGPASSWORD: database.password } },
  );
  return stdout
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => line.split("\t"));
}

/**
 * md5 of the site's siteidentifier, as Moodle stored it: what both drivers' probes must
 * answer, so that a target edited from one address to another is told the same site.
 */
export async function siteIdentifierHash(
  site: Extract<MoodleTestSite, { available: true }>,
): Promise<string | undefined> {
  const [[hash] = []] = await queryMoodle(
    site,
    "SELECT md5(value) FROM mdl_config WHERE name = 'siteidentifier'",
  );
  return hash;
}

/** A course's activity modules by module name, as mdl_course_modules holds them. */
export async function courseModules(
  site: Extract<MoodleTestSite, { available: true }>,
  courseId: number,
): Promise<Record<string, number>> {
  const rows = await queryMoodle(
    site,
    `SELECT m.name, count(*) FROM mdl_course_modules cm JOIN mdl_modules m ON m.id = cm.module
      WHERE cm.course = ${Number(courseId)} AND cm.deletioninprogress = 0 GROUP BY m.name`,
  );
  return Object.fromEntries(rows.map(([name, count]) => [name as string, Number(count)]));
}

/** A course category of the test site made for this run, so that restores land apart. */
export async function createCategory(
  site: Extract<MoodleTestSite, { available: true }>,
  name: string,
): Promise<number> {
  const { stdout } = await run(
    "php",
    [
      "-d",
      "max_input_vars=5000",
      "-r",
      `define('CLI_SCRIPT', true); require 'config.php'; echo core_course_category::create(['name' => ${JSON.stringify(name)}])->id;`,
    ],
    { cwd: site.moodleDir },
  );
  return Number(stdout.trim());
}
