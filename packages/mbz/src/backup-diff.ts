import { readArchive } from "./archive-reader.ts";
import { MbzError } from "./errors.ts";
import { BackupAnalysis, type BackupReport } from "./inspect.ts";
import { type ArchiveLimits, resolveLimits } from "./limits.ts";
import { printable } from "./member-name.ts";
import {
  collectRecords,
  combineHandlers,
  type Fields,
  isSet,
  MOODLE_NULL,
  pathEquals,
} from "./record-collector.ts";
import type { XmlHandler } from "./xml-stream.ts";

/** Bumped only when a key of BackupDiff is renamed or removed (docs/diff-json.md). */
export const DIFF_FORMAT_VERSION = 1;

export interface SectionRef {
  readonly id: number | null;
  readonly number: number | null;
  readonly title: string;
}

export interface ActivityRef {
  readonly id: number | null;
  readonly module: string;
  readonly title: string;
}

export interface SettingChange {
  readonly key: string;
  readonly old: string | null;
  readonly new: string | null;
}

export interface FileChange {
  readonly component: string;
  readonly filearea: string;
  readonly filepath: string;
  readonly filename: string;
  /** The activity whose context holds the file (in the newer backup when it has one), or null. */
  readonly activity: ActivityRef | null;
  readonly oldHash: string | null;
  readonly newHash: string | null;
  readonly oldSize: number | null;
  readonly newSize: number | null;
}

export interface BackupSide {
  readonly sha256: string;
  readonly size: number;
  readonly name: string;
  readonly backupDate: string | null;
  readonly moodleRelease: string;
  readonly courseFullname: string;
}

/** What changed from one backup (`from`) to another (`to`): docs/diff-json.md. */
export interface BackupDiff {
  readonly version: number;
  readonly from: BackupSide;
  readonly to: BackupSide;
  /**
   * How sections and activities were paired: `ids` when both backups come from the same
   * course of the same site (Moodle keeps section and course-module ids), `names` when
   * they do not (a restored copy gets new ids), so only names and types can tell.
   */
  readonly matchedBy: "ids" | "names";
  readonly unchanged: boolean;
  readonly sections: {
    readonly added: readonly SectionRef[];
    readonly removed: readonly SectionRef[];
    readonly renamed: ReadonlyArray<SectionRef & { readonly oldTitle: string }>;
    readonly moved: ReadonlyArray<SectionRef & { readonly oldNumber: number | null }>;
  };
  readonly activities: {
    readonly added: ReadonlyArray<ActivityRef & { readonly section: SectionRef | null }>;
    readonly removed: ReadonlyArray<ActivityRef & { readonly section: SectionRef | null }>;
    readonly renamed: ReadonlyArray<ActivityRef & { readonly oldTitle: string }>;
    readonly moved: ReadonlyArray<
      ActivityRef & {
        readonly fromSection: SectionRef | null;
        readonly toSection: SectionRef | null;
      }
    >;
  };
  readonly questions: {
    readonly old: number;
    readonly new: number;
    readonly byQtype: ReadonlyArray<{
      readonly qtype: string;
      readonly old: number;
      readonly new: number;
    }>;
  };
  readonly files: {
    readonly added: readonly FileChange[];
    readonly removed: readonly FileChange[];
    readonly changed: readonly FileChange[];
  };
  readonly settings: {
    readonly course: readonly SettingChange[];
    readonly backup: readonly SettingChange[];
  };
}

export interface DiffOptions {
  readonly limits?: Partial<ArchiveLimits>;
  /** Bytes read so far of both archives together, out of both sizes. */
  readonly onProgress?: (bytesRead: number, totalBytes: number) => void;
}

/**
 * Compares two backups, reading each once as `inspect` does (both at the same time: the
 * work is inflating and parsing, and each archive is streamed, so memory stays flat).
 * An unreadable archive is refused with the MbzError `inspect` gives, its message saying
 * which of the two it was.
 */
export async function diffBackups(
  fromPath: string,
  toPath: string,
  options: DiffOptions = {},
): Promise<BackupDiff> {
  const limits = resolveLimits(options.limits);
  const progress = [0, 0];
  const totals = [0, 0];
  const report = (index: number) => (read: number, total: number) => {
    progress[index] = read;
    totals[index] = total;
    options.onProgress?.(
      (progress[0] ?? 0) + (progress[1] ?? 0),
      (totals[0] ?? 0) + (totals[1] ?? 0),
    );
  };
  const [from, to] = await Promise.all([
    readSnapshot(fromPath, limits, "older", report(0)),
    readSnapshot(toPath, limits, "newer", report(1)),
  ]);
  return compareSnapshots(from, to);
}

interface SectionDetail {
  readonly id: number | null;
  readonly number: number | null;
  readonly name: string | null;
}

interface FileRecord {
  readonly contextId: string;
  readonly component: string;
  readonly filearea: string;
  readonly filepath: string;
  readonly filename: string;
  readonly hash: string;
  readonly size: number;
}

/** What one backup holds that a diff compares, beyond its inspect report. */
interface BackupSnapshot {
  readonly report: BackupReport;
  readonly sectionDetails: ReadonlyMap<string, SectionDetail>;
  readonly courseFields: ReadonlyMap<string, string>;
  readonly courseContextId: string | null;
  /** Activity context id -> course module id. */
  readonly activityContexts: ReadonlyMap<string, number>;
  readonly files: readonly FileRecord[];
}

async function readSnapshot(
  path: string,
  limits: ArchiveLimits,
  which: "older" | "newer",
  onProgress: (read: number, total: number) => void,
): Promise<BackupSnapshot> {
  const sectionDetails = new Map<string, SectionDetail>();
  const courseFields = new Map<string, string>();
  const activityContexts = new Map<string, number>();
  const files: FileRecord[] = [];
  const course: { contextId: string | null } = { contextId: null };
  const analysis = new BackupAnalysis(limits, (member) => {
    if (member === "files.xml") return fileRecords(files);
    if (member === "course/course.xml") return courseSettings(courseFields, course);
    const section = /^(sections\/[^/]+)\/section\.xml$/.exec(member);
    if (section) return sectionDetail(section[1] as string, sectionDetails);
    if (/^activities\/([a-z0-9_]+)_\d+\/\1\.xml$/.test(member))
      return activityContext(activityContexts);
    return undefined;
  });
  try {
    const identity = await readArchive(path, analysis.visitor(), { limits, onProgress });
    return {
      report: analysis.report(identity),
      sectionDetails,
      courseFields,
      courseContextId: course.contextId,
      activityContexts,
      files,
    };
  } catch (error) {
    if (error instanceof MbzError) {
      throw new MbzError(
        error.code,
        `The ${which} backup (${printable(path)}) cannot be compared: ${error.message}`,
        error.member,
        { cause: error },
      );
    }
    throw error;
  }
}

function fileRecords(files: FileRecord[]): XmlHandler {
  return collectRecords(
    (path) => pathEquals(path, ["files", "file"]),
    (fields: Fields) => {
      // Folder entries ("." files) carry no content; the files inside them do.
      if (fields.filename === "." || !isSet(fields.contenthash)) return;
      files.push({
        contextId: fields.contextid ?? "",
        component: fields.component ?? "",
        filearea: fields.filearea ?? "",
        filepath: fields.filepath ?? "/",
        filename: fields.filename ?? "",
        hash: fields.contenthash,
        size: Number(fields.filesize) || 0,
      });
    },
  );
}

/**
 * Course fields that change with every backup or every save and say nothing about the
 * course a follower would restore.
 */
const VOLATILE_COURSE_FIELDS = new Set(["timecreated", "timemodified", "cacherev", "marker"]);

/** Leaf fields of course.xml's <course>, and its format options (`format.<name>`). */
function courseSettings(
  target: Map<string, string>,
  course: { contextId: string | null },
): XmlHandler {
  const parents = new Set<string>();
  return combineHandlers([
    {
      open(path, attributes) {
        if (path.length === 1 && path[0] === "course")
          course.contextId = attributes.contextid ?? null;
        if (path.length === 3 && path[0] === "course") parents.add(path[1] as string);
      },
      close(path, text) {
        if (path.length !== 2 || path[0] !== "course") return;
        const name = path[1] as string;
        if (parents.has(name) || VOLATILE_COURSE_FIELDS.has(name)) return;
        target.set(name, text);
      },
    },
    collectRecords(
      (path) => pathEquals(path, ["course", "courseformatoptions", "courseformatoption"]),
      (fields) => {
        if ((fields.sectionid ?? "0") === "0" && fields.name)
          target.set(`format.${fields.name}`, fields.value ?? "");
      },
    ),
  ]);
}

function sectionDetail(directory: string, target: Map<string, SectionDetail>): XmlHandler {
  let id: number | null = null;
  return combineHandlers([
    {
      open(path, attributes) {
        if (path.length === 1) id = integer(attributes.id);
      },
    },
    collectRecords(
      (path) => pathEquals(path, ["section"]),
      (fields) => {
        target.set(directory, {
          id,
          number: integer(fields.number),
          name: fields.name === undefined || fields.name === MOODLE_NULL ? null : fields.name,
        });
      },
    ),
  ]);
}

function activityContext(target: Map<string, number>): XmlHandler {
  return {
    open(path, attributes) {
      if (path.length !== 1) return;
      const moduleId = integer(attributes.moduleid);
      if (attributes.contextid && moduleId !== null) target.set(attributes.contextid, moduleId);
    },
  };
}

interface Section extends SectionRef {
  readonly key: string;
  /** A title the teacher gave; a section without one shows its number. */
  readonly named: boolean;
  readonly order: number;
}

interface Activity extends ActivityRef {
  readonly sectionId: number | null;
  readonly order: number;
}

function sectionsOf(snapshot: BackupSnapshot): Section[] {
  return snapshot.report.sections.map((section, order) => {
    const detail = snapshot.sectionDetails.get(section.directory);
    const name = detail?.name ?? null;
    const number = detail?.number ?? (/^\d+$/.test(section.title) ? Number(section.title) : order);
    return {
      key: section.directory,
      id: section.id ?? detail?.id ?? null,
      number,
      title: name ?? section.title,
      named: name !== null && name !== "",
      order,
    };
  });
}

/**
 * Pairs items of two revisions: by id when the ids are the same course's, then what is
 * left by a natural key (name and type), each pair taken in course order.
 */
function pair<T extends { readonly id: number | null; readonly order: number }>(
  older: readonly T[],
  newer: readonly T[],
  byId: boolean,
  naturalKeys: ReadonlyArray<(item: T) => string | null>,
): Map<T, T> {
  const pairs = new Map<T, T>();
  const taken = new Set<T>();
  if (byId) {
    const newerById = new Map(
      newer.filter((item) => item.id !== null).map((item) => [item.id, item]),
    );
    for (const item of older) {
      const match = item.id === null ? undefined : newerById.get(item.id);
      if (match && sameKind(item, match)) {
        pairs.set(item, match);
        taken.add(match);
      }
    }
  }
  for (const key of naturalKeys) {
    const waiting = new Map<string, T[]>();
    for (const item of newer) {
      if (taken.has(item)) continue;
      const value = key(item);
      if (value === null) continue;
      const list = waiting.get(value) ?? [];
      list.push(item);
      waiting.set(value, list);
    }
    for (const item of older) {
      if (pairs.has(item)) continue;
      const value = key(item);
      const match = value === null ? undefined : waiting.get(value)?.shift();
      if (match) {
        pairs.set(item, match);
        taken.add(match);
      }
    }
  }
  return pairs;
}

/** A course-module id is never reused for another module type on a site. */
function sameKind(a: object, b: object): boolean {
  const moduleOf = (item: object) => ("module" in item ? item.module : undefined);
  return moduleOf(a) === moduleOf(b);
}

/**
 * The matched items whose relative order changed: those outside a longest run that kept
 * its order. Inserting a section shifts every later number, but moves none of them.
 */
function reordered<T>(pairs: ReadonlyArray<readonly [T, number]>): Set<T> {
  // pairs are in the older order; values are positions in the newer one.
  const tails: number[] = [];
  const tailIndex: number[] = [];
  const previous: number[] = new Array(pairs.length).fill(-1);
  pairs.forEach(([, position], index) => {
    let low = 0;
    let high = tails.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if ((tails[middle] as number) < position) low = middle + 1;
      else high = middle;
    }
    tails[low] = position;
    tailIndex[low] = index;
    previous[index] = low > 0 ? (tailIndex[low - 1] as number) : -1;
  });
  const kept = new Set<number>();
  let cursor = tailIndex[tails.length - 1] ?? -1;
  while (cursor >= 0) {
    kept.add(cursor);
    cursor = previous[cursor] as number;
  }
  const moved = new Set<T>();
  pairs.forEach(([item], index) => {
    if (!kept.has(index)) moved.add(item);
  });
  return moved;
}

function sectionRef(section: Section | undefined): SectionRef | null {
  return section ? { id: section.id, number: section.number, title: section.title } : null;
}

function activityRef(activity: Activity): ActivityRef {
  return { id: activity.id, module: activity.module, title: activity.title };
}

/** Compares what two backups hold. */
function compareSnapshots(from: BackupSnapshot, to: BackupSnapshot): BackupDiff {
  const a = from.report;
  const b = to.report;
  const byId =
    a.course.id !== null &&
    a.course.id === b.course.id &&
    a.originalSiteIdentifierHash !== "" &&
    a.originalSiteIdentifierHash === b.originalSiteIdentifierHash;

  const oldSections = sectionsOf(from);
  const newSections = sectionsOf(to);
  const sectionPairs = pair(oldSections, newSections, byId, [
    (section) => (section.named ? `name:${section.title}` : null),
    // Across courses an unnamed section is known only by its place.
    ...(byId ? [] : [(section: Section) => `number:${section.number}`]),
  ]);
  const pairedNewSections = new Set(sectionPairs.values());
  const sectionMoves = reordered(
    [...sectionPairs]
      .sort(([x], [y]) => x.order - y.order)
      .map(([older, newer]) => [older, newer.order] as const),
  );
  const bySectionId = (list: readonly Section[]) =>
    new Map(list.filter((section) => section.id !== null).map((section) => [section.id, section]));
  const oldSectionById = bySectionId(oldSections);
  const newSectionById = bySectionId(newSections);

  const activitiesOf = (report: BackupReport): Activity[] =>
    report.activities.map((activity, order) => ({
      id: activity.id,
      module: activity.module,
      title: activity.title,
      sectionId: activity.sectionId,
      order,
    }));
  const oldActivities = activitiesOf(a);
  const newActivities = activitiesOf(b);
  const activityPairs = pair(oldActivities, newActivities, byId, [
    (activity) => `${activity.module}:${activity.title}`,
  ]);
  const pairedNewActivities = new Set(activityPairs.values());

  const renamedActivities: Array<ActivityRef & { oldTitle: string }> = [];
  const movedActivities: Array<
    ActivityRef & { fromSection: SectionRef | null; toSection: SectionRef | null }
  > = [];
  // Lists follow the newer course's order, whatever order the pairing found them in.
  const byNewerOrder = <T extends { order: number }>(pairs: ReadonlyMap<T, T>) =>
    [...pairs].sort(([, x], [, y]) => x.order - y.order);
  for (const [older, newer] of byNewerOrder(activityPairs)) {
    if (older.title !== newer.title)
      renamedActivities.push({ ...activityRef(newer), oldTitle: older.title });
    const oldSection = oldSectionById.get(older.sectionId);
    const newSection = newSectionById.get(newer.sectionId);
    const oldSectionNow = oldSection ? sectionPairs.get(oldSection) : undefined;
    if (oldSectionNow !== newSection) {
      movedActivities.push({
        ...activityRef(newer),
        fromSection: sectionRef(oldSection),
        toSection: sectionRef(newSection),
      });
    }
  }
  const withSection = (activity: Activity, sections: ReadonlyMap<number | null, Section>) => ({
    ...activityRef(activity),
    section: sectionRef(sections.get(activity.sectionId)),
  });

  const sections: BackupDiff["sections"] = {
    added: newSections.filter((section) => !pairedNewSections.has(section)).map(sectionRefOf),
    removed: oldSections.filter((section) => !sectionPairs.has(section)).map(sectionRefOf),
    renamed: byNewerOrder(sectionPairs)
      .filter(([older, newer]) => older.title !== newer.title && (older.named || newer.named))
      .map(([older, newer]) => ({ ...sectionRefOf(newer), oldTitle: older.title })),
    moved: byNewerOrder(sectionPairs)
      .filter(([older]) => sectionMoves.has(older))
      .map(([older, newer]) => ({ ...sectionRefOf(newer), oldNumber: older.number })),
  };
  const activities: BackupDiff["activities"] = {
    added: newActivities
      .filter((activity) => !pairedNewActivities.has(activity))
      .map((activity) => withSection(activity, newSectionById)),
    removed: oldActivities
      .filter((activity) => !activityPairs.has(activity))
      .map((activity) => withSection(activity, oldSectionById)),
    renamed: renamedActivities,
    moved: movedActivities,
  };
  const questions = compareQuestions(a, b);
  const files = compareFiles(from, to, activityPairs, oldActivities, newActivities);
  const settings = {
    course: compareSettings(from.courseFields, to.courseFields),
    backup: compareSettings(
      withoutVolatileRoot(a.settings.root),
      withoutVolatileRoot(b.settings.root),
    ),
  };
  const unchanged =
    [
      ...Object.values(sections),
      ...Object.values(activities),
      questions.byQtype,
      ...Object.values(files),
      settings.course,
      settings.backup,
    ].every((list) => list.length === 0) && questions.old === questions.new;
  return {
    version: DIFF_FORMAT_VERSION,
    from: side(a),
    to: side(b),
    matchedBy: byId ? "ids" : "names",
    unchanged,
    sections,
    activities,
    questions,
    files,
    settings,
  };
}

function sectionRefOf(section: Section): SectionRef {
  return { id: section.id, number: section.number, title: section.title };
}

function side(report: BackupReport): BackupSide {
  return {
    sha256: report.sha256,
    size: report.size,
    name: report.name,
    backupDate: report.backupDate,
    moodleRelease: report.moodleRelease,
    courseFullname: report.course.fullname,
  };
}

function compareQuestions(a: BackupReport, b: BackupReport): BackupDiff["questions"] {
  const qtypes = new Set([
    ...Object.keys(a.questionBank.byQtype),
    ...Object.keys(b.questionBank.byQtype),
  ]);
  return {
    old: a.questionBank.questions,
    new: b.questionBank.questions,
    byQtype: [...qtypes]
      .sort()
      .map((qtype) => ({
        qtype,
        old: a.questionBank.byQtype[qtype] ?? 0,
        new: b.questionBank.byQtype[qtype] ?? 0,
      }))
      .filter((count) => count.old !== count.new),
  };
}

/** The backup file's own name changes with every backup: it is not a course setting. */
function withoutVolatileRoot(root: Readonly<Record<string, string>>): Map<string, string> {
  return new Map(Object.entries(root).filter(([key]) => key !== "filename"));
}

function compareSettings(
  older: ReadonlyMap<string, string>,
  newer: ReadonlyMap<string, string>,
): SettingChange[] {
  const keys = [...new Set([...older.keys(), ...newer.keys()])].sort();
  const value = (map: ReadonlyMap<string, string>, key: string) => {
    const raw = map.get(key);
    return raw === undefined || raw === MOODLE_NULL ? null : raw;
  };
  return keys
    .map((key) => ({ key, old: value(older, key), new: value(newer, key) }))
    .filter((change) => change.old !== change.new);
}

/**
 * Files are keyed by where a teacher sees them: the activity (or the course) holding
 * them, then component, file area, path and name. The item id is left out: it is a
 * database id (a section's, a question's) that a re-created course does not keep. Files
 * sharing a key are compared as a set of hashes.
 */
function compareFiles(
  from: BackupSnapshot,
  to: BackupSnapshot,
  activityPairs: ReadonlyMap<Activity, Activity>,
  oldActivities: readonly Activity[],
  newActivities: readonly Activity[],
): BackupDiff["files"] {
  const oldById = new Map(oldActivities.map((activity) => [activity.id, activity]));
  const newById = new Map(newActivities.map((activity) => [activity.id, activity]));
  const newerOf = new Map([...activityPairs].map(([older, newer]) => [older, newer]));
  const owner = (snapshot: BackupSnapshot, contextId: string, older: boolean) => {
    const moduleId = snapshot.activityContexts.get(contextId);
    if (moduleId === undefined) return { key: "course", activity: undefined };
    const activity = (older ? oldById : newById).get(moduleId);
    if (!activity) return { key: `module:${moduleId}`, activity: undefined };
    // An older activity that lives on is keyed as its newer self, so that its files meet.
    const current = older ? newerOf.get(activity) : activity;
    return current
      ? { key: `activity:${newActivities.indexOf(current)}`, activity: current }
      : { key: `gone:${oldActivities.indexOf(activity)}`, activity };
  };
  type Group = {
    change: Omit<FileChange, "oldHash" | "newHash" | "oldSize" | "newSize">;
    files: FileRecord[];
  };
  const group = (snapshot: BackupSnapshot, older: boolean) => {
    const groups = new Map<string, Group>();
    for (const file of snapshot.files) {
      const where = owner(snapshot, file.contextId, older);
      const key = [where.key, file.component, file.filearea, file.filepath, file.filename].join(
        "\u0000",
      );
      const entry = groups.get(key) ?? {
        change: {
          component: file.component,
          filearea: file.filearea,
          filepath: file.filepath,
          filename: file.filename,
          activity: where.activity ? activityRef(where.activity) : null,
        },
        files: [],
      };
      entry.files.push(file);
      groups.set(key, entry);
    }
    return groups;
  };
  const older = group(from, true);
  const newer = group(to, false);
  const added: FileChange[] = [];
  const removed: FileChange[] = [];
  const changed: FileChange[] = [];
  const hashes = (files: readonly FileRecord[]) =>
    files
      .map((file) => file.hash)
      .sort()
      .join(",");
  const size = (files: readonly FileRecord[]) => files.reduce((sum, file) => sum + file.size, 0);
  const hashOf = (files: readonly FileRecord[]) =>
    files.length === 1 ? (files[0]?.hash ?? null) : hashes(files);
  for (const [key, entry] of newer) {
    const before = older.get(key);
    if (!before) {
      added.push({
        ...entry.change,
        oldHash: null,
        newHash: hashOf(entry.files),
        oldSize: null,
        newSize: size(entry.files),
      });
    } else if (hashes(before.files) !== hashes(entry.files)) {
      changed.push({
        ...entry.change,
        oldHash: hashOf(before.files),
        newHash: hashOf(entry.files),
        oldSize: size(before.files),
        newSize: size(entry.files),
      });
    }
  }
  for (const [key, entry] of older) {
    if (!newer.has(key))
      removed.push({
        ...entry.change,
        oldHash: hashOf(entry.files),
        newHash: null,
        oldSize: size(entry.files),
        newSize: null,
      });
  }
  const order = (x: FileChange, y: FileChange) =>
    [x.component, x.filearea, x.filepath, x.filename]
      .join("/")
      .localeCompare([y.component, y.filearea, y.filepath, y.filename].join("/"));
  return { added: added.sort(order), removed: removed.sort(order), changed: changed.sort(order) };
}

function integer(value: string | undefined): number | null {
  return value !== undefined && /^-?\d+$/.test(value) ? Number(value) : null;
}
