import {
  type BackupReport,
  compareMoodleBranches,
  formatBytes,
  type MoodleBranch,
  parseMoodleBranch,
} from "@coursefed/mbz";
import type { MoodleSiteInfo } from "./driver.ts";
import { RETIRED_PLUGINS } from "./retired-plugins.ts";

/**
 * What the compatibility check needs to know about a backup. The node's signed course
 * manifest has this shape, so a receiver can judge a course before downloading it; an
 * inspected archive gives the same facts.
 */
export interface BackupFacts {
  readonly moodle: {
    /** `moodle_version` of the site that wrote the backup, e.g. "2024100705". */
    readonly version: string;
    /** e.g. "4.5.5 (Build: 20250609)". */
    readonly release: string;
    /** The backup's branch, e.g. "4.5". */
    readonly backupRelease: string;
  };
  /** Non-standard plugins (frankenstyle) the contents need, e.g. ["qtype_stack"]. */
  readonly requiredPlugins: readonly string[];
  /** The version of each plugin the backup was written with, where known. */
  readonly pluginVersions?: Readonly<Record<string, number>>;
  readonly archive: { readonly size: number };
}

/** The facts of an inspected archive (the publisher's manifest carries the same). */
export function backupFactsOf(report: BackupReport): BackupFacts {
  return {
    moodle: {
      version: report.moodleVersion,
      release: report.moodleRelease,
      backupRelease: report.backupRelease,
    },
    requiredPlugins: report.requiredPlugins,
    pluginVersions: report.pluginVersions,
    archive: { size: report.size },
  };
}

export type CompatibilityProblem =
  | {
      readonly kind: "newer-backup";
      readonly backupBranch: string;
      readonly siteBranch: string;
      readonly message: string;
    }
  | {
      readonly kind: "missing-plugins";
      /** Every plugin the site lacks, those that can be installed and the retired ones. */
      readonly plugins: readonly string[];
      /** Those of `plugins` that no longer exist under that name: no use installing them. */
      readonly retired: ReadonlyArray<{ readonly component: string; readonly successor?: string }>;
      readonly message: string;
    }
  | {
      readonly kind: "outdated-plugins";
      readonly plugins: ReadonlyArray<{
        readonly component: string;
        readonly backupVersion: number;
        readonly siteVersion: number;
      }>;
      readonly message: string;
    }
  | {
      readonly kind: "too-large";
      readonly size: number;
      readonly limit: number;
      readonly message: string;
    };

export interface CompatibilityReport {
  /** False when any problem stands: restoring anyway needs the user's explicit override. */
  readonly restorable: boolean;
  readonly problems: readonly CompatibilityProblem[];
}

/**
 * Judges whether a site can restore a backup faithfully. Moodle restores most such
 * backups with exit code 0 while dropping what it cannot read, so each of these is a
 * reason to refuse up front rather than a warning to find later.
 */
export function checkCompatibility(backup: BackupFacts, site: MoodleSiteInfo): CompatibilityReport {
  const problems: CompatibilityProblem[] = [];

  const backupBranch =
    parseMoodleBranch(backup.moodle.backupRelease) ?? parseMoodleBranch(backup.moodle.release);
  const siteBranch = parseMoodleBranch(site.branch) ?? parseMoodleBranch(site.release);
  if (backupBranch && siteBranch && compareMoodleBranches(backupBranch, siteBranch) > 0) {
    const from = branchName(backupBranch);
    const to = branchName(siteBranch);
    problems.push({
      kind: "newer-backup",
      backupBranch: from,
      siteBranch: to,
      message: `This backup was made with Moodle ${from} (${backup.moodle.release || backup.moodle.version}), newer than this site's Moodle ${to} (${site.release}). Moodle cannot restore backups from a newer branch reliably: what the older site does not know is dropped. Upgrade the site to Moodle ${from} or later, or ask the publisher for a backup made with ${to} or older.`,
    });
  }

  const missing = [...new Set(backup.requiredPlugins)]
    .filter((component) => site.plugins[component] === undefined)
    .sort();
  if (missing.length > 0) {
    problems.push(missingPluginsProblem(missing));
  }

  // Core plugins move with the branch, which the check above covers (a newer point
  // release of the same branch restores fine); only add-ons can lag behind on their own.
  const outdated = backup.requiredPlugins
    .filter((component, index, all) => all.indexOf(component) === index)
    .flatMap((component) => {
      const backupVersion = backup.pluginVersions?.[component];
      const siteVersion = site.plugins[component];
      return backupVersion !== undefined && siteVersion !== undefined && siteVersion < backupVersion
        ? [{ component, backupVersion, siteVersion }]
        : [];
    })
    .sort((a, b) => a.component.localeCompare(b.component));
  if (outdated.length > 0) {
    const list = outdated
      .map(
        ({ component, backupVersion, siteVersion }) =>
          `${component} (site ${siteVersion}, backup ${backupVersion})`,
      )
      .join(", ");
    problems.push({
      kind: "outdated-plugins",
      plugins: outdated,
      message: `The site has older versions of plugins than the backup was made with: ${list}. An older plugin may not read its newer data. Upgrade ${outdated.map(({ component }) => component).join(", ")} on the site, then restore again.`,
    });
  }

  if (site.maxRestoreBytes !== null && backup.archive.size > site.maxRestoreBytes) {
    problems.push({
      kind: "too-large",
      size: backup.archive.size,
      limit: site.maxRestoreBytes,
      message: `The backup is ${formatBytes(backup.archive.size)}, more than the ${formatBytes(site.maxRestoreBytes)} the site accepts. Raise the site's maximum uploaded file size (Site administration > Security > Site security settings), or restore it another way.`,
    });
  }

  return { restorable: problems.length === 0, problems };
}

/** What the site lacks, and for each plugin what to do: install it, or, if it is retired, what instead. */
function missingPluginsProblem(
  missing: readonly string[],
): Extract<CompatibilityProblem, { kind: "missing-plugins" }> {
  const installable = missing.filter((component) => RETIRED_PLUGINS[component] === undefined);
  const retired = missing.flatMap((component) => {
    const known = RETIRED_PLUGINS[component];
    return known ? [{ component, ...(known.successor ? { successor: known.successor } : {}) }] : [];
  });
  const list = missing.join(", ");
  const sentences = [
    `This course needs ${missing.length === 1 ? "a plugin" : "plugins"} the site does not have: ${list}. Without ${missing.length === 1 ? "it" : "them"} Moodle silently drops the activities, questions and files that use ${missing.length === 1 ? "it" : "them"}.`,
  ];
  if (installable.length > 0) {
    sentences.push(
      `Install ${installable.join(", ")} on the site (Site administration > Plugins > Install plugins), then restore again.`,
    );
  }
  for (const { component } of retired) {
    sentences.push(`${component} no longer exists: ${RETIRED_PLUGINS[component]?.advice}.`);
  }
  return { kind: "missing-plugins", plugins: missing, retired, message: sentences.join(" ") };
}

function branchName([major, minor]: MoodleBranch): string {
  return `${major}.${minor}`;
}
