import type { ActivityRef, BackupDiff, SectionRef, SettingChange } from "./backup-diff.ts";

/** How many of each kind of change a diff holds: what a one-line summary says. */
export interface DiffCounts {
  readonly sectionsAdded: number;
  readonly sectionsRemoved: number;
  readonly sectionsRenamed: number;
  readonly sectionsMoved: number;
  readonly activitiesAdded: number;
  readonly activitiesRemoved: number;
  readonly activitiesRenamed: number;
  readonly activitiesMoved: number;
  readonly questionsOld: number;
  readonly questionsNew: number;
  readonly filesAdded: number;
  readonly filesRemoved: number;
  readonly filesChanged: number;
  readonly settingsChanged: number;
}

export function diffCounts(diff: BackupDiff): DiffCounts {
  return {
    sectionsAdded: diff.sections.added.length,
    sectionsRemoved: diff.sections.removed.length,
    sectionsRenamed: diff.sections.renamed.length,
    sectionsMoved: diff.sections.moved.length,
    activitiesAdded: diff.activities.added.length,
    activitiesRemoved: diff.activities.removed.length,
    activitiesRenamed: diff.activities.renamed.length,
    activitiesMoved: diff.activities.moved.length,
    questionsOld: diff.questions.old,
    questionsNew: diff.questions.new,
    filesAdded: diff.files.added.length,
    filesRemoved: diff.files.removed.length,
    filesChanged: diff.files.changed.length,
    settingsChanged: diff.settings.course.length + diff.settings.backup.length,
  };
}

function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}

/** The languages a diff's one-line summary is written in. */
export const HEADLINE_LANGUAGES = ["en", "fr"] as const;
export type HeadlineLanguage = (typeof HEADLINE_LANGUAGES)[number];

type Thing = "section" | "activity" | "file" | "setting";
type Change = "added" | "removed" | "renamed" | "moved" | "changed";

/** How one language words the summary: its nouns and past participles agree with counts. */
interface HeadlineWording {
  readonly noChanges: string;
  /** "2 sections": the count and its noun. */
  readonly counted: (count: number, thing: Thing) => string;
  /** "added", "ajoutées": the change, agreeing with the count and the thing. */
  readonly changed: (count: number, thing: Thing, change: Change) => string;
  readonly questions: (from: number, to: number, typesChanged: boolean) => string;
  /** Between a group and the next ("; ", or French's spaced semicolon). */
  readonly between: string;
}

const FRENCH_NOUNS: Readonly<Record<Thing, { one: string; many: string; feminine: boolean }>> = {
  section: { one: "section", many: "sections", feminine: true },
  activity: { one: "activité", many: "activités", feminine: true },
  file: { one: "fichier", many: "fichiers", feminine: false },
  setting: { one: "réglage", many: "réglages", feminine: false },
};

const FRENCH_PARTICIPLES: Readonly<Record<Change, string>> = {
  added: "ajouté",
  removed: "supprimé",
  renamed: "renommé",
  moved: "déplacé",
  changed: "modifié",
};

const WORDINGS: Readonly<Record<HeadlineLanguage, HeadlineWording>> = {
  en: {
    noChanges: "No changes.",
    counted: (count, thing) =>
      thing === "activity" ? plural(count, "activity", "activities") : plural(count, thing),
    changed: (_count, _thing, change) => change,
    questions: (from, to, typesChanged) =>
      `questions ${from} → ${to}${typesChanged ? " (types changed)" : ""}`,
    between: "; ",
  },
  fr: {
    noChanges: "Aucun changement.",
    counted: (count, thing) => {
      const noun = FRENCH_NOUNS[thing];
      return `${count} ${count > 1 ? noun.many : noun.one}`;
    },
    changed: (count, thing, change) =>
      `${FRENCH_PARTICIPLES[change]}${FRENCH_NOUNS[thing].feminine ? "e" : ""}${count > 1 ? "s" : ""}`,
    questions: (from, to, typesChanged) =>
      `questions ${from} → ${to}${typesChanged ? " (types modifiés)" : ""}`,
    between: "\u00a0; ",
  },
};

/**
 * One sentence, e.g. "2 activities added, 1 renamed; 3 files changed.", in English or
 * French ("2 activités ajoutées, 1 renommée ; 3 fichiers modifiés.").
 */
export function diffHeadline(diff: BackupDiff, language: HeadlineLanguage = "en"): string {
  const wording = WORDINGS[language];
  if (diff.unchanged) return wording.noChanges;
  const counts = diffCounts(diff);
  const group = (thing: Thing, parts: ReadonlyArray<readonly [number, Change]>): string | null => {
    const present = parts.filter(([count]) => count > 0);
    if (present.length === 0) return null;
    return present
      .map(([count, change], index) =>
        index === 0
          ? `${wording.counted(count, thing)} ${wording.changed(count, thing, change)}`
          : `${count} ${wording.changed(count, thing, change)}`,
      )
      .join(", ");
  };
  const questionDelta = counts.questionsNew - counts.questionsOld;
  const questionChanged = diff.questions.byQtype.length > 0;
  const parts = [
    group("section", [
      [counts.sectionsAdded, "added"],
      [counts.sectionsRemoved, "removed"],
      [counts.sectionsRenamed, "renamed"],
      [counts.sectionsMoved, "moved"],
    ]),
    group("activity", [
      [counts.activitiesAdded, "added"],
      [counts.activitiesRemoved, "removed"],
      [counts.activitiesRenamed, "renamed"],
      [counts.activitiesMoved, "moved"],
    ]),
    questionChanged
      ? wording.questions(counts.questionsOld, counts.questionsNew, questionDelta === 0)
      : null,
    group("file", [
      [counts.filesAdded, "added"],
      [counts.filesRemoved, "removed"],
      [counts.filesChanged, "changed"],
    ]),
    group("setting", [[counts.settingsChanged, "changed"]]),
  ].filter((part): part is string => part !== null);
  const sentence = parts.join(wording.between);
  return `${sentence.charAt(0).toUpperCase()}${sentence.slice(1)}.`;
}

/** Longest setting value shown in the text summary (course summaries are HTML pages). */
const SHOWN_VALUE_CHARS = 60;

function shown(value: string | null): string {
  if (value === null) return "(none)";
  const flat = value.replace(/\s+/g, " ").trim();
  return flat.length > SHOWN_VALUE_CHARS
    ? `"${flat.slice(0, SHOWN_VALUE_CHARS - 1)}…"`
    : `"${flat}"`;
}

function section(ref: SectionRef | null): string {
  if (!ref) return "no section";
  return ref.number !== null && ref.title !== String(ref.number)
    ? `section ${ref.number} "${ref.title}"`
    : `section ${ref.title}`;
}

function activity(ref: ActivityRef): string {
  return `${ref.module} "${ref.title}"`;
}

/**
 * The readable summary `coursefed diff` prints: the headline, then one line per change,
 * grouped. Long lists are cut at `maxPerGroup` lines with a count of the rest.
 */
export function diffText(
  diff: BackupDiff,
  options: { readonly maxPerGroup?: number } = {},
): string {
  const limit = options.maxPerGroup ?? 50;
  const lines: string[] = [diffHeadline(diff)];
  const block = <T>(title: string, items: readonly T[], line: (item: T) => string) => {
    if (items.length === 0) return;
    lines.push("", `${title}:`);
    for (const item of items.slice(0, limit)) lines.push(`  ${line(item)}`);
    if (items.length > limit) lines.push(`  … and ${items.length - limit} more`);
  };
  block("Sections added", diff.sections.added, (item) => section(item));
  block("Sections removed", diff.sections.removed, (item) => section(item));
  block(
    "Sections renamed",
    diff.sections.renamed,
    (item) => `"${item.oldTitle}" → "${item.title}" (section ${item.number ?? "?"})`,
  );
  block(
    "Sections moved",
    diff.sections.moved,
    (item) => `"${item.title}": position ${item.oldNumber ?? "?"} → ${item.number ?? "?"}`,
  );
  block(
    "Activities added",
    diff.activities.added,
    (item) => `${activity(item)} in ${section(item.section)}`,
  );
  block(
    "Activities removed",
    diff.activities.removed,
    (item) => `${activity(item)} from ${section(item.section)}`,
  );
  block(
    "Activities renamed",
    diff.activities.renamed,
    (item) => `${item.module} "${item.oldTitle}" → "${item.title}"`,
  );
  block(
    "Activities moved",
    diff.activities.moved,
    (item) => `${activity(item)}: ${section(item.fromSection)} → ${section(item.toSection)}`,
  );
  block(
    "Questions by type",
    diff.questions.byQtype,
    (item) => `${item.qtype}: ${item.old} → ${item.new}`,
  );
  const file = (item: BackupDiff["files"]["added"][number]) =>
    `${item.activity ? `${activity(item.activity)}: ` : ""}${item.component}/${item.filearea}${item.filepath}${item.filename}`;
  block("Files added", diff.files.added, file);
  block("Files removed", diff.files.removed, file);
  block("Files changed", diff.files.changed, file);
  const setting = (prefix: string) => (item: SettingChange) =>
    `${prefix}${item.key}: ${shown(item.old)} → ${shown(item.new)}`;
  block("Course settings changed", diff.settings.course, setting(""));
  block("Backup settings changed", diff.settings.backup, setting(""));
  return lines.join("\n");
}
