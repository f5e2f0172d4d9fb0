import { isAbsolute, join } from "node:path";
import type { ActivityCounts } from "../activity-counts.ts";
import { type NewCourseNames, newCourseNames } from "../course-names.ts";
import type {
  BackupOutcome,
  BackupRequest,
  MoodleDriver,
  MoodleSiteInfo,
  RestoreOutcome,
  RestoreRequest,
} from "../driver.ts";
import { MoodleError } from "../errors.ts";
import { restoreOutcome } from "../restore-outcome.ts";
import { MoodleWebServiceClient, type WsDriverConfig } from "./ws-driver-client.ts";

export type { WsDriverConfig } from "./ws-driver-client.ts";

/** local_coursefed_site_info's answer (packages/moodle-plugin/local_coursefed/classes/external/site_info.php). */
interface SiteInfoAnswer {
  readonly version: string;
  readonly release: string;
  readonly branch: string;
  readonly plugins: ReadonlyArray<{ readonly component: string; readonly version: string }>;
  readonly maxuploadbytes: number;
}

/**
 * The first local_coursefed version whose local_coursefed_restore_course takes `fullname`
 * and `shortname`. Moodle's web services refuse a parameter a function does not declare
 * (invalid_parameter_exception, "Unexpected keys"), so the driver sends them only to a
 * plugin at least this recent; an older one restores the course under the backup's names.
 */
export const PLUGIN_VERSION_NAMING_COURSES = 2026112400;

/** How long the plugin version a probe found is trusted before a restore that names a course. */
const PLUGIN_VERSION_FRESHNESS_MS = 10 * 60 * 1000;

type ModuleList = ReadonlyArray<{ readonly name: string; readonly count: number }>;

/** local_coursefed_restore_course's answer. */
interface RestoreAnswer {
  readonly courseid: number;
  readonly courseurl: string;
  readonly modules: ModuleList;
  readonly restoredmodules: ModuleList;
  readonly warnings: readonly string[];
  readonly log: string;
}

/** local_coursefed_backup_course's answer. */
interface BackupAnswer {
  readonly filename: string;
  readonly fileurl: string;
  readonly filesize: number;
  readonly contenthash: string;
  readonly log: string;
}

/**
 * Talks to a Moodle site over HTTP through the companion plugin local_coursefed
 * (packages/moodle-plugin): the plugin restores without user data, reports the precheck's
 * reasons, deletes the course of a failed restore and counts what the restore created;
 * this driver uploads the archive, compares those counts with what the backup held, and
 * downloads backups, checking their SHA-1.
 */
export class WsDriver implements MoodleDriver {
  private readonly client: MoodleWebServiceClient;
  /** local_coursefed's version as the last probe found it, and when. */
  private plugin: { readonly version: number; readonly at: number } | undefined;

  constructor(config: WsDriverConfig) {
    this.client = new MoodleWebServiceClient(config);
  }

  async probe(signal?: AbortSignal): Promise<MoodleSiteInfo> {
    const answer = shaped<SiteInfoAnswer>(
      await this.client.call("local_coursefed_site_info", {}, "MISCONFIGURED", signal),
      "local_coursefed_site_info",
      ["version", "release", "branch", "plugins", "maxuploadbytes"],
    );
    const plugins: Record<string, number> = {};
    for (const plugin of answer.plugins) plugins[plugin.component] = Number(plugin.version);
    this.plugin = { version: plugins.local_coursefed ?? 0, at: Date.now() };
    return {
      version: answer.version,
      release: answer.release,
      branch: branchOf(answer.release, answer.branch),
      plugins,
      // The archive goes through webservice/upload.php, so PHP's upload limits count too;
      // the plugin reports the smallest of them and the site's own maximum.
      maxRestoreBytes: answer.maxuploadbytes > 0 ? answer.maxuploadbytes : null,
    };
  }

  async restore(request: RestoreRequest): Promise<RestoreOutcome> {
    const destination = request.destination;
    const names = newCourseNames(destination);
    const naming = names ? await this.namingParameters(names, request.signal) : undefined;
    const draftItemId = await this.client.upload(request.archivePath, request.signal);
    const target: Record<string, string | number> =
      destination.kind === "new-course"
        ? { target: "newcourse", categoryid: destination.categoryId, ...naming?.parameters }
        : { target: destination.mode, courseid: destination.courseId };
    const answer = shaped<RestoreAnswer>(
      await this.client.call(
        "local_coursefed_restore_course",
        { draftitemid: draftItemId, ...target },
        "RESTORE_FAILED",
        request.signal,
      ),
      "local_coursefed_restore_course",
      ["courseid", "restoredmodules", "warnings", "log"],
    );
    return restoreOutcome({
      courseId: answer.courseid,
      wwwroot: this.client.site,
      restoredActivities: countsOf(answer.restoredmodules),
      expectedActivities: request.expectedActivities,
      warnings: answer.warnings,
      log: naming?.note ? `${answer.log}\n${naming.note}` : answer.log,
    });
  }

  /**
   * The restore's `fullname` and `shortname`, when the site's local_coursefed takes them;
   * otherwise none, and a note for the log saying the course keeps the backup's names.
   * The plugin's version comes from a probe of the last ten minutes, or from one made now:
   * an old version is probed again each time, so an upgrade counts at once.
   */
  private async namingParameters(
    names: NewCourseNames,
    signal: AbortSignal | undefined,
  ): Promise<{ parameters: Record<string, string>; note?: string }> {
    const known = this.plugin;
    const fresh =
      known !== undefined &&
      known.version >= PLUGIN_VERSION_NAMING_COURSES &&
      Date.now() - known.at < PLUGIN_VERSION_FRESHNESS_MS;
    if (!fresh) await this.probe(signal);
    const version = this.plugin?.version ?? 0;
    if (version < PLUGIN_VERSION_NAMING_COURSES) {
      return {
        parameters: {},
        note: `local_coursefed ${version} cannot name a new course, which keeps the backup's names instead of '${names.fullName ?? names.shortName}': upgrade it to version ${PLUGIN_VERSION_NAMING_COURSES} or later (packages/moodle-plugin).`,
      };
    }
    return {
      parameters: {
        ...(names.fullName !== undefined ? { fullname: names.fullName } : {}),
        shortname: names.shortName,
      },
    };
  }

  async backup(request: BackupRequest): Promise<BackupOutcome> {
    if (!isAbsolute(request.outputDirectory)) {
      throw new MoodleError(
        "BACKUP_FAILED",
        `The backup directory must be an absolute path, not '${request.outputDirectory}'.`,
      );
    }
    const answer = shaped<BackupAnswer>(
      await this.client.call(
        "local_coursefed_backup_course",
        { courseid: request.courseId },
        "BACKUP_FAILED",
        request.signal,
      ),
      "local_coursefed_backup_course",
      ["filename", "fileurl", "filesize", "contenthash", "log"],
    );
    const path = join(request.outputDirectory, safeFilename(answer.filename, request.courseId));
    await this.client.download(
      answer.fileurl,
      path,
      { size: answer.filesize, sha1: answer.contenthash },
      request.signal,
    );
    return { path, log: answer.log };
  }
}

/**
 * The plugin's answer, once it has every field the driver reads: a different answer comes
 * from another version of local_coursefed than this driver's.
 */
function shaped<T>(
  answer: unknown,
  wsfunction: string,
  fields: ReadonlyArray<keyof T & string>,
): T {
  const missing =
    typeof answer === "object" && answer !== null
      ? fields.filter((field) => !(field in answer))
      : [...fields];
  if (missing.length > 0) {
    throw new MoodleError(
      "MISCONFIGURED",
      `${wsfunction} answered without ${missing.join(", ")}: install the local_coursefed of this coursefed release (packages/moodle-plugin) on the site.`,
      { log: JSON.stringify(answer).slice(0, 4000) },
    );
  }
  return answer as T;
}

function countsOf(modules: ModuleList): ActivityCounts {
  const counts: Record<string, number> = {};
  for (const { name, count } of modules) counts[name] = count;
  return counts;
}

/** "4.5" from the release ("4.5.6 (Build: ...)"); Moodle's compact branch ("405") otherwise. */
function branchOf(release: string, branch: string): string {
  const fromRelease = /^(\d+)\.(\d+)/.exec(release);
  if (fromRelease) return `${fromRelease[1]}.${fromRelease[2]}`;
  const compact = Number(branch);
  return Number.isInteger(compact) ? `${Math.floor(compact / 100)}.${compact % 100}` : branch;
}

/** Moodle names the file; the name must not lead out of the output directory. */
function safeFilename(name: string, courseId: number): string {
  return /^[\w.-]+\.mbz$/.test(name) && !name.startsWith(".")
    ? name
    : `backup-course-${courseId}.mbz`;
}
