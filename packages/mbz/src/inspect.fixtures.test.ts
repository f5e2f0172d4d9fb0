import { describe, expect, it } from "vitest";
import { fixture, haveFixtures } from "../../../test/support/shared-fixtures.ts";
import { inspectBackup } from "./inspect.ts";

/**
 * Every real backup in shared/fixtures/mbz, with the values its README lists (and a
 * few read off the files by hand: activity counts, users in users.xml).
 */
interface Expected {
  readonly format: "zip" | "tar.gz";
  readonly moodleVersion: string;
  readonly release: string;
  readonly backupRelease: string;
  readonly type: "course" | "activity";
  readonly mode: number;
  readonly usersSetting: boolean;
  readonly userAccounts: number;
  readonly required: readonly string[];
  readonly modules?: Readonly<Record<string, number>>;
  readonly courseFormat?: string | null;
}

const FIXTURES: Readonly<Record<string, Expected>> = {
  "m232-zip-course-stackdemo-nousers.mbz": {
    format: "zip",
    moodleVersion: "2012062502.04",
    release: "2.3.2+",
    backupRelease: "2.3",
    type: "course",
    mode: 10,
    usersSetting: false,
    userAccounts: 0,
    required: ["qtype_stack"],
  },
  "m262-tgz-course-availability-nousers.mbz": {
    format: "tar.gz",
    moodleVersion: "2013111802",
    release: "2.6.2",
    backupRelease: "2.6",
    type: "course",
    mode: 10,
    usersSetting: false,
    userAccounts: 0,
    required: [],
    modules: { page: 14, quiz: 1, forum: 1 },
  },
  "m26dev-zip-course-glossary-nousers.mbz": {
    format: "zip",
    moodleVersion: "2013061400",
    release: "2.6dev",
    backupRelease: "2.6",
    type: "course",
    mode: 10,
    usersSetting: false,
    userAccounts: 0,
    required: [],
    modules: { glossary: 1 },
  },
  "m281-zip-course-automated-users.mbz": {
    format: "zip",
    moodleVersion: "2014111001.04",
    release: "2.8.1+",
    backupRelease: "2.8",
    type: "course",
    mode: 50,
    usersSetting: true,
    userAccounts: 13,
    required: ["qtype_coderunner"],
  },
  "m285-zip-activity-quiz-nousers.mbz": {
    format: "zip",
    moodleVersion: "2014111005.02",
    release: "2.8.5+",
    backupRelease: "2.8",
    type: "activity",
    mode: 10,
    usersSetting: false,
    userAccounts: 0,
    required: [],
    modules: { quiz: 1 },
  },
  "m3107-tgz-course-quiz-users-logs.mbz": {
    format: "tar.gz",
    moodleVersion: "2020110907.08",
    release: "3.10.7+",
    backupRelease: "3.10",
    type: "course",
    mode: 10,
    usersSetting: true,
    userAccounts: 2,
    required: [],
    modules: { quiz: 1 },
    courseFormat: "topics",
  },
  "m3116-tgz-activity-questionnaire-nousers.mbz": {
    format: "tar.gz",
    moodleVersion: "2021051706",
    release: "3.11.6",
    backupRelease: "3.11",
    type: "activity",
    mode: 10,
    usersSetting: false,
    userAccounts: 0,
    required: ["mod_questionnaire"],
    courseFormat: "oustudyplan",
  },
  "m3118-tgz-course-tiles-files-nousers.mbz": {
    format: "tar.gz",
    moodleVersion: "2021051718",
    release: "3.11.18",
    backupRelease: "3.11",
    type: "course",
    mode: 10,
    usersSetting: false,
    userAccounts: 0,
    required: ["format_tiles"],
    modules: {},
    courseFormat: "tiles",
  },
  "m324-tgz-course-files-scorm-nousers.mbz": {
    format: "tar.gz",
    moodleVersion: "2016120504.02",
    release: "3.2.4+",
    backupRelease: "3.2",
    type: "course",
    mode: 10,
    usersSetting: false,
    userAccounts: 0,
    required: [],
    modules: { forum: 1, folder: 1, imscp: 1, scorm: 1 },
  },
  "m359-tgz-course-studentquiz-users.mbz": {
    format: "tar.gz",
    moodleVersion: "2018051709",
    release: "3.5.9",
    backupRelease: "3.5",
    type: "course",
    mode: 10,
    usersSetting: true,
    userAccounts: 1,
    required: ["mod_studentquiz"],
  },
  "m41dev-tgz-course-quiz-users.mbz": {
    format: "tar.gz",
    moodleVersion: "2022110400",
    release: "4.1dev+",
    backupRelease: "4.1",
    type: "course",
    mode: 10,
    usersSetting: true,
    userAccounts: 0,
    required: [],
  },
  "m432-tgz-course-tiles-files-nousers.mbz": {
    format: "tar.gz",
    moodleVersion: "2023100902.04",
    release: "4.3.2+",
    backupRelease: "4.3",
    type: "course",
    mode: 10,
    usersSetting: false,
    userAccounts: 0,
    required: ["format_tiles"],
    courseFormat: "tiles",
  },
  "m44beta-tgz-course-surveypro-nousers.mbz": {
    format: "tar.gz",
    moodleVersion: "2024041200.01",
    release: "4.4beta",
    backupRelease: "4.4",
    type: "course",
    mode: 10,
    usersSetting: false,
    userAccounts: 0,
    required: ["mod_surveypro"],
  },
  "m455-tgz-course-studentquiz-users.mbz": {
    format: "tar.gz",
    moodleVersion: "2024100705",
    release: "4.5.5",
    backupRelease: "4.5",
    type: "course",
    mode: 10,
    usersSetting: true,
    userAccounts: 1,
    required: ["mod_studentquiz"],
  },
  "m503-tgz-course-qbank-users-async.mbz": {
    format: "tar.gz",
    moodleVersion: "2025041403.03",
    release: "5.0.3+",
    backupRelease: "5.0",
    type: "course",
    mode: 70,
    usersSetting: true,
    userAccounts: 1,
    required: ["qtype_coderunner"],
  },
};

describe.runIf(haveFixtures())("inspect on real Moodle backups", () => {
  it("reads the version of each activity module and block the backup holds", async () => {
    const report = await inspectBackup(fixture("m44beta-tgz-course-surveypro-nousers.mbz"));
    expect(report.pluginVersions.mod_surveypro).toBe(2024032700);
    const withBlocks = await inspectBackup(fixture("m26dev-zip-course-glossary-nousers.mbz"));
    expect(withBlocks.pluginVersions).toMatchObject({
      mod_glossary: expect.any(Number),
      block_news_items: 2013050100,
    });
  });

  for (const [name, expected] of Object.entries(FIXTURES)) {
    it(name, async () => {
      const report = await inspectBackup(fixture(name));
      expect(report.format).toBe(expected.format);
      expect(report.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(report.moodleVersion).toBe(expected.moodleVersion);
      expect(report.moodleRelease.startsWith(expected.release)).toBe(true);
      expect(report.backupRelease).toBe(expected.backupRelease);
      expect(report.type).toBe(expected.type);
      expect(report.mode).toBe(expected.mode);
      expect(report.settings.root.users === "1").toBe(expected.usersSetting);
      const accounts = report.personalData.findings.find(
        (finding) => finding.category === "userAccounts",
      );
      expect(accounts?.count ?? 0).toBe(expected.userAccounts);
      for (const plugin of expected.required) expect(report.requiredPlugins).toContain(plugin);
      if (expected.required.length === 0) expect(report.requiredPlugins).toEqual([]);
      if (expected.modules) {
        const modules: Record<string, number> = {};
        for (const activity of report.activities)
          modules[activity.module] = (modules[activity.module] ?? 0) + 1;
        expect(modules).toEqual(expected.modules);
      }
      for (const { module } of report.activities) {
        expect(report.pluginVersions[`mod_${module}`]).toBeGreaterThan(2000000000);
      }
      if (expected.courseFormat !== undefined)
        expect(report.course.format).toBe(expected.courseFormat);
      if (!expected.usersSetting || expected.userAccounts === 0) {
        expect(report.personalData.verdict).toBe("clean");
      } else {
        expect(report.personalData.verdict).toBe("contains-personal-data");
      }
    });
  }
});
