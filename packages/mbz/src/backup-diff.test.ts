import { readFile } from "node:fs/promises";
import { beforeAll, describe, expect, it } from "vitest";
import {
  buildTarGz,
  moodleBackupXml,
  readTarGz,
  type TarEntrySpec,
} from "../../../test/support/archive-builder.ts";
import { scratchDirectory } from "../../../test/support/scratch-directory.ts";
import { fixture, haveFixtures } from "../../../test/support/shared-fixtures.ts";
import { diffBackups } from "./backup-diff.ts";
import { diffHeadline, diffText } from "./backup-diff-text.ts";
import { MbzError } from "./errors.ts";

const { write } = scratchDirectory("coursefed-diff-");

/** Rewrites text members of a real backup; `undefined` from `edit` drops the member. */
async function rewrite(
  source: string,
  edits: Readonly<Record<string, (text: string) => string | undefined>>,
  dropPrefixes: readonly string[] = [],
): Promise<Buffer> {
  const members = await readTarGz(await readFile(source));
  const rewritten: TarEntrySpec[] = [];
  const used = new Set<string>();
  for (const member of members) {
    const name = member.name.replace(/^\.\//, "");
    if (dropPrefixes.some((prefix) => name.startsWith(prefix))) continue;
    const edit = edits[name];
    if (!edit) {
      rewritten.push(member);
      continue;
    }
    used.add(name);
    const text = edit(String(member.data));
    if (text !== undefined) rewritten.push({ name: member.name, data: text });
  }
  // An edit that matched nothing would make the test prove nothing.
  expect(Object.keys(edits).filter((name) => !used.has(name))).toEqual([]);
  return buildTarGz(rewritten);
}

function replaceOnce(text: string, from: string | RegExp, to: string): string {
  const next = text.replace(from, to);
  expect(next, `expected to find ${from}`).not.toBe(text);
  return next;
}

const SCORM = "m324-tgz-course-files-scorm-nousers.mbz";

describe.runIf(haveFixtures())("a later revision of a real backup (Moodle 3.2, files)", () => {
  let older: string;
  let newer: string;
  beforeAll(async () => {
    older = fixture(SCORM);
    const activityBlock = (id: number) =>
      new RegExp(`\\s*<activity>\\s*<moduleid>${id}</moduleid>[\\s\\S]*?</activity>`);
    newer = await write(
      "scorm-revision-2.mbz",
      await rewrite(
        older,
        {
          "moodle_backup.xml": (text) => {
            let next = replaceOnce(text, "<title>Folder</title>", "<title>Handouts</title>");
            // The SCORM package moves from section 1 (id 3) to section 3 (id 5).
            next = replaceOnce(
              next,
              /(<moduleid>6<\/moduleid>\s*<sectionid>)3(<\/sectionid>)/,
              "$15$2",
            );
            next = replaceOnce(next, activityBlock(2), "");
            next = replaceOnce(
              next,
              "</activities>",
              `  <activity>
          <moduleid>99</moduleid>
          <sectionid>4</sectionid>
          <modulename>page</modulename>
          <title>Reading list</title>
          <directory>activities/page_99</directory>
        </activity>
      </activities>`,
            );
            return replaceOnce(
              next,
              /(<name>filename<\/name>\s*<value>)[^<]*/,
              "$1another-name.mbz",
            );
          },
          "sections/section_4/section.xml": (text) =>
            replaceOnce(text, "<name>$@NULL@$</name>", "<name>Week two</name>"),
          "course/course.xml": (text) =>
            replaceOnce(text, /<fullname>[^<]*<\/fullname>/, "<fullname>Files, revised</fullname>"),
          "files.xml": (text) => {
            const next = replaceOnce(
              text,
              "a94a8fe5ccb19ba61c4c0873d391e987982fbbd3",
              "1111111111111111111111111111111111111111",
            );
            return replaceOnce(
              next,
              /\s*<file id="\d+">\s*<contenthash>9b9db1da73a8e7796e871939718b5c49dbaa1ee1[\s\S]*?<\/file>/,
              "",
            );
          },
        },
        ["activities/forum_2/"],
      ),
    );
  });

  it("names each change: activities by type, sections, files by hash, settings", async () => {
    const diff = await diffBackups(older, newer);
    expect(diff.version).toBe(1);
    expect(diff.matchedBy).toBe("ids");
    expect(diff.unchanged).toBe(false);
    expect(diff.activities.added).toEqual([
      {
        id: 99,
        module: "page",
        title: "Reading list",
        section: { id: 4, number: 2, title: "Week two" },
      },
    ]);
    expect(diff.activities.removed).toEqual([
      { id: 2, module: "forum", title: "Announcements", section: { id: 2, number: 0, title: "0" } },
    ]);
    expect(diff.activities.renamed).toEqual([
      { id: 4, module: "folder", title: "Handouts", oldTitle: "Folder" },
    ]);
    expect(diff.activities.moved).toEqual([
      {
        id: 6,
        module: "scorm",
        title: "SCORM",
        fromSection: { id: 3, number: 1, title: "1" },
        toSection: { id: 5, number: 3, title: "3" },
      },
    ]);
    expect(diff.sections.renamed).toEqual([{ id: 4, number: 2, title: "Week two", oldTitle: "2" }]);
    expect(diff.sections.added).toEqual([]);
    expect(diff.sections.removed).toEqual([]);
    expect(diff.sections.moved).toEqual([]);
    expect(diff.files.changed).toEqual([
      {
        component: "mod_folder",
        filearea: "content",
        filepath: "/",
        filename: "test.txt",
        activity: { id: 4, module: "folder", title: "Handouts" },
        oldHash: "a94a8fe5ccb19ba61c4c0873d391e987982fbbd3",
        newHash: "1111111111111111111111111111111111111111",
        oldSize: expect.any(Number),
        newSize: expect.any(Number),
      },
    ]);
    expect(diff.files.removed.map((file) => [file.component, file.filename])).toEqual([
      ["mod_imscp", "two.html"],
    ]);
    expect(diff.files.removed[0]?.activity).toEqual({ id: 5, module: "imscp", title: "IMS CC" });
    expect(diff.files.added).toEqual([]);
    expect(diff.settings.course).toEqual([
      { key: "fullname", old: expect.any(String), new: "Files, revised" },
    ]);
    // The backup's file name changes every time: not a setting anyone changed.
    expect(diff.settings.backup).toEqual([]);
    expect(diff.questions).toEqual({ old: 0, new: 0, byQtype: [] });
    expect(diffHeadline(diff)).toBe(
      "1 section renamed; 1 activity added, 1 removed, 1 renamed, 1 moved; 1 file removed, 1 changed; 1 setting changed.",
    );
    expect(diffHeadline(diff, "fr")).toBe(
      "1 section renommée\u00a0; 1 activité ajoutée, 1 supprimée, 1 renommée, 1 déplacée\u00a0; 1 fichier supprimé, 1 modifié\u00a0; 1 réglage modifié.",
    );
    const text = diffText(diff);
    expect(text).toContain('scorm "SCORM": section 1 → section 3');
    expect(text).toContain('folder "Folder" → "Handouts"');
    expect(text).toContain('fullname: "');
  });

  it("finds nothing between a backup and itself", async () => {
    const diff = await diffBackups(older, older);
    expect(diff.unchanged).toBe(true);
    expect(diffHeadline(diff)).toBe("No changes.");
    expect(diffHeadline(diff, "fr")).toBe("Aucun changement.");
  });

  it("reads both archives when compared the other way round", async () => {
    const diff = await diffBackups(newer, older);
    expect(diff.activities.added.map((activity) => activity.title)).toEqual(["Announcements"]);
    expect(diff.activities.removed.map((activity) => activity.title)).toEqual(["Reading list"]);
    expect(diff.files.added.map((file) => file.filename)).toEqual(["two.html"]);
  });
});

interface SyntheticCourse {
  readonly courseId?: number;
  readonly sections: ReadonlyArray<{ id: number; number: number; name?: string }>;
  readonly activities: ReadonlyArray<{
    id: number;
    module: string;
    title: string;
    sectionId: number;
  }>;
  readonly questions?: readonly string[];
}

/** A small course backup: moodle_backup.xml, its sections, and a question bank. */
async function course(name: string, spec: SyntheticCourse): Promise<string> {
  let xml = moodleBackupXml({});
  xml = xml.replace(/<original_course_id>7</, `<original_course_id>${spec.courseId ?? 7}<`);
  xml = xml.replace(
    /<activities>[\s\S]*<\/activities>/,
    `<activities>${spec.activities
      .map(
        (activity) =>
          `<activity><moduleid>${activity.id}</moduleid><sectionid>${activity.sectionId}</sectionid><modulename>${activity.module}</modulename><title>${activity.title}</title><directory>activities/${activity.module}_${activity.id}</directory></activity>`,
      )
      .join("")}</activities>`,
  );
  xml = xml.replace(
    /<sections>[\s\S]*<\/sections>/,
    `<sections>${spec.sections
      .map(
        (section) =>
          `<section><sectionid>${section.id}</sectionid><title>${section.name ?? section.number}</title><directory>sections/section_${section.id}</directory></section>`,
      )
      .join("")}</sections>`,
  );
  const members: TarEntrySpec[] = [
    { name: "moodle_backup.xml", data: xml },
    ...spec.sections.map((section) => ({
      name: `sections/section_${section.id}/section.xml`,
      data: `<section id="${section.id}"><number>${section.number}</number><name>${section.name ?? "$@NULL@$"}</name></section>`,
    })),
    {
      name: "questions.xml",
      data: `<question_categories><question_category id="1"><questions>${(spec.questions ?? [])
        .map((qtype, index) => `<question id="${index + 1}"><qtype>${qtype}</qtype></question>`)
        .join("")}</questions></question_category></question_categories>`,
    },
  ];
  return write(name, await buildTarGz(members));
}

const weeks = [
  { id: 10, number: 0 },
  { id: 11, number: 1, name: "Basics" },
  { id: 12, number: 2, name: "Practice" },
];

describe("pairing sections and activities", () => {
  it("pairs by name and type when the ids come from another course (a restored copy)", async () => {
    const older = await course("origin.mbz", {
      sections: weeks,
      activities: [
        { id: 1, module: "quiz", title: "Check", sectionId: 11 },
        { id: 2, module: "page", title: "Intro", sectionId: 11 },
      ],
    });
    // The same course restored elsewhere and published again: every id is new.
    const newer = await course("copy.mbz", {
      courseId: 40,
      sections: [
        { id: 50, number: 0 },
        { id: 51, number: 1, name: "Basics" },
        { id: 52, number: 2, name: "Practice" },
      ],
      activities: [
        { id: 80, module: "quiz", title: "Check", sectionId: 52 },
        { id: 81, module: "page", title: "Intro", sectionId: 51 },
        { id: 82, module: "forum", title: "Check", sectionId: 51 },
      ],
    });
    const diff = await diffBackups(older, newer);
    expect(diff.matchedBy).toBe("names");
    expect(diff.sections).toEqual({ added: [], removed: [], renamed: [], moved: [] });
    expect(diff.activities.added).toEqual([
      { id: 82, module: "forum", title: "Check", section: { id: 51, number: 1, title: "Basics" } },
    ]);
    expect(diff.activities.removed).toEqual([]);
    expect(diff.activities.moved).toEqual([
      {
        id: 80,
        module: "quiz",
        title: "Check",
        fromSection: { id: 11, number: 1, title: "Basics" },
        toSection: { id: 52, number: 2, title: "Practice" },
      },
    ]);
  });

  it("keeps an activity renamed in the same course as one activity, by its id", async () => {
    const older = await course("same-1.mbz", {
      sections: weeks,
      activities: [{ id: 3, module: "quiz", title: "Check", sectionId: 11 }],
    });
    const newer = await course("same-2.mbz", {
      sections: weeks,
      activities: [{ id: 3, module: "quiz", title: "Final check", sectionId: 11 }],
    });
    const diff = await diffBackups(older, newer);
    expect(diff.activities.renamed).toEqual([
      { id: 3, module: "quiz", title: "Final check", oldTitle: "Check" },
    ]);
    expect(diff.activities.added).toEqual([]);
    expect(diff.activities.removed).toEqual([]);
  });

  it("reports a swapped section as moved, but not the sections an insertion shifts", async () => {
    const older = await course("order-1.mbz", { sections: weeks, activities: [] });
    const inserted = await course("order-2.mbz", {
      sections: [
        { id: 10, number: 0 },
        { id: 13, number: 1, name: "Warm-up" },
        { id: 11, number: 2, name: "Basics" },
        { id: 12, number: 3, name: "Practice" },
      ],
      activities: [],
    });
    const shifted = await diffBackups(older, inserted);
    expect(shifted.sections.added).toEqual([{ id: 13, number: 1, title: "Warm-up" }]);
    expect(shifted.sections.moved).toEqual([]);

    const swapped = await course("order-3.mbz", {
      sections: [
        { id: 10, number: 0 },
        { id: 12, number: 1, name: "Practice" },
        { id: 11, number: 2, name: "Basics" },
      ],
      activities: [],
    });
    const diff = await diffBackups(older, swapped);
    expect(diff.sections.moved).toHaveLength(1);
    expect(diff.sections.added).toEqual([]);
    expect(diff.sections.renamed).toEqual([]);
  });

  it("compares question counts by type", async () => {
    const older = await course("q-1.mbz", {
      sections: weeks,
      activities: [],
      questions: ["multichoice", "multichoice", "truefalse"],
    });
    const newer = await course("q-2.mbz", {
      sections: weeks,
      activities: [],
      questions: ["multichoice", "shortanswer", "truefalse"],
    });
    const diff = await diffBackups(older, newer);
    expect(diff.questions).toEqual({
      old: 3,
      new: 3,
      byQtype: [
        { qtype: "multichoice", old: 2, new: 1 },
        { qtype: "shortanswer", old: 0, new: 1 },
      ],
    });
    expect(diffHeadline(diff)).toBe("Questions 3 → 3 (types changed).");
    expect(diffHeadline(diff, "fr")).toBe("Questions 3 → 3 (types modifiés).");
  });

  it("lists everything as added from an empty course", async () => {
    const empty = await course("empty.mbz", { sections: [], activities: [] });
    expect((await diffBackups(empty, empty)).unchanged).toBe(true);
    const full = await course("full.mbz", {
      sections: weeks,
      activities: [{ id: 1, module: "quiz", title: "Check", sectionId: 11 }],
    });
    const diff = await diffBackups(empty, full);
    expect(diff.sections.added).toHaveLength(3);
    expect(diff.activities.added).toEqual([
      { id: 1, module: "quiz", title: "Check", section: { id: 11, number: 1, title: "Basics" } },
    ]);
  });
});

describe("unreadable input", () => {
  it("says which backup is damaged, with the archive error's code", async () => {
    const good = await course("good.mbz", { sections: weeks, activities: [] });
    const bytes = await readFile(good);
    const truncated = await write("truncated.mbz", bytes.subarray(0, bytes.length - 40));
    const error = await diffBackups(good, truncated).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(MbzError);
    expect((error as MbzError).code).toMatch(/^(TRUNCATED|CORRUPT)$/);
    expect((error as MbzError).message).toContain("The newer backup");
    expect((error as MbzError).message).toContain("truncated.mbz");
  });

  it("refuses an archive that is not a Moodle backup", async () => {
    const good = await course("good-2.mbz", { sections: weeks, activities: [] });
    const other = await write("other.mbz", await buildTarGz([{ name: "notes.txt", data: "hi" }]));
    const error = await diffBackups(other, good).catch((caught: unknown) => caught);
    expect((error as MbzError).code).toBe("NOT_A_MOODLE_BACKUP");
    expect((error as MbzError).message).toContain("The older backup");
  });
});
