import { type Fields, isSet } from "./record-collector.ts";
import {
  COURSE_USER_DATA,
  MODULE_USER_DATA,
  type PersonalDataCategory,
  USER_FILE_AREAS,
  type UserDataRecord,
} from "./user-data-elements.ts";

export type { PersonalDataCategory } from "./user-data-elements.ts";

export interface PersonalDataFinding {
  readonly category: PersonalDataCategory;
  readonly count: number;
  /** Where it was found: an archive member, or a plugin for activity data. */
  readonly sources: ReadonlyArray<{ readonly source: string; readonly count: number }>;
}

export interface PersonalDataReport {
  readonly verdict: "clean" | "contains-personal-data";
  readonly findings: readonly PersonalDataFinding[];
  /** What the backup's own settings claim (root setting "users"); contents decide the verdict. */
  readonly declaredUserData: boolean;
  /**
   * Plugins holding person-linked records that no rule describes: `sanitize` refuses
   * these rather than guess what to remove.
   */
  readonly unrecognisedPlugins: readonly string[];
}

/** Where user data may sit in one member, and which activity module owns it. */
export interface MemberUserDataRules {
  readonly records: readonly UserDataRecord[];
  /** Frankenstyle name of the module whose XML this is (activities/<mod>_<id>/<mod>.xml). */
  readonly module: string | undefined;
}

const ACTIVITY_XML = /^activities\/([a-z][a-z0-9_]*)_\d+\/([a-z][a-z0-9_]*)\.xml$/;

export function userDataRulesFor(member: string): MemberUserDataRules | undefined {
  const activity = ACTIVITY_XML.exec(member);
  if (activity && activity[1] === activity[2]) {
    const modname = activity[1] as string;
    return { records: MODULE_USER_DATA[modname] ?? [], module: `mod_${modname}` };
  }
  const records = COURSE_USER_DATA.filter((entry) => memberMatches(member, entry.member)).flatMap(
    (entry) => entry.records,
  );
  return records.length > 0 ? { records, module: undefined } : undefined;
}

function memberMatches(member: string, glob: string): boolean {
  const names = member.split("/");
  const pattern = glob.split("/");
  return (
    names.length === pattern.length &&
    pattern.every((segment, index) => segment === "*" || segment === names[index])
  );
}

/** Whether a record matched by `rule` is user data, given its fields and attributes. */
export function isUserRecord(rule: UserDataRecord, fields: Fields): boolean {
  if (rule.whenChildSet !== undefined && !isSet(fields[rule.whenChildSet])) return false;
  if (rule.whenChildEquals && fields[rule.whenChildEquals[0]] !== rule.whenChildEquals[1])
    return false;
  return true;
}

export function isUserFileArea(component: string, filearea: string): boolean {
  return USER_FILE_AREAS.some(
    ([areaComponent, area]) =>
      areaComponent === component &&
      (area === "*" ||
        area === filearea ||
        (area.endsWith("*") && filearea.startsWith(area.slice(0, -1)))),
  );
}

/** Adds up findings as the members of one archive are read. */
export class PersonalDataTally {
  private readonly counts = new Map<PersonalDataCategory, Map<string, number>>();
  private readonly unrecognised = new Set<string>();

  add(category: PersonalDataCategory, source: string, count = 1): void {
    let bySource = this.counts.get(category);
    if (!bySource) {
      bySource = new Map();
      this.counts.set(category, bySource);
    }
    bySource.set(source, (bySource.get(source) ?? 0) + count);
  }

  addUnrecognised(plugin: string, source: string): void {
    this.unrecognised.add(plugin);
    this.add("activityUserData", source);
  }

  report(declaredUserData: boolean): PersonalDataReport {
    const findings = [...this.counts]
      .map(([category, bySource]) => ({
        category,
        count: [...bySource.values()].reduce((sum, count) => sum + count, 0),
        sources: [...bySource]
          .map(([source, count]) => ({ source, count }))
          .sort((a, b) => a.source.localeCompare(b.source)),
      }))
      .sort((a, b) => a.category.localeCompare(b.category));
    return {
      verdict: findings.length > 0 ? "contains-personal-data" : "clean",
      findings,
      declaredUserData,
      unrecognisedPlugins: [...this.unrecognised].sort(),
    };
  }
}
