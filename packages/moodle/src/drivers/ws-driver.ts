import { isAbsolute, join } from "node:path";
import type { ActivityCounts } from "../activity-counts.ts";
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

/** local_coursefed_site_info's answer (deploy/moodle-plugin/local_coursefed/classes/external/site_info.php). */
interface SiteInfoAnswer {
  readonly version: string;
  readonly release: string;
  readonly branch: string;
  readonly plugins: ReadonlyArray<{ readonly component: string; readonly version: string }>;
  readonly maxuploadbytes: number;
}

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
 * (deploy/moodle-plugin): the plugin restores without user data, reports the precheck's
 * reasons, deletes the course of a failed restore and counts what the restore created;
 * this driver uploads the archive, compares those counts with what the backup held, and
 * downloads backups, checking their SHA-1.
 */
export class WsDriver implements MoodleDriver {
  private readonly client: MoodleWebServiceClient;

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
    const draftItemId = await this.client.upload(request.archivePath, request.signal);
    const destination = request.destination;
    const target: Record<string, string | number> =
      destination.kind === "new-course"
        ? { target: "newcourse", categoryid: destination.categoryId }
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
      log: answer.log,
    });
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
      `${wsfunction} answered without ${missing.join(", ")}: install the local_coursefed of this coursefed release (deploy/moodle-plugin) on the site.`,
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
