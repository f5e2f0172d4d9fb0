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

/** One English sentence, e.g. "2 activities added, 1 renamed; 3 files changed." */
export function diffHeadline(diff: BackupDiff): string {
  if (diff.unchanged) return "No changes.";
  const counts = diffCounts(diff);
  const group = (
    noun: string,
    nouns: string,
    parts: ReadonlyArray<readonly [number, string]>,
  ): string | null => {
    const present = parts.filter(([count]) => count > 0);
    if (present.length === 0) return null;
    return present
      .map(([count, verb], index) =>
        index === 0 ? `${plural(count, noun, nouns)} ${verb}` : `${count} ${verb}`,
      )
      .join(", ");
  };
  const questionDelta = counts.questionsNew - counts.questionsOld;
  const questionChanged = diff.questions.byQtype.length > 0;
  const parts = [
    group("section", "sections", [
      [counts.sectionsAdded, "added"],
      [counts.sectionsRemoved, "removed"],
      [counts.sectionsRenamed, "renamed"],
      [counts.sectionsMoved, "moved"],
    ]),
    group("activity", "activities", [
      [counts.activitiesAdded, "added"],
      [counts.activitiesRemoved, "removed"],
      [counts.activitiesRenamed, "renamed"],
      [counts.activitiesMoved, "moved"],
    ]),
    questionChanged
      ? `questions ${counts.questionsOld} → ${counts.questionsNew}${questionDelta === 0 ? " (types changed)" : ""}`
      : null,
    group("file", "files", [
      [counts.filesAdded, "added"],
      [counts.filesRemoved, "removed"],
      [counts.filesChanged, "changed"],
    ]),
    counts.settingsChanged > 0 ? `${plural(counts.settingsChanged, "setting")} changed` : null,
  ].filter((part): part is string => part !== null);
  const sentence = parts.join("; ");
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
