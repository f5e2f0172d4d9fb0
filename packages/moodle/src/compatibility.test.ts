import { inspectBackup } from "@coursefed/mbz";
import { describe, expect, it } from "vitest";
import { fixture, haveFixtures } from "../../../test/support/shared-fixtures.ts";
import { type BackupFacts, backupFactsOf, checkCompatibility } from "./compatibility.ts";
import type { MoodleSiteInfo } from "./driver.ts";

/** A vanilla 4.5.6 site, as far as these backups are concerned. */
const site: MoodleSiteInfo = {
  version: "2024100706.00",
  release: "4.5.6 (Build: 20250811)",
  branch: "4.5",
  plugins: {
    mod_forum: 2024100700,
    mod_quiz: 2024100700,
    mod_glossary: 2024100700,
    qtype_truefalse: 2024100700,
    format_topics: 2024100700,
  },
  maxRestoreBytes: null,
};

function facts(overrides: Partial<BackupFacts> = {}): BackupFacts {
  return {
    moodle: { version: "2024100705", release: "4.5.5 (Build: 20250609)", backupRelease: "4.5" },
    requiredPlugins: [],
    archive: { size: 1000 },
    ...overrides,
  };
}

describe("checkCompatibility on synthetic facts", () => {
  it("accepts a backup from the same branch, even from a newer point release", () => {
    const newerPoint = facts({
      moodle: { version: "2024100709", release: "4.5.9 (Build: 20260301)", backupRelease: "4.5" },
    });
    expect(checkCompatibility(newerPoint, site)).toEqual({ restorable: true, problems: [] });
    const older = facts({
      moodle: { version: "2012062502.04", release: "2.3.2+", backupRelease: "2.3" },
    });
    expect(checkCompatibility(older, site).restorable).toBe(true);
  });

  it("refuses a backup from a newer branch, comparing branches as numbers (4.10 > 4.5)", () => {
    const report = checkCompatibility(
      facts({ moodle: { version: "2026000000", release: "4.10", backupRelease: "4.10" } }),
      site,
    );
    expect(report.restorable).toBe(false);
    expect(report.problems).toEqual([
      expect.objectContaining({ kind: "newer-backup", backupBranch: "4.10", siteBranch: "4.5" }),
    ]);
    expect(report.problems[0]?.message).toMatch(/Upgrade the site to Moodle 4\.10 or later/);
  });

  it("lists every missing plugin in one problem, saying what to do", () => {
    const report = checkCompatibility(
      facts({ requiredPlugins: ["qtype_stack", "mod_surveypro", "mod_forum", "qtype_stack"] }),
      site,
    );
    expect(report.problems).toHaveLength(1);
    expect(report.problems[0]).toMatchObject({
      kind: "missing-plugins",
      plugins: ["mod_surveypro", "qtype_stack"],
    });
    expect(report.problems[0]?.message).toContain("mod_surveypro, qtype_stack");
    expect(report.problems[0]?.message).toContain("Install");
  });

  it("says of a retired plugin what replaced it, and asks to install none when all are retired", () => {
    const report = checkCompatibility(facts({ requiredPlugins: ["mod_attforblock"] }), site);
    expect(report.problems).toEqual([
      expect.objectContaining({
        kind: "missing-plugins",
        plugins: ["mod_attforblock"],
        retired: [{ component: "mod_attforblock", successor: "mod_attendance" }],
      }),
    ]);
    expect(report.problems[0]?.message).not.toContain("Install");
    expect(report.problems[0]?.message).toContain(
      "mod_attforblock no longer exists: it was renamed mod_attendance",
    );
  });

  it("names add-ons older on the site than in the backup, when versions are known", () => {
    const withStack = { ...site, plugins: { ...site.plugins, qtype_stack: 2023010100 } };
    const report = checkCompatibility(
      facts({
        requiredPlugins: ["qtype_stack"],
        pluginVersions: { qtype_stack: 2024050100, mod_quiz: 2024100799 },
      }),
      withStack,
    );
    expect(report.problems).toEqual([
      expect.objectContaining({
        kind: "outdated-plugins",
        plugins: [{ component: "qtype_stack", backupVersion: 2024050100, siteVersion: 2023010100 }],
      }),
    ]);
    expect(report.problems[0]?.message).toContain(
      "qtype_stack (site 2023010100, backup 2024050100)",
    );
    const sameVersion = checkCompatibility(
      facts({ requiredPlugins: ["qtype_stack"], pluginVersions: { qtype_stack: 2023010100 } }),
      withStack,
    );
    expect(sameVersion.restorable).toBe(true);
  });

  it("refuses an archive over the site's limit, and never when the site has none", () => {
    const big = facts({ archive: { size: 300 * 1024 * 1024 } });
    expect(checkCompatibility(big, site).restorable).toBe(true);
    const report = checkCompatibility(big, { ...site, maxRestoreBytes: 256 * 1024 * 1024 });
    expect(report.problems).toEqual([
      expect.objectContaining({
        kind: "too-large",
        size: 300 * 1024 * 1024,
        limit: 256 * 1024 * 1024,
      }),
    ]);
    expect(report.problems[0]?.message).toContain("300 MiB");
    expect(report.problems[0]?.message).toContain("256 MiB");
    // Only the cli driver reports a limit, the site's own: PHP's upload limits bound neither
    // driver (the cli driver reads the archive from disk, the ws driver's site pulls it).
    expect(report.problems[0]?.message).toContain("Raise the site's maximum uploaded file size");
    expect(report.problems[0]?.message).not.toContain("upload_max_filesize");
  });

  it("reports each kind of problem together", () => {
    const report = checkCompatibility(
      facts({
        moodle: { version: "2025041403.03", release: "5.0.3+", backupRelease: "5.0" },
        requiredPlugins: ["qtype_coderunner"],
        archive: { size: 10 },
      }),
      { ...site, maxRestoreBytes: 5 },
    );
    expect(report.problems.map((problem) => problem.kind)).toEqual([
      "newer-backup",
      "missing-plugins",
      "too-large",
    ]);
  });
});

describe.skipIf(!haveFixtures())("checkCompatibility on real backups", () => {
  async function check(name: string) {
    return checkCompatibility(backupFactsOf(await inspectBackup(fixture(name))), site);
  }

  it("m232 needs qtype_stack", async () => {
    const report = await check("m232-zip-course-stackdemo-nousers.mbz");
    expect(report.problems).toEqual([
      expect.objectContaining({ kind: "missing-plugins", plugins: ["qtype_stack"] }),
    ]);
  });

  it("m503 comes from Moodle 5.0, newer than 4.5, and needs qtype_coderunner", async () => {
    const report = await check("m503-tgz-course-qbank-users-async.mbz");
    expect(report.restorable).toBe(false);
    expect(report.problems[0]).toMatchObject({
      kind: "newer-backup",
      backupBranch: "5.0",
      siteBranch: "4.5",
    });
    expect(report.problems[0]?.message).toContain("5.0.3+");
    expect(report.problems[1]).toMatchObject({
      kind: "missing-plugins",
      plugins: ["qtype_coderunner"],
    });
  });

  it("m281 needs qtype_coderunner, to install, and qtype_ccode, which no longer exists", async () => {
    const report = await check("m281-zip-course-automated-users.mbz");
    expect(report.problems).toEqual([
      expect.objectContaining({
        kind: "missing-plugins",
        plugins: ["qtype_ccode", "qtype_coderunner"],
        retired: [{ component: "qtype_ccode", successor: "qtype_coderunner" }],
      }),
    ]);
    const message = report.problems[0]?.message ?? "";
    // Install only what exists; for the retired one, what to do instead.
    expect(message).toContain("Install qtype_coderunner on the site");
    expect(message).not.toMatch(/Install [^.]*qtype_ccode/);
    expect(message).toContain(
      "qtype_ccode no longer exists: CodeRunner (qtype_coderunner) replaced it and does not read its questions: remove the questions of that type",
    );
  });

  it("m44beta needs mod_surveypro and its subplugins, named in one problem", async () => {
    const report = await check("m44beta-tgz-course-surveypro-nousers.mbz");
    expect(report.problems).toHaveLength(1);
    const [problem] = report.problems;
    expect(problem?.kind).toBe("missing-plugins");
    if (problem?.kind !== "missing-plugins") return;
    expect(problem.plugins).toContain("mod_surveypro");
    expect(problem.plugins).toContain("surveyprofield_boolean");
    expect(problem.message).toContain("mod_surveypro, surveyprofield_age");
  });

  it("m455 needs mod_studentquiz at least as new as the backup's", async () => {
    const facts = backupFactsOf(
      await inspectBackup(fixture("m455-tgz-course-studentquiz-users.mbz")),
    );
    const older = { ...site, plugins: { ...site.plugins, mod_studentquiz: 2023121800 } };
    expect(checkCompatibility(facts, older).problems).toEqual([
      expect.objectContaining({
        kind: "outdated-plugins",
        plugins: [
          { component: "mod_studentquiz", backupVersion: 2024092000, siteVersion: 2023121800 },
        ],
      }),
    ]);
    const current = { ...site, plugins: { ...site.plugins, mod_studentquiz: 2024092000 } };
    expect(checkCompatibility(facts, current).restorable).toBe(true);
  });

  it("m26dev, from 2.6 with core plugins only, is restorable", async () => {
    expect(await check("m26dev-zip-course-glossary-nousers.mbz")).toEqual({
      restorable: true,
      problems: [],
    });
  });
});
