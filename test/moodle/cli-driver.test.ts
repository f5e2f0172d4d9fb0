import { execFile } from "node:child_process";
import { chmod, cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { type BackupReport, inspectBackup, sanitizeBackup } from "@coursefed/mbz";
import {
  type ActivityCounts,
  type BackupFacts,
  backupFactsOf,
  CliDriver,
  checkCompatibility,
  countActivities,
  MoodleError,
  type MoodleSiteInfo,
  type RestoreOutcome,
} from "@coursefed/moodle";
import { afterAll, beforeAll, expect, it } from "vitest";
import { buildManifest } from "../../packages/node/src/manifests/course-manifest.ts";
import { describeOnEachMoodle, releasePattern, withQuestionBanks } from "../support/moodle-site.ts";
import { fixture, haveFixtures } from "../support/shared-fixtures.ts";
import { courseModules, queryMoodle, siteIdentifierHash } from "./moodle-database.ts";
import { makePickerFixtures, type PickerFixtures, sciencesTree } from "./picker-fixtures.ts";

const run = promisify(execFile);
describeOnEachMoodle(
  "cli driver on a real Moodle",
  (live) => {
    let driver: CliDriver;
    let work: string;
    let siteInfo: MoodleSiteInfo;
    const timings: string[] = [];

    beforeAll(async () => {
      driver = new CliDriver({ moodleDir: live.moodleDir, timeoutMs: 120_000 });
      work = await mkdtemp(join(tmpdir(), "coursefed-moodle-"));
      siteInfo = await driver.probe();
    });
    afterAll(async () => {
      if (timings.length > 0) console.info(`Restore and backup times:\n  ${timings.join("\n  ")}`);
      if (work) await rm(work, { recursive: true, force: true });
    });

    async function inspected(
      path: string,
    ): Promise<{ report: BackupReport; expected: ActivityCounts }> {
      const report = await inspectBackup(path);
      return { report, expected: countActivities(report.activities) };
    }

    async function restoreNew(path: string, label: string): Promise<RestoreOutcome> {
      const { expected } = await inspected(path);
      const started = performance.now();
      const outcome = await driver.restore({
        archivePath: path,
        destination: { kind: "new-course", categoryId: 1 },
        expectedActivities: expected,
      });
      timings.push(`${label}: ${((performance.now() - started) / 1000).toFixed(2)} s`);
      return outcome;
    }

    /** A copy of m3107 (tar.gz) with its files changed by `edit`. */
    async function alteredBackup(
      name: string,
      edit: (unpacked: string) => Promise<void>,
    ): Promise<string> {
      const unpacked = join(work, name);
      await mkdir(unpacked);
      await run("tar", ["-xzf", fixture("m3107-tgz-course-quiz-users-logs.mbz"), "-C", unpacked]);
      await edit(unpacked);
      const path = join(work, `${name}.mbz`);
      await run("tar", ["-czf", path, "-C", unpacked, "."]);
      return path;
    }

    /** Fails the test unless `attempt` rejects; returns the error. */
    async function failure(attempt: Promise<unknown>): Promise<MoodleError> {
      const error = await attempt.then(
        () => undefined,
        (caught: unknown) => caught,
      );
      expect(error).toBeInstanceOf(MoodleError);
      return error as MoodleError;
    }

    /** Whether the course a failed restore had created (restore.php names it on stderr) is still there. */
    async function createdCourseLeft(error: MoodleError): Promise<boolean | "none created"> {
      const created = /coursefed-restore-started: \{"courseId":(\d+)/.exec(error.log);
      if (!created) return "none created";
      const rows = await queryMoodle(
        live,
        `SELECT count(*) FROM mdl_course WHERE id = ${created[1]}`,
      );
      return rows[0]?.[0] !== "0";
    }

    it("probes the site: version, branch, installed plugins with versions, its identity", async () => {
      expect(siteInfo.siteIdentifierHash).toMatch(/^[0-9a-f]{32}$/);
      expect(siteInfo.siteIdentifierHash).toBe(await siteIdentifierHash(live));
      expect(siteInfo.release).toMatch(releasePattern(live));
      expect(siteInfo.version.startsWith(live.build)).toBe(true);
      expect(siteInfo.branch).toBe(live.release);
      expect(siteInfo.plugins.mod_quiz).toBeGreaterThanOrEqual(2024100700);
      expect(siteInfo.plugins.qtype_stack).toBeUndefined();
      expect(siteInfo.maxRestoreBytes).toBeNull();
    });

    it.each([
      ["m26dev-zip-course-glossary-nousers.mbz", "zip from 2.6dev", { glossary: 1 }, "weeks"],
      [
        "m324-tgz-course-files-scorm-nousers.mbz",
        "tar.gz from 3.2",
        { folder: 1, forum: 1, imscp: 1, scorm: 1 },
        "topics",
      ],
    ])(
      "restores %s (%s) as a new course with all its activities",
      async (name, label, modules, format) => {
        const outcome = await restoreNew(fixture(name), label);
        expect(outcome.restoredActivities).toEqual(modules);
        expect(outcome.missingActivities).toEqual({});
        expect(outcome.courseUrl).toBe(`${live.wwwroot}/course/view.php?id=${outcome.courseId}`);
        expect(await courseModules(live, outcome.courseId)).toEqual(modules);
        const [course] = await queryMoodle(
          live,
          `SELECT format, fullname FROM mdl_course WHERE id = ${outcome.courseId}`,
        );
        expect(course?.[0]).toBe(format);
        expect(course?.[1]).not.toBe("Course restoration in progress");
      },
    );

    it("restores an activity backup (m285, zip from 2.8) as a visible course named after its original", async () => {
      const outcome = await restoreNew(
        fixture("m285-zip-activity-quiz-nousers.mbz"),
        "m285 activity zip from 2.8",
      );
      expect(outcome.missingActivities).toEqual({});
      expect(await courseModules(live, outcome.courseId)).toEqual(
        withQuestionBanks(live, { quiz: 1 }, 1),
      );
      const [course] = await queryMoodle(
        live,
        `SELECT fullname, visible FROM mdl_course WHERE id = ${outcome.courseId}`,
      );
      expect(course?.[0]).toMatch(/^Backup test/);
      expect(course?.[1]).toBe("1");
    });

    it("names a new course after the title given, with a unique short name when the name is taken", async () => {
      // The site is kept between runs: a title of this run only.
      const title = `Glossaire de chimie organique ${Date.now().toString(36)}`;
      const glossary = fixture("m26dev-zip-course-glossary-nousers.mbz");
      const names = (courseId: number) =>
        queryMoodle(
          live,
          `SELECT fullname, shortname, visible FROM mdl_course WHERE id = ${Number(courseId)}`,
        );
      const asInBackup = await restoreNew(glossary, "m26dev, the backup's names");
      const restore = (destination: { fullName?: string; shortName?: string }) =>
        driver.restore({
          archivePath: glossary,
          destination: { kind: "new-course", categoryId: 1, ...destination },
          expectedActivities: { glossary: 1 },
        });

      const first = await restore({ fullName: `  ${title}\n` });
      expect(first.missingActivities).toEqual({});
      expect(await courseModules(live, first.courseId)).toEqual({ glossary: 1 });
      const [[, , visibleAsInBackup] = []] = await names(asInBackup.courseId);
      // The backup's visibility is kept; only the names change.
      expect(await names(first.courseId)).toEqual([[title, title, visibleAsInBackup]]);

      const again = await restore({ fullName: title });
      const [[fullname, shortname] = []] = await names(again.courseId);
      expect(fullname).toBe(`${title} copy 1`);
      expect(shortname).toBe(`${title}_1`);

      // PARAM_TEXT as Moodle's course form: tags go; a short name of its own.
      const own = await restore({
        fullName: `${title} <b>bis</b> & co`,
        shortName: `GCO-${title}`,
      });
      expect(await names(own.courseId)).toEqual([
        [`${title} bis & co`, `GCO-${title}`, visibleAsInBackup],
      ]);
    });

    it("names a course made from an activity backup after the title given, and shows it", async () => {
      const title = `Quiz de chimie ${Date.now().toString(36)}`;
      const outcome = await driver.restore({
        archivePath: fixture("m285-zip-activity-quiz-nousers.mbz"),
        destination: { kind: "new-course", categoryId: 1, fullName: title },
        expectedActivities: { quiz: 1 },
      });
      expect(
        await queryMoodle(
          live,
          `SELECT fullname, shortname, visible FROM mdl_course WHERE id = ${outcome.courseId}`,
        ),
      ).toEqual([[title, title, "1"]]);
    });

    it("refuses a name longer than Moodle keeps before running PHP", async () => {
      const courses = "SELECT count(*) FROM mdl_course";
      const before = await queryMoodle(live, courses);
      const error = await failure(
        driver.restore({
          archivePath: fixture("m26dev-zip-course-glossary-nousers.mbz"),
          destination: { kind: "new-course", categoryId: 1, fullName: "x".repeat(255) },
          expectedActivities: {},
        }),
      );
      expect(error).toMatchObject({ code: "RESTORE_FAILED", transient: false, log: "" });
      expect(error.message).toContain("at most 254 characters");
      expect(await queryMoodle(live, courses)).toEqual(before);
    });

    it("restores a backup with users and logs (m3107) without bringing any account or enrolment", async () => {
      const usersBefore = await queryMoodle(live, "SELECT count(*) FROM mdl_user");
      const outcome = await restoreNew(
        fixture("m3107-tgz-course-quiz-users-logs.mbz"),
        "m3107 tar.gz from 3.10, users",
      );
      expect(outcome.restoredActivities).toEqual(withQuestionBanks(live, { quiz: 1 }, 1));
      expect(outcome.missingActivities).toEqual({});
      expect(await queryMoodle(live, "SELECT count(*) FROM mdl_user")).toEqual(usersBefore);
      const enrolled = await queryMoodle(
        live,
        `SELECT count(*) FROM mdl_user_enrolments ue JOIN mdl_enrol e ON e.id = ue.enrolid WHERE e.courseid = ${outcome.courseId}`,
      );
      expect(enrolled).toEqual([["0"]]);
    });

    it("restores the 4.5 backup with users (m455) that Moodle's own CLI refuses, and reports the studentquiz it dropped", async () => {
      // restore_backup.php fails on it with a hidden user conflict; without users there is none.
      const path = fixture("m455-tgz-course-studentquiz-users.mbz");
      const { report } = await inspected(path);
      expect(checkCompatibility(backupFactsOf(report), siteInfo).problems).toEqual([
        expect.objectContaining({ kind: "missing-plugins", plugins: ["mod_studentquiz"] }),
      ]);
      const usersBefore = await queryMoodle(live, "SELECT count(*) FROM mdl_user");
      const outcome = await restoreNew(path, "m455 tar.gz from 4.5, users");
      expect(outcome.missingActivities).toEqual({ studentquiz: 1 });
      expect(await courseModules(live, outcome.courseId)).toEqual(outcome.restoredActivities);
      expect(await queryMoodle(live, "SELECT count(*) FROM mdl_user")).toEqual(usersBefore);
    });

    it("names mod_surveypro before restoring m44beta, and reports the 20 activities Moodle dropped", async () => {
      const path = fixture("m44beta-tgz-course-surveypro-nousers.mbz");
      const { report } = await inspected(path);
      const check = checkCompatibility(backupFactsOf(report), siteInfo);
      expect(check.restorable).toBe(false);
      expect(check.problems.map((problem) => problem.message).join(" ")).toContain("mod_surveypro");
      const outcome = await restoreNew(path, "m44beta tar.gz from 4.4, surveypro");
      expect(outcome.restoredActivities).toEqual({ forum: 1 });
      expect(outcome.missingActivities).toEqual({ surveypro: 20 });
    });

    it("checks a course from its signed manifest alone, before any download", async () => {
      const { report } = await inspected(fixture("m232-zip-course-stackdemo-nousers.mbz"));
      const manifest = buildManifest(report, {
        object: "https://node.example/courses/1",
        revision: 1,
        license: null,
        publishedAt: new Date(),
      });
      const facts: BackupFacts = manifest;
      expect(checkCompatibility(facts, siteInfo).problems).toEqual([
        expect.objectContaining({ kind: "missing-plugins", plugins: ["qtype_stack"] }),
      ]);
    });

    // A 5.0 backup is newer than 4.5 only. shared/moodle/README.md, "What differs on 5.1":
    // "Question banks (5.0+): no course-level question categories. A restore makes `qbank`
    // course modules".
    if (live.release === "4.5") {
      it("refuses a 5.0 backup in the check, and passes on Moodle's precheck warning when restored anyway", async () => {
        const path = fixture("m503-tgz-course-qbank-users-async.mbz");
        const { report } = await inspected(path);
        const check = checkCompatibility(backupFactsOf(report), siteInfo);
        expect(check.problems.map((problem) => problem.kind)).toContain("newer-backup");
        const outcome = await restoreNew(path, "m503 tar.gz from 5.0 (override)");
        expect(outcome.log).toMatch(/newer than your currently installed Moodle 4\.5\.6/);
      });
    } else {
      it("passes a 5.0 backup in the check, and restores it with its question banks", async () => {
        const path = fixture("m503-tgz-course-qbank-users-async.mbz");
        const { report, expected } = await inspected(path);
        expect(expected.qbank).toBe(2);
        const check = checkCompatibility(backupFactsOf(report), siteInfo);
        expect(check.problems.map((problem) => problem.kind)).not.toContain("newer-backup");
        const outcome = await restoreNew(path, "m503 tar.gz from 5.0");
        expect(outcome.log).not.toMatch(/newer than your currently installed/);
        expect(outcome.missingActivities).toEqual({});
        expect(await courseModules(live, outcome.courseId)).toEqual(outcome.restoredActivities);
      });
    }

    it("merges into an existing course, then replaces its contents, keeping the course and its people", async () => {
      const target = await restoreNew(
        fixture("m324-tgz-course-files-scorm-nousers.mbz"),
        "m324 target",
      );
      const glossary = fixture("m26dev-zip-course-glossary-nousers.mbz");
      const merged = await driver.restore({
        archivePath: glossary,
        destination: { kind: "existing-course", courseId: target.courseId, mode: "merge" },
        expectedActivities: { glossary: 1 },
      });
      expect(merged.courseId).toBe(target.courseId);
      expect(await courseModules(live, target.courseId)).toEqual({
        folder: 1,
        forum: 1,
        glossary: 1,
        imscp: 1,
        scorm: 1,
      });
      // A teacher of the receiving course, who must still be there after the replace.
      await run("php", [
        "-r",
        `define('CLI_SCRIPT', true); require('${live.moodleDir}/config.php');
       echo enrol_try_internal_enrol(${target.courseId}, get_admin()->id, 3) ? 'enrolled' : 'failed';`,
      ]);
      const enrolments = `SELECT count(*) FROM mdl_user_enrolments ue JOIN mdl_enrol e ON e.id = ue.enrolid WHERE e.courseid = ${target.courseId}`;
      expect(await queryMoodle(live, enrolments)).toEqual([["1"]]);
      const replaced = await driver.restore({
        archivePath: glossary,
        destination: { kind: "existing-course", courseId: target.courseId, mode: "replace" },
        expectedActivities: { glossary: 1 },
      });
      expect(replaced).toMatchObject({ courseId: target.courseId, missingActivities: {} });
      expect(await courseModules(live, target.courseId)).toEqual({ glossary: 1 });
      expect(await queryMoodle(live, enrolments)).toEqual([["1"]]);
    });

    it("backs a restored course up without user data", async () => {
      const sanitized = join(work, "m3107-sanitized.mbz");
      const { after } = await sanitizeBackup(
        fixture("m3107-tgz-course-quiz-users-logs.mbz"),
        sanitized,
      );
      expect(after.personalData.verdict).toBe("clean");
      const restored = await restoreNew(sanitized, "m3107 sanitized");
      expect(
        await queryMoodle(
          live,
          `SELECT count(*) FROM mdl_user_enrolments ue JOIN mdl_enrol e ON e.id = ue.enrolid WHERE e.courseid = ${restored.courseId}`,
        ),
      ).toEqual([["0"]]);
      const started = performance.now();
      const outcome = await driver.backup({ courseId: restored.courseId, outputDirectory: work });
      timings.push(
        `backup of the m3107 course: ${((performance.now() - started) / 1000).toFixed(2)} s`,
      );
      expect(outcome.path).toMatch(/-nu\.mbz$/);
      const report = await inspectBackup(outcome.path);
      expect(report.settings.root.users).toBe("0");
      expect(report.personalData.verdict).toBe("clean");
      expect(report.moodleRelease).toMatch(releasePattern(live));
      expect(countActivities(report.activities)).toEqual(withQuestionBanks(live, { quiz: 1 }, 1));
      // The course's own backup area keeps no copy.
      const kept = await queryMoodle(
        live,
        `SELECT count(*) FROM mdl_files f JOIN mdl_context c ON c.id = f.contextid
        WHERE c.contextlevel = 50 AND c.instanceid = ${restored.courseId} AND f.component = 'backup' AND f.filename <> '.'`,
      );
      expect(kept).toEqual([["0"]]);
    });

    it("refuses to back up into a directory PHP cannot write, and a course that does not exist", async () => {
      await expect(
        driver.backup({ courseId: 1_000_000, outputDirectory: work }),
      ).rejects.toMatchObject({ code: "NOT_FOUND" });
      // The site is kept between runs, whose tests delete courses: one that is there now.
      const [[existing]] = (await queryMoodle(
        live,
        "SELECT min(id) FROM mdl_course WHERE id > 1",
      )) as [[string]];
      await expect(
        driver.backup({ courseId: Number(existing), outputDirectory: join(work, "absent") }),
      ).rejects.toMatchObject({
        code: "BACKUP_FAILED",
        message: expect.stringContaining("not writable"),
      });
    });

    it("fails a corrupt archive with Moodle's reason and leaves no course behind", async () => {
      const corrupt = join(work, "corrupt.mbz");
      const bytes = await readFile(fixture("m324-tgz-course-files-scorm-nousers.mbz"));
      await writeFile(corrupt, bytes.subarray(0, 4000));
      const error = await failure(
        driver.restore({
          archivePath: corrupt,
          destination: { kind: "new-course", categoryId: 1 },
          expectedActivities: {},
        }),
      );
      expect(error).toMatchObject({ code: "RESTORE_FAILED", transient: false });
      expect(error.message).toMatch(/could not extract the backup/);
      expect(await createdCourseLeft(error)).toBe("none created");
    });

    it("fails with the precheck's own reason, which Moodle's CLI hides, and leaves no course behind", async () => {
      // A backup claiming a pre-release backup format: Moodle's precheck refuses it.
      const refused = await alteredBackup("precheck", async (unpacked) => {
        const information = join(unpacked, "moodle_backup.xml");
        const xml = await readFile(information, "utf8");
        await writeFile(
          information,
          xml.replace(
            /<backup_version>\d+<\/backup_version>/,
            "<backup_version>2010010100</backup_version>",
          ),
        );
      });
      const error = await failure(
        driver.restore({
          archivePath: refused,
          destination: { kind: "new-course", categoryId: 1 },
          expectedActivities: { quiz: 1 },
        }),
      );
      expect(error.code).toBe("RESTORE_FAILED");
      expect(error.message).toMatch(/^Moodle refused the backup: .*Minimum required is 2010072300/);
      expect(await createdCourseLeft(error)).toBe(false);
    });

    it("fails part way with Moodle's reason: a new course is deleted (not kept in the recycle bin), an existing one is said to be changed", async () => {
      const broken = await alteredBackup("broken", async (unpacked) => {
        await writeFile(join(unpacked, "activities/quiz_2/quiz.xml"), "<activity><broken");
      });
      const recycled = "SELECT count(*) FROM mdl_tool_recyclebin_category";
      const recycledBefore = await queryMoodle(live, recycled);
      const error = await failure(
        driver.restore({
          archivePath: broken,
          destination: { kind: "new-course", categoryId: 1 },
          expectedActivities: { quiz: 1 },
        }),
      );
      expect(error.code).toBe("RESTORE_FAILED");
      expect(error.message).toContain("xml_parsing_error");
      expect(await createdCourseLeft(error)).toBe(false);
      expect(await queryMoodle(live, recycled)).toEqual(recycledBefore);

      const target = await restoreNew(
        fixture("m26dev-zip-course-glossary-nousers.mbz"),
        "m26dev target",
      );
      const merged = await failure(
        driver.restore({
          archivePath: broken,
          destination: { kind: "existing-course", courseId: target.courseId, mode: "merge" },
          expectedActivities: { quiz: 1 },
        }),
      );
      expect(merged.code).toBe("RESTORE_FAILED");
      expect(merged.message).toMatch(
        new RegExp(
          `^Restoring into course ${target.courseId} failed part way, so the course may now hold part of the backup .*xml_parsing_error`,
        ),
      );
    });

    it("removes the course it created when the restore fails after creating it", async () => {
      // A site that locks restoring user data: the restore must refuse, not carry users.
      const cfg = (value: string) =>
        run("php", [
          "-d",
          "max_input_vars=5000",
          join(live.moodleDir, "admin/cli/cfg.php"),
          "--component=restore",
          "--name=restore_general_users_locked",
          `--set=${value}`,
        ]);
      await cfg("1");
      let error: MoodleError;
      try {
        error = await failure(
          driver.restore({
            archivePath: fixture("m3107-tgz-course-quiz-users-logs.mbz"),
            destination: { kind: "new-course", categoryId: 1 },
            expectedActivities: { quiz: 1 },
          }),
        );
      } finally {
        await cfg("0");
      }
      expect(error.code).toBe("MISCONFIGURED");
      expect(error.message).toContain("'users'");
      expect(await createdCourseLeft(error)).toBe(false);
    });

    it("reports a missing category or course as NOT_FOUND", async () => {
      const archivePath = fixture("m26dev-zip-course-glossary-nousers.mbz");
      await expect(
        driver.restore({
          archivePath,
          destination: { kind: "new-course", categoryId: 999_999 },
          expectedActivities: {},
        }),
      ).rejects.toMatchObject({ code: "NOT_FOUND", message: expect.stringContaining("999999") });
      await expect(
        driver.restore({
          archivePath,
          destination: { kind: "existing-course", courseId: 999_999, mode: "merge" },
          expectedActivities: {},
        }),
      ).rejects.toMatchObject({ code: "NOT_FOUND" });
    });

    it("says what is wrong with its configuration: no config.php, no PHP", async () => {
      await expect(
        new CliDriver({ moodleDir: work, timeoutMs: 10_000 }).probe(),
      ).rejects.toMatchObject({
        code: "MISCONFIGURED",
        message: expect.stringContaining("config.php"),
      });
      await expect(
        new CliDriver({
          moodleDir: live.moodleDir,
          php: "/nonexistent/php8.2",
          timeoutMs: 10_000,
        }).probe(),
      ).rejects.toMatchObject({
        code: "MISCONFIGURED",
        message: expect.stringContaining("apt-get install php8.2-cli"),
      });
    });

    it("reports an unreachable database as a transient failure", async () => {
      // A config.php for the same code pointing at a database that does not exist.
      const elsewhere = join(work, "moodle-elsewhere");
      await mkdir(elsewhere);
      const config = (await readFile(join(live.moodleDir, "config.php"), "utf8"))
        .replace(/\$CFG->dbname\s*=\s*'[^']*'/, "$CFG->dbname = 'coursefed_no_such_database'")
        .replace("__DIR__ . '/lib/setup.php'", `'${live.moodleDir}/lib/setup.php'`);
      await writeFile(join(elsewhere, "config.php"), config);
      await expect(
        new CliDriver({ moodleDir: elsewhere, timeoutMs: 30_000 }).probe(),
      ).rejects.toMatchObject({
        code: "UNREACHABLE",
        transient: true,
        message: expect.stringContaining("Database connection failed"),
      });
    });

    it("stops PHP at the timeout (TIMEOUT, transient) and on abort", async () => {
      const slow = new CliDriver({ moodleDir: live.moodleDir, timeoutMs: 30 });
      await expect(slow.probe()).rejects.toMatchObject({ code: "TIMEOUT", transient: true });
      const controller = new AbortController();
      const probing = driver.probe(controller.signal);
      controller.abort(new Error("stopped by the test"));
      await expect(probing).rejects.toThrow("stopped by the test");
    });

    it("deletes the course of a restore stopped part way (aborted, or killed at its timeout)", async () => {
      // Test files run one at a time, so the next course id is this restore's.
      const [[newest]] = (await queryMoodle(live, "SELECT max(id) FROM mdl_course")) as [[string]];
      const controller = new AbortController();
      const restoring = driver.restore({
        archivePath: fixture("m281-zip-course-automated-users.mbz"),
        destination: { kind: "new-course", categoryId: 1 },
        expectedActivities: {},
        signal: controller.signal,
      });
      // m281 takes seconds to restore: stop it once its course exists.
      let created: string | undefined;
      for (let polls = 0; !created && polls < 600; polls++) {
        const rows = await queryMoodle(live, `SELECT id FROM mdl_course WHERE id > ${newest}`);
        created = rows[0]?.[0];
        if (!created) await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(created).toBeDefined();
      controller.abort(new Error("stopped part way"));
      await expect(restoring).rejects.toThrow("stopped part way");
      expect(
        await queryMoodle(live, `SELECT count(*) FROM mdl_course WHERE id = ${created}`),
      ).toEqual([["0"]]);
    });

    it("runs PHP as another user when asked", async () => {
      const asRoot = new CliDriver({
        moodleDir: live.moodleDir,
        runAsUser: "root",
        timeoutMs: 60_000,
      });
      expect((await asRoot.probe()).branch).toBe(live.release);
      // The site's config.php is readable by root only: the refusal proves who ran PHP.
      const asNobody = new CliDriver({
        moodleDir: live.moodleDir,
        runAsUser: "nobody",
        timeoutMs: 60_000,
      });
      await expect(asNobody.probe()).rejects.toMatchObject({
        code: "MISCONFIGURED",
        message: expect.stringContaining("not readable by the user running PHP (nobody)"),
      });
      // A backup's directory is handed to the user running PHP, who must exist.
      const nobodyHere = new CliDriver({
        moodleDir: live.moodleDir,
        runAsUser: "no-such-user",
        timeoutMs: 60_000,
      });
      await expect(nobodyHere.backup({ courseId: 1, outputDirectory: work })).rejects.toMatchObject(
        {
          code: "MISCONFIGURED",
          message: expect.stringContaining("no user no-such-user"),
        },
      );
    });

    it("restores as another user an archive from the node's closed data directory, handed over open", async () => {
      const dataDir = await mkdtemp(join(tmpdir(), "coursefed-closed-data-"));
      try {
        await chmod(dataDir, 0o700);
        const archive = join(dataDir, "archive.mbz");
        await cp(fixture("m26dev-zip-course-glossary-nousers.mbz"), archive);
        const config = await readFile(join(live.moodleDir, "config.php"), "utf8");
        const dataroot = /\$CFG->dataroot\s*=\s*'([^']+)'/.exec(config)?.[1] as string;
        // Root reads anything: PHP is kept out of the node's data directory by open_basedir,
        // as the site's user is by the directory's mode.
        const php = join(dataDir, "php-kept-out");
        await writeFile(
          php,
          `#!/bin/sh\nexec php -d open_basedir=${live.moodleDir}:${dataroot}:${tmpdir()}/requestdir "$@"\n`,
        );
        await chmod(php, 0o755);
        const asSiteUser = new CliDriver({
          moodleDir: live.moodleDir,
          php,
          runAsUser: "root",
          timeoutMs: 120_000,
        });
        const outcome = await asSiteUser.restore({
          archivePath: archive,
          destination: { kind: "new-course", categoryId: 1 },
          expectedActivities: { glossary: 1 },
        });
        expect(outcome.restoredActivities).toEqual({ glossary: 1 });
        expect(await courseModules(live, outcome.courseId)).toEqual({ glossary: 1 });
        // PHP's copy of the archive, in Moodle's backup temp directory, is gone.
        const left = await readdir(join(dataroot, "temp", "backup")).catch(() => []);
        expect(left.filter((name) => name.endsWith(".mbz"))).toEqual([]);
      } finally {
        await rm(dataDir, { recursive: true, force: true });
      }
    });

    it("runs PHP as another user from an install that user cannot read (a clone in a 0700 home)", async () => {
      // The driver as installed under a directory only root may enter.
      const home = await mkdtemp(join(tmpdir(), "coursefed-private-home-"));
      try {
        await chmod(home, 0o700);
        const installed = join(home, "moodle");
        await cp(fileURLToPath(new URL("../../packages/moodle/", import.meta.url)), installed, {
          recursive: true,
          filter: (path) => !path.includes("node_modules"),
        });
        const copy = (await import(join(installed, "src/drivers/cli-driver.ts"))) as {
          CliDriver: typeof CliDriver;
        };
        const asNobody = new copy.CliDriver({
          moodleDir: live.moodleDir,
          runAsUser: "nobody",
          timeoutMs: 60_000,
        });
        // PHP got as far as the site: nobody may not read its config.php, and is told so.
        await expect(asNobody.probe()).rejects.toMatchObject({
          code: "MISCONFIGURED",
          message: expect.stringContaining(
            "config.php is not readable by the user running PHP (nobody)",
          ),
        });
        const asRoot = new copy.CliDriver({
          moodleDir: live.moodleDir,
          runAsUser: "root",
          timeoutMs: 60_000,
        });
        expect((await asRoot.probe()).branch).toBe(live.release);
      } finally {
        await rm(home, { recursive: true, force: true });
      }
    });
  },
  { when: haveFixtures() },
);

describeOnEachMoodle("cli driver listing categories and courses", (live) => {
  let driver: CliDriver;
  let made: PickerFixtures;

  beforeAll(async () => {
    driver = new CliDriver({ moodleDir: live.moodleDir, timeoutMs: 120_000 });
    made = await makePickerFixtures(live.moodleDir);
  });

  it("lists every category with its path from the top, parent, course count and visibility", async () => {
    const categories = await driver.listCategories();
    const ours = categories.filter((category) =>
      category.path.startsWith(`Sciences ${made.stamp}`),
    );
    expect(ours).toEqual(sciencesTree(made));
    // Moodle's own default category is there too: the cli driver runs as the site's admin.
    expect(categories.map((category) => category.id)).toContain(1);
  });

  it("finds courses by every word of their full or short names, by full name, a page at a time", async () => {
    const [organique, minerale, physique] = made.courseIds;
    const chimie = await driver.listCourses({ search: `chimie ${made.stamp}` });
    expect(chimie).toEqual({
      total: 2,
      courses: [
        {
          id: minerale,
          fullName: `Chimie minérale ${made.stamp}`,
          shortName: `CHMIN${made.stamp}`,
          categoryId: made.chimieId,
          categoryPath: `Sciences ${made.stamp} / Chimie`,
          visible: true,
        },
        expect.objectContaining({ id: organique, fullName: `Chimie organique ${made.stamp}` }),
      ],
    });
    // A word of the short name only, in another case.
    const byShortName = await driver.listCourses({ search: `phy${made.stamp}` });
    expect(byShortName.courses.map((course) => course.id)).toEqual([physique]);
    const first = await driver.listCourses({ search: made.stamp, limit: 2 });
    const second = await driver.listCourses({ search: made.stamp, offset: 2, limit: 2 });
    expect(first.total).toBe(3);
    expect(second.total).toBe(3);
    expect([...first.courses, ...second.courses].map((course) => course.id)).toEqual([
      minerale,
      organique,
      physique,
    ]);
    expect(await driver.listCourses({ search: `${made.stamp} nothing-like-this` })).toEqual({
      total: 0,
      courses: [],
    });
  });

  it("takes search words as they are, quotes and SQL wildcards included", async () => {
    const wildcard = await driver.listCourses({ search: `% ${made.stamp}` });
    expect(wildcard.total).toBe(0);
    const quoted = await driver.listCourses({
      search: `'; DROP TABLE mdl_course; -- ${made.stamp}`,
    });
    expect(quoted.total).toBe(0);
    expect((await driver.listCourses({ search: made.stamp })).total).toBe(3);
    // Ten words at most are looked for: an eleventh, found nowhere, is left out.
    const long = `${made.stamp} ${"chimie ".repeat(9)}nothing-like-this`;
    expect((await driver.listCourses({ search: long })).total).toBe(2);
  });

  it("says what is wrong when the site cannot be listed", async () => {
    const nowhere = new CliDriver({ moodleDir: "/nonexistent/moodle", timeoutMs: 10_000 });
    await expect(nowhere.listCategories()).rejects.toMatchObject({ code: "MISCONFIGURED" });
    await expect(nowhere.listCourses({ search: "x" })).rejects.toMatchObject({
      code: "MISCONFIGURED",
    });
  });
});
