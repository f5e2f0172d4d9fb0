/**
 * The ws driver against each real Moodle site (4.5.6 and 5.1.3) with the companion plugin installed the
 * way an institution admin would (test/support/moodle-plugin.ts). What the driver reports
 * is checked against Moodle's own web services (core_course_*), called with the site
 * script's token for every function, not through the plugin.
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { inspectBackup } from "@coursefed/mbz";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { countActivities } from "../../packages/moodle/src/activity-counts.ts";
import { WsDriver } from "../../packages/moodle/src/drivers/ws-driver.ts";
import { MoodleError } from "../../packages/moodle/src/errors.ts";
import { buildTarGz, moodleBackupXml } from "../support/archive-builder.ts";
import {
  ArchiveLinkServer,
  downloadsLeft,
  PullingWsDriver,
} from "../support/archive-link-server.ts";
import {
  installCoursefedPlugin,
  removeCoursefedPlugin,
  sourceVersion,
} from "../support/moodle-plugin.ts";
import {
  describeOnEachMoodle,
  type LiveMoodleSite,
  releasePattern,
  siteScript,
  withQuestionBanks,
} from "../support/moodle-site.ts";
import { fixture } from "../support/shared-fixtures.ts";
import { courseModules, queryMoodle, siteIdentifierHash } from "./moodle-database.ts";
import {
  makePickerFixtures,
  type PickerFixtures,
  sciencesTree,
  tokenRestrictedTo,
} from "./picker-fixtures.ts";

const run = promisify(execFile);
const TIMEOUT_MS = 120_000;

/** Moodle's core web services, with the all-functions token of moodle-test-site.sh. */
class CoreServices {
  readonly wwwroot: string;
  readonly token: string;

  constructor(wwwroot: string, token: string) {
    this.wwwroot = wwwroot;
    this.token = token;
  }

  async call<T>(wsfunction: string, parameters: Record<string, string | number> = {}): Promise<T> {
    const body = new URLSearchParams({
      wstoken: this.token,
      wsfunction,
      moodlewsrestformat: "json",
    });
    for (const [name, value] of Object.entries(parameters)) body.set(name, String(value));
    const response = await fetch(`${this.wwwroot}/webservice/rest/server.php`, {
      method: "POST",
      body,
    });
    const answer = (await response.json()) as T & { exception?: string; message?: string };
    if (answer && typeof answer === "object" && "exception" in answer) {
      throw new Error(`${wsfunction}: ${answer.message}`);
    }
    return answer;
  }

  /** The course's modules by name, as Moodle lists them on the course page. */
  async modulesOf(courseId: number): Promise<Record<string, number>> {
    const sections = await this.call<Array<{ modules: Array<{ modname: string }> }>>(
      "core_course_get_contents",
      { courseid: courseId },
    );
    return countActivities(
      sections.flatMap((section) => section.modules.map((module) => ({ module: module.modname }))),
    );
  }

  async courses(): Promise<
    Array<{ id: number; fullname: string; shortname: string; visible: number }>
  > {
    return this.call("core_course_get_courses");
  }

  async enrolledUsers(courseId: number): Promise<unknown[]> {
    return this.call("core_enrol_get_enrolled_users", { courseid: courseId });
  }
}

/** Runs one of Moodle's CLI scripts on the test site. */
async function moodleCli(site: LiveMoodleSite, args: readonly string[]): Promise<void> {
  await run("php", ["-d", "max_input_vars=5000", ...args], { cwd: site.moodleDir });
}

async function expectedActivitiesOf(path: string): Promise<Record<string, number>> {
  return { ...countActivities((await inspectBackup(path)).activities) };
}

async function moodleErrorOf(promise: Promise<unknown>): Promise<MoodleError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(MoodleError);
  return error as MoodleError;
}

describeOnEachMoodle("ws driver on a real Moodle with local_coursefed", (site) => {
  const wwwroot = site.wwwroot;
  let core: CoreServices;
  let driver: WsDriver;
  let scratch: string;
  /** Where the site pulls the archives it restores from, as from a node. */
  let links: ArchiveLinkServer;

  beforeAll(async () => {
    links = await ArchiveLinkServer.start();
    await siteScript(site, "serve");
    core = new CoreServices(wwwroot, (await siteScript(site, "token")).split("\n").at(-1) ?? "");
    scratch = await mkdtemp(join(tmpdir(), "coursefed-ws-"));
  });

  afterAll(async () => {
    await links?.stop();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  it("says the plugin is missing, and how to install it, on a site without it", async () => {
    await removeCoursefedPlugin(site);
    const withoutPlugin = new PullingWsDriver(links, {
      url: wwwroot,
      token: core.token,
      timeoutMs: TIMEOUT_MS,
    });
    const error = await moodleErrorOf(withoutPlugin.probe());
    expect(error.code).toBe("PLUGIN_MISSING");
    expect(error.transient).toBe(false);
    expect(error.message).toContain("packages/moodle-plugin/local_coursefed");
    expect(error.message).toContain("admin/cli/upgrade.php");
    const restore = await moodleErrorOf(
      withoutPlugin.restore({
        archivePath: fixture("m26dev-zip-course-glossary-nousers.mbz"),
        destination: { kind: "new-course", categoryId: 1 },
        expectedActivities: {},
      }),
    );
    expect(restore.code).toBe("PLUGIN_MISSING");
  });

  describe("with the plugin installed", () => {
    beforeAll(async () => {
      const token = await installCoursefedPlugin(site);
      driver = new PullingWsDriver(links, { url: wwwroot, token, timeoutMs: TIMEOUT_MS });
    });

    it("probes the site: version, release, branch, plugins with versions, no upload limit, its identity", async () => {
      const info = await driver.probe();
      expect(info.siteIdentifierHash).toMatch(/^[0-9a-f]{32}$/);
      expect(info.siteIdentifierHash).toBe(await siteIdentifierHash(site));
      expect(info.release).toMatch(releasePattern(site));
      expect(info.version.startsWith(site.build)).toBe(true);
      expect(info.branch).toBe(site.release);
      expect(info.plugins.mod_quiz).toBeGreaterThan(2024000000);
      expect(info.plugins.local_coursefed).toBe(Number(await sourceVersion()));
      expect(info.plugins.mod_surveypro).toBeUndefined();
      // The site pulls what it restores from the node: PHP's upload limits no longer apply.
      expect(info.maxRestoreBytes).toBeNull();
    });

    it.each([
      ["a zip from Moodle 2.6", "m26dev-zip-course-glossary-nousers.mbz", {}],
      ["a tar.gz from Moodle 3.2", "m324-tgz-course-files-scorm-nousers.mbz", {}],
      // Moodle 5.0's question banks are qbank modules, which 4.5 does not have.
      [
        "a tar.gz from Moodle 5.0 with users",
        "m503-tgz-course-qbank-users-async.mbz",
        site.release === "4.5" ? { qbank: 2 } : {},
      ],
    ])("restores %s as a new course, without users (%s)", async (_label, name, missing) => {
      const archivePath = fixture(name);
      const expectedActivities = await expectedActivitiesOf(archivePath);
      const started = performance.now();
      const outcome = await driver.restore({
        archivePath,
        destination: { kind: "new-course", categoryId: 1 },
        expectedActivities,
      });
      const seconds = ((performance.now() - started) / 1000).toFixed(2);
      console.info(`ws restore of ${name}: ${seconds} s`);

      expect(outcome.missingActivities).toEqual(missing);
      expect(outcome.courseUrl).toBe(`${wwwroot}/course/view.php?id=${outcome.courseId}`);
      expect(outcome.log).toContain("users=0");
      // Moodle's own view of the course agrees with the driver's.
      const onSite = await core.modulesOf(outcome.courseId);
      expect(onSite).toEqual(outcome.restoredActivities);
      for (const [module, count] of Object.entries(expectedActivities)) {
        expect(onSite[module] ?? 0).toBe(
          count - ((missing as Record<string, number>)[module] ?? 0),
        );
      }
      expect(await core.enrolledUsers(outcome.courseId)).toEqual([]);
    });

    it("restores an activity backup as a visible new course named after its original course", async () => {
      const outcome = await driver.restore({
        archivePath: fixture("m285-zip-activity-quiz-nousers.mbz"),
        destination: { kind: "new-course", categoryId: 1 },
        expectedActivities: { quiz: 1 },
      });
      expect(outcome.missingActivities).toEqual({});
      // On 5.1 the quiz's questions come in a qbank module (see withQuestionBanks).
      expect(await core.modulesOf(outcome.courseId)).toEqual(
        withQuestionBanks(site, { quiz: 1 }, 1),
      );
      const course = (await core.courses()).find((each) => each.id === outcome.courseId);
      // "... copy N" when the site already has a course of that name.
      expect(course?.fullname).toMatch(/^Backup test( copy \d+)?$/);
      expect(course?.visible).toBe(1);
    });

    it("names a new course after the title given, with a unique short name when the name is taken", async () => {
      // The site is kept between runs: a title of this run only.
      const title = `Glossaire de chimie organique ${Date.now().toString(36)}`;
      const restore = (names: { fullName?: string; shortName?: string }, archive?: string) =>
        driver.restore({
          archivePath: fixture(archive ?? "m26dev-zip-course-glossary-nousers.mbz"),
          destination: { kind: "new-course", categoryId: 1, ...names },
          expectedActivities: {},
        });
      // What Moodle stored (core_course_get_courses answers the names formatted as HTML).
      const course = async (courseId: number) => {
        const [[fullname, shortname, visible] = []] = await queryMoodle(
          site,
          `SELECT fullname, shortname, visible FROM mdl_course WHERE id = ${Number(courseId)}`,
        );
        return { fullname, shortname, visible: Number(visible) };
      };
      const asInBackup = await course((await restore({})).courseId);

      const first = await restore({ fullName: `  ${title}\n` });
      expect(first.log).not.toContain("cannot name");
      expect(await core.modulesOf(first.courseId)).toEqual({ glossary: 1 });
      // The backup's visibility is kept; only the names change.
      expect(await course(first.courseId)).toEqual({
        fullname: title,
        shortname: title,
        visible: asInBackup?.visible,
      });

      const again = await course((await restore({ fullName: title })).courseId);
      expect(again).toMatchObject({ fullname: `${title} copy 1`, shortname: `${title}_1` });

      // Cleaned as PARAM_TEXT, not refused; a short name of its own.
      const own = await restore({
        fullName: `${title} <b>bis</b> & co`,
        shortName: `GCO-${title}`,
      });
      expect(await course(own.courseId)).toMatchObject({
        fullname: `${title} bis & co`,
        shortname: `GCO-${title}`,
      });

      // A course made from an activity backup, no longer hidden, takes the title too.
      const quiz = await restore(
        { fullName: `Quiz ${title}` },
        "m285-zip-activity-quiz-nousers.mbz",
      );
      expect(await course(quiz.courseId)).toEqual({
        fullname: `Quiz ${title}`,
        shortname: `Quiz ${title}`,
        visible: 1,
      });
      expect(await downloadsLeft(site)).toEqual([]);
    });

    it("names the activities Moodle dropped for a missing plugin (mod_surveypro)", async () => {
      const archivePath = fixture("m44beta-tgz-course-surveypro-nousers.mbz");
      const outcome = await driver.restore({
        archivePath,
        destination: { kind: "new-course", categoryId: 1 },
        expectedActivities: await expectedActivitiesOf(archivePath),
      });
      expect(outcome.missingActivities).toEqual({ surveypro: 20 });
      expect(outcome.restoredActivities).toEqual({ forum: 1 });
      expect(await core.modulesOf(outcome.courseId)).toEqual({ forum: 1 });
    });

    it("merges a backup into an existing course, then replaces the course's contents", async () => {
      // Moodle 5.1.3's core_course_get_contents fails on m262's grade availability condition
      // (availability_grade calls grade_helper, which lives in grade/lib.php, without loading
      // it: 'Class "grade_helper" not found'): there the modules are read from the database.
      const modulesOf = (courseId: number) =>
        site.release === "4.5" ? core.modulesOf(courseId) : courseModules(site, courseId);
      const base = await driver.restore({
        archivePath: fixture("m262-tgz-course-availability-nousers.mbz"),
        destination: { kind: "new-course", categoryId: 1 },
        expectedActivities: { page: 14, quiz: 1, forum: 1 },
      });
      expect(await modulesOf(base.courseId)).toEqual(
        withQuestionBanks(site, { page: 14, quiz: 1, forum: 1 }, 1),
      );

      const merged = await driver.restore({
        archivePath: fixture("m285-zip-activity-quiz-nousers.mbz"),
        destination: { kind: "existing-course", courseId: base.courseId, mode: "merge" },
        expectedActivities: { quiz: 1 },
      });
      expect(merged.courseId).toBe(base.courseId);
      // Only what this restore added counts as restored; the course keeps its own modules.
      // On 5.1 the quiz's questions join the course's own question bank: no qbank is added.
      expect(merged.restoredActivities).toEqual({ quiz: 1 });
      expect(merged.missingActivities).toEqual({});
      expect(await modulesOf(base.courseId)).toEqual(
        withQuestionBanks(site, { page: 14, quiz: 2, forum: 1 }, 1),
      );

      const replaced = await driver.restore({
        archivePath: fixture("m26dev-zip-course-glossary-nousers.mbz"),
        destination: { kind: "existing-course", courseId: base.courseId, mode: "replace" },
        expectedActivities: { glossary: 1 },
      });
      expect(replaced.courseId).toBe(base.courseId);
      expect(replaced.restoredActivities).toEqual({ glossary: 1 });
      expect(await modulesOf(base.courseId)).toEqual({ glossary: 1 });
      expect(await downloadsLeft(site)).toEqual([]);
    });

    it("backs a course up without user data into the output directory", async () => {
      const restored = await driver.restore({
        archivePath: fixture("m503-tgz-course-qbank-users-async.mbz"),
        destination: { kind: "new-course", categoryId: 1 },
        expectedActivities: {},
      });
      const outputDirectory = join(scratch, "backup");
      await run("mkdir", ["-p", outputDirectory]);
      const outcome = await driver.backup({ courseId: restored.courseId, outputDirectory });

      expect(outcome.path.startsWith(`${outputDirectory}/`)).toBe(true);
      expect(outcome.path).toMatch(/-nu\.mbz$/);
      expect(outcome.log).toContain("users=0");
      const report = await inspectBackup(outcome.path);
      expect(report.settings.root.users).toBe("0");
      expect(report.personalData.verdict).toBe("clean");
      expect(countActivities(report.activities)).toEqual(
        withQuestionBanks(site, { forum: 1, quiz: 1 }, 2),
      );
      expect((await stat(outcome.path)).size).toBe(report.size);
    });

    it("refuses a bad token as an authentication failure", async () => {
      const stranger = new PullingWsDriver(links, {
        url: wwwroot,
        token: "0".repeat(32),
        timeoutMs: TIMEOUT_MS,
      });
      const error = await moodleErrorOf(stranger.probe());
      expect(error.code).toBe("AUTHENTICATION");
      expect(error.transient).toBe(false);
      const upload = await moodleErrorOf(
        stranger.restore({
          archivePath: fixture("m26dev-zip-course-glossary-nousers.mbz"),
          destination: { kind: "new-course", categoryId: 1 },
          expectedActivities: {},
        }),
      );
      expect(upload.code).toBe("AUTHENTICATION");
    });

    it("reports a corrupt archive as a failed restore and leaves no course behind", async () => {
      const corrupt = join(scratch, "corrupt.mbz");
      await run("dd", ["if=/dev/urandom", `of=${corrupt}`, "bs=1k", "count=64"]);
      const before = await core.courses();
      const error = await moodleErrorOf(
        driver.restore({
          archivePath: corrupt,
          destination: { kind: "new-course", categoryId: 1 },
          expectedActivities: {},
        }),
      );
      expect(error.code).toBe("RESTORE_FAILED");
      // The file the site downloaded it into, named after its digest.
      expect(error.message).toMatch(/[0-9a-f]{16}-\w+\.mbz is not a Moodle backup/);
      expect(await core.courses()).toEqual(before);
      // The downloaded archive is deleted whether the restore worked or not.
      expect(await downloadsLeft(site)).toEqual([]);
    });

    it("deletes the course it made when a restore fails after making it", async () => {
      // Its moodle_backup.xml reads well, so the new course is made; the rest of the backup is missing.
      const hollow = join(scratch, "hollow.mbz");
      await writeFile(
        hollow,
        await buildTarGz([{ name: "moodle_backup.xml", data: moodleBackupXml({}) }]),
      );
      const before = await core.courses();
      const recycled = "SELECT count(*) FROM mdl_tool_recyclebin_category";
      const recycledBefore = await queryMoodle(site, recycled);
      const error = await moodleErrorOf(
        driver.restore({
          archivePath: hollow,
          destination: { kind: "new-course", categoryId: 1 },
          expectedActivities: {},
        }),
      );
      expect(error.code).toBe("RESTORE_FAILED");
      expect(error.message).toContain("missing_roles_xml_file");
      expect(await core.courses()).toEqual(before);
      // Deleted as the restore's debris (the one restorer the cli driver runs too), not kept
      // in the category's recycle bin.
      expect(await queryMoodle(site, recycled)).toEqual(recycledBefore);
    });

    it("reports a failed precheck with Moodle's reason", async () => {
      const before = await core.courses();
      // Restoring a course backup over the front page is an error of the precheck itself.
      const error = await moodleErrorOf(
        driver.restore({
          archivePath: fixture("m26dev-zip-course-glossary-nousers.mbz"),
          destination: { kind: "existing-course", courseId: 1, mode: "merge" },
          expectedActivities: {},
        }),
      );
      expect(error.code).toBe("RESTORE_FAILED");
      expect(error.message).toContain(
        "the restore precheck found errors: You can only restore site home backups on the site home",
      );
      expect(await core.courses()).toEqual(before);
    });

    it("says a course that does not exist is not found", async () => {
      const error = await moodleErrorOf(
        driver.backup({ courseId: 999_999, outputDirectory: scratch }),
      );
      expect(error.code).toBe("NOT_FOUND");
    });

    it("gives up after timeoutMs, transiently, and leaves the caller's abort to the caller", async () => {
      const hurried = new WsDriver({ url: wwwroot, token: "0".repeat(32), timeoutMs: 1 });
      const error = await moodleErrorOf(hurried.probe());
      expect(error.code).toBe("TIMEOUT");
      expect(error.transient).toBe(true);
      const aborted = driver.probe(AbortSignal.abort(new Error("the node is shutting down")));
      await expect(aborted).rejects.toThrow("the node is shutting down");
    });

    it("says to enable REST when the site's web services answer 403", async () => {
      await moodleCli(site, ["admin/cli/cfg.php", "--name=webserviceprotocols", "--set="]);
      try {
        const error = await moodleErrorOf(driver.probe());
        expect(error.code).toBe("MISCONFIGURED");
        expect(error.message).toContain("enable web services and the REST protocol");
      } finally {
        await moodleCli(site, ["admin/cli/cfg.php", "--name=webserviceprotocols", "--set=rest"]);
      }
      expect((await driver.probe()).branch).toBe(site.release);
    });

    it("says an unreachable site is unreachable, transiently", async () => {
      const nowhere = new WsDriver({ url: "http://127.0.0.1:9", token: "x", timeoutMs: 5_000 });
      const error = await moodleErrorOf(nowhere.probe());
      expect(error.code).toBe("UNREACHABLE");
      expect(error.transient).toBe(true);
    });
  });
});

describeOnEachMoodle("ws driver listing categories and courses", (site) => {
  let driver: WsDriver;
  let made: PickerFixtures;

  beforeAll(async () => {
    await siteScript(site, "serve");
    const token = await installCoursefedPlugin(site);
    driver = new WsDriver({ url: site.wwwroot, token, timeoutMs: TIMEOUT_MS });
    made = await makePickerFixtures(site.moodleDir);
  });

  it("lists the categories the node's user may restore into, with paths, course counts and visibility", async () => {
    const categories = await driver.listCategories();
    expect(
      categories.filter((category) => category.path.startsWith(`Sciences ${made.stamp}`)),
    ).toEqual(sciencesTree(made));
  });

  it("finds courses by words of their names, a page at a time", async () => {
    const [organique, minerale, physique] = made.courseIds;
    const chimie = await driver.listCourses({ search: `CHIMIE ${made.stamp}` });
    expect(chimie.total).toBe(2);
    expect(chimie.courses[0]).toEqual({
      id: minerale,
      fullName: `Chimie minérale ${made.stamp}`,
      shortName: `CHMIN${made.stamp}`,
      categoryId: made.chimieId,
      categoryPath: `Sciences ${made.stamp} / Chimie`,
      visible: true,
    });
    expect(chimie.courses[1]?.id).toBe(organique);
    const second = await driver.listCourses({ search: made.stamp, offset: 2, limit: 2 });
    expect(second).toMatchObject({ total: 3, courses: [{ id: physique }] });
  });

  it("lists for a user narrowed to one category only that category and its courses", async () => {
    const token = await tokenRestrictedTo(site.moodleDir, made.chimieId, made.stamp);
    const narrowed = new WsDriver({ url: site.wwwroot, token, timeoutMs: TIMEOUT_MS });
    expect((await narrowed.listCategories()).map((category) => category.id)).toEqual([
      made.chimieId,
    ]);
    const courses = await narrowed.listCourses({});
    expect(courses.total).toBe(3);
    expect(courses.courses.map((course) => course.id).sort()).toEqual([...made.courseIds].sort());
  });

  it("refuses a user who may restore nowhere, naming what they lack", async () => {
    // The role lacks local/coursefed:restore: a restore would be refused everywhere.
    const token = await tokenRestrictedTo(site.moodleDir, made.chimieId, `${made.stamp}b`, [
      "moodle/course:create",
      "moodle/restore:restorecourse",
    ]);
    const nowhere = new WsDriver({ url: site.wwwroot, token, timeoutMs: TIMEOUT_MS });
    const error = await moodleErrorOf(nowhere.listCategories());
    expect(error.code).toBe("AUTHENTICATION");
    // Moodle names the capability by its description (lang/en's coursefed:restore).
    expect(error.message).toContain("Restore a coursefed backup without user data");
    expect((await moodleErrorOf(nowhere.listCourses({ search: "x" }))).code).toBe("AUTHENTICATION");
  });
});
