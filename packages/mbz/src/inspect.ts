import type { Readable } from "node:stream";
import {
  type ArchiveIdentity,
  type ArchiveMember,
  type MemberVisitor,
  readArchive,
} from "./archive-reader.ts";
import { type BackupInformation, backupInformationHandler } from "./backup-information.ts";
import type { ContainerFormat } from "./container.ts";
import { MbzError } from "./errors.ts";
import { ContentInventory } from "./inventory.ts";
import { type ArchiveLimits, resolveLimits } from "./limits.ts";
import {
  isUserFileArea,
  type PersonalDataReport,
  PersonalDataTally,
  userDataRulesFor,
} from "./personal-data.ts";
import {
  collectRecords,
  combineHandlers,
  type Fields,
  isSet,
  pathEquals,
} from "./record-collector.ts";
import { requiredPlugins } from "./required-plugins.ts";
import { userRecordHandler } from "./user-records.ts";
import { parseXmlMember, type XmlHandler, xmlMemberTooLarge } from "./xml-stream.ts";

export type BackupType = "course" | "section" | "activity";

/** Moodle's backup modes (backup::MODE_* in backup/backup.class.php). */
const MODE_NAMES: Readonly<Record<number, string>> = {
  10: "general",
  20: "import",
  30: "hub",
  40: "samesite",
  50: "automated",
  60: "converted",
  70: "async",
  80: "copy",
};

export interface BackupReport {
  readonly format: ContainerFormat;
  readonly sha256: string;
  readonly size: number;
  readonly name: string;
  readonly moodleVersion: string;
  readonly moodleRelease: string;
  readonly backupVersion: string;
  readonly backupRelease: string;
  readonly backupDate: string | null;
  readonly originalWwwroot: string;
  readonly originalSiteIdentifierHash: string;
  readonly type: BackupType;
  readonly mode: number;
  readonly modeName: string;
  readonly includeFiles: boolean | null;
  readonly course: {
    readonly id: number | null;
    readonly fullname: string;
    readonly shortname: string;
    readonly format: string | null;
    readonly startDate: string | null;
    readonly endDate: string | null;
    readonly language: string | null;
    readonly summary: string | null;
  };
  readonly settings: {
    readonly root: Readonly<Record<string, string>>;
    readonly sections: ReadonlyArray<IncludedSetting & { readonly section: string }>;
    readonly activities: ReadonlyArray<IncludedSetting & { readonly activity: string }>;
  };
  readonly sections: ReadonlyArray<{
    readonly id: number | null;
    readonly title: string;
    readonly directory: string;
  }>;
  readonly activities: ReadonlyArray<{
    readonly id: number | null;
    readonly module: string;
    readonly title: string;
    readonly sectionId: number | null;
    readonly directory: string;
  }>;
  readonly questionBank: {
    readonly categories: number;
    readonly questions: number;
    readonly byQtype: Readonly<Record<string, number>>;
  };
  readonly files: {
    /** File records in files.xml (folders excluded) and the bytes they declare. */
    readonly count: number;
    readonly bytes: number;
    /** Distinct content blobs stored under files/, and their bytes. */
    readonly blobCount: number;
    readonly blobBytes: number;
    /** Content hashes files.xml names that the archive does not hold. */
    readonly missingBlobs: number;
  };
  readonly blocks: Readonly<Record<string, number>>;
  readonly filters: readonly string[];
  readonly languages: readonly string[];
  /** Every plugin the contents use, standard or not. */
  readonly plugins: readonly string[];
  /** Plugins the contents use that the backup's own Moodle branch did not ship. */
  readonly requiredPlugins: readonly string[];
  /** Version of each activity module and block the backup holds, as its site had it. */
  readonly pluginVersions: Readonly<Record<string, number>>;
  readonly personalData: PersonalDataReport;
}

interface IncludedSetting {
  readonly included: boolean | null;
  readonly userinfo: boolean | null;
}

export interface InspectOptions {
  readonly limits?: Partial<ArchiveLimits>;
  readonly onProgress?: (bytesRead: number, totalBytes: number) => void;
}

export async function inspectBackup(
  path: string,
  options: InspectOptions = {},
): Promise<BackupReport> {
  const analysis = new BackupAnalysis(resolveLimits(options.limits));
  const identity = await readArchive(path, analysis.visitor(), {
    limits: analysis.limits,
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  });
  return analysis.report(identity);
}

/** Extra work a caller wants done on an XML member during the same parse. */
export type XmlMemberHook = (member: string) => XmlHandler | undefined;

const BLOB = /^files\/[0-9a-f]{2}\/([0-9a-f]{40})$/;

/**
 * One pass over an archive's members, gathering everything the report needs. The
 * sanitizer reuses it with a hook, so that a member is parsed once for both.
 */
export class BackupAnalysis {
  readonly inventory = new ContentInventory();
  readonly tally = new PersonalDataTally();
  private readonly target: { information?: BackupInformation } = {};
  readonly limits: ArchiveLimits;
  private readonly hook: XmlMemberHook | undefined;

  constructor(limits: ArchiveLimits, hook?: XmlMemberHook) {
    this.limits = limits;
    this.hook = hook;
  }

  visitor(): MemberVisitor {
    return {
      member: (member: ArchiveMember) => {
        const blob = BLOB.exec(member.name);
        if (blob) {
          this.inventory.blobs.count++;
          this.inventory.blobs.bytes += member.size;
          this.inventory.blobs.names.add(blob[1] as string);
          return undefined;
        }
        if (!member.name.endsWith(".xml")) return undefined;
        // Zip declares sizes up front: refuse before inflating anything.
        if (member.size > this.limits.maxXmlMemberBytes) {
          throw xmlMemberTooLarge(member.name, this.limits.maxXmlMemberBytes);
        }
        const handlers = this.handlersFor(member.name);
        return (content: Readable) =>
          parseXmlMember(
            member.name,
            content,
            combineHandlers(handlers),
            this.limits.maxXmlMemberBytes,
          );
      },
    };
  }

  private handlersFor(member: string): XmlHandler[] {
    const handlers = this.inventory.handlersFor(member);
    if (member === "moodle_backup.xml") handlers.push(backupInformationHandler(this.target));
    if (member === "files.xml") handlers.push(this.fileRecords());
    const rules = userDataRulesFor(member);
    const block = /^(?:course|activities\/[^/]+)\/blocks\/([a-z0-9_]+?)_\d+\/block\.xml$/.exec(
      member,
    );
    const owner = rules?.module ?? (block ? `block_${block[1]}` : undefined);
    if (rules || owner) {
      handlers.push(
        userRecordHandler({
          rules: rules?.records ?? [],
          onRecord: ({ rule }) => this.tally.add(rule.category, owner ?? member),
          ...(owner ? { onUnrecognised: () => this.tally.addUnrecognised(owner, owner) } : {}),
        }),
      );
    }
    const extra = this.hook?.(member);
    if (extra) handlers.push(extra);
    return handlers;
  }

  private fileRecords(): XmlHandler {
    const { inventory, tally } = this;
    return collectRecords(
      (path) => pathEquals(path, ["files", "file"]),
      (fields: Fields) => {
        if (fields.filename === "." || !isSet(fields.contenthash)) return;
        const hash = fields.contenthash;
        const component = fields.component ?? "";
        const filearea = fields.filearea ?? "";
        const userData = isUserFileArea(component, filearea);
        inventory.fileRecords.count++;
        inventory.fileRecords.bytes += Number(fields.filesize) || 0;
        inventory.useComponent(component);
        const known = inventory.referencedBlobs.get(hash);
        inventory.referencedBlobs.set(hash, {
          userDataOnly: userData && (known?.userDataOnly ?? true),
        });
        if (userData) tally.add("userFiles", `${component}/${filearea}`);
      },
    );
  }

  report(identity: ArchiveIdentity): BackupReport {
    const information = this.target.information;
    if (!information) {
      throw new MbzError(
        "NOT_A_MOODLE_BACKUP",
        "The archive has no moodle_backup.xml, so it is not a Moodle 2.0+ backup (Moodle 1.9 backups must be converted by restoring them in Moodle first).",
        "moodle_backup.xml",
      );
    }
    const info = information.fields;
    for (const required of ["moodle_version", "backup_release"] as const) {
      if (!isSet(info[required])) {
        throw new MbzError(
          "NOT_A_MOODLE_BACKUP",
          `moodle_backup.xml has no <${required}>; the backup is damaged or was not written by Moodle.`,
          "moodle_backup.xml",
        );
      }
    }
    const inventory = this.inventory;
    const settings = readSettings(information.settings);
    const type = (information.detail.type ?? "course") as BackupType;
    const mode = Number(information.detail.mode ?? 10);
    const backupRelease = info.backup_release as string;
    const format = nonEmpty(info.original_course_format) ?? inventory.course.format ?? null;
    const plugins = new Set(inventory.plugins);
    for (const { modulename } of information.activities) {
      if (isSet(modulename)) plugins.add(`mod_${modulename}`);
    }
    // Activity and section backups restore into an existing course: its format is not needed.
    if (format && type === "course") plugins.add(`format_${format}`);
    else if (format) plugins.delete(`format_${format}`);
    let missingBlobs = 0;
    for (const hash of inventory.referencedBlobs.keys()) {
      if (!inventory.blobs.names.has(hash)) missingBlobs++;
    }
    return {
      format: identity.format,
      sha256: identity.sha256,
      size: identity.size,
      name: info.name ?? "",
      moodleVersion: info.moodle_version as string,
      moodleRelease: info.moodle_release ?? "",
      backupVersion: info.backup_version ?? "",
      backupRelease,
      backupDate: isoDate(info.backup_date),
      originalWwwroot: info.original_wwwroot ?? "",
      originalSiteIdentifierHash: info.original_site_identifier_hash ?? "",
      type,
      mode,
      modeName: MODE_NAMES[mode] ?? "unknown",
      includeFiles: info.include_files === undefined ? null : info.include_files === "1",
      course: {
        id: integer(info.original_course_id),
        fullname: info.original_course_fullname ?? "",
        shortname: info.original_course_shortname ?? "",
        format,
        startDate: isoDate(info.original_course_startdate),
        endDate: isoDate(info.original_course_enddate),
        language: inventory.course.lang ?? null,
        summary: inventory.course.summary ?? null,
      },
      settings,
      sections: information.sections.map((section) => ({
        id: integer(section.sectionid),
        title: section.title ?? "",
        directory: section.directory ?? "",
      })),
      activities: information.activities.map((activity) => ({
        id: integer(activity.moduleid),
        module: activity.modulename ?? "",
        title: activity.title ?? "",
        sectionId: integer(activity.sectionid),
        directory: activity.directory ?? "",
      })),
      questionBank: {
        categories: inventory.questionCategories,
        questions: [...inventory.questionsByQtype.values()].reduce((sum, count) => sum + count, 0),
        byQtype: Object.fromEntries(
          [...inventory.questionsByQtype].sort(([a], [b]) => a.localeCompare(b)),
        ),
      },
      files: {
        count: inventory.fileRecords.count,
        bytes: inventory.fileRecords.bytes,
        blobCount: inventory.blobs.count,
        blobBytes: inventory.blobs.bytes,
        missingBlobs,
      },
      blocks: Object.fromEntries([...inventory.blocks].sort(([a], [b]) => a.localeCompare(b))),
      filters: [...inventory.activeFilters].sort(),
      languages: [...inventory.languages].sort(),
      plugins: [...plugins].sort(),
      requiredPlugins: requiredPlugins(plugins, backupRelease),
      pluginVersions: Object.fromEntries(
        [...inventory.pluginVersions].sort(([a], [b]) => a.localeCompare(b)),
      ),
      personalData: this.tally.report(settings.root.users === "1"),
    };
  }
}

function readSettings(settings: readonly Fields[]): BackupReport["settings"] {
  const root: Record<string, string> = {};
  const sections = new Map<string, { section: string } & MutableIncluded>();
  const activities = new Map<string, { activity: string } & MutableIncluded>();
  const entryFor = (level: string, owner: string): MutableIncluded => {
    if (level === "section") {
      const entry = sections.get(owner) ?? { section: owner, included: null, userinfo: null };
      sections.set(owner, entry);
      return entry;
    }
    const entry = activities.get(owner) ?? { activity: owner, included: null, userinfo: null };
    activities.set(owner, entry);
    return entry;
  };
  for (const { level = "", name = "", value = "", section, activity } of settings) {
    if (level === "root") {
      root[name] = value;
      continue;
    }
    const owner = level === "section" ? section : activity;
    if (!owner) continue;
    const entry = entryFor(level, owner);
    if (name === `${owner}_included`) entry.included = value === "1";
    if (name === `${owner}_userinfo`) entry.userinfo = value === "1";
  }
  return { root, sections: [...sections.values()], activities: [...activities.values()] };
}

interface MutableIncluded {
  included: boolean | null;
  userinfo: boolean | null;
}

function nonEmpty(value: string | undefined): string | undefined {
  return isSet(value) ? value : undefined;
}

function integer(value: string | undefined): number | null {
  return value !== undefined && /^-?\d+$/.test(value) ? Number(value) : null;
}

function isoDate(seconds: string | undefined): string | null {
  const value = integer(seconds);
  return value === null || value === 0 ? null : new Date(value * 1000).toISOString();
}
