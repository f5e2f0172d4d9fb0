import { isAbsolute, join } from "node:path";
import type { ActivityCounts } from "../activity-counts.ts";
import { categoriesOf, coursePageOf, courseSearchWindow } from "../course-listing.ts";
import { newCourseNames } from "../course-names.ts";
import type {
  BackupOutcome,
  BackupRequest,
  CoursePage,
  CourseSearch,
  MoodleCategory,
  MoodleDriver,
  MoodleSiteInfo,
  RestoreOutcome,
  RestoreRequest,
} from "../driver.ts";
import { MoodleError } from "../errors.ts";
import { restoreOutcome } from "../restore-outcome.ts";
import { MoodleWebServiceClient, type WsDriverConfig } from "./ws-driver-client.ts";
import { pluginMissingWhenNotFound } from "./ws-driver-errors.ts";

export type { WsDriverConfig } from "./ws-driver-client.ts";

/** local_coursefed_site_info's answer (packages/moodle-plugin/local_coursefed/classes/external/site_info.php). */
interface SiteInfoAnswer {
  readonly version: string;
  readonly release: string;
  readonly branch: string;
  readonly plugins: ReadonlyArray<{ readonly component: string; readonly version: string }>;
  /** md5 of the site's siteidentifier; an older local_coursefed does not answer it. */
  readonly siteidentifierhash?: string;
}

/**
 * The first local_coursefed version whose local_coursefed_restore_course takes `fullname`
 * and `shortname`. Every plugin that pulls (PLUGIN_VERSION_PULLING) does.
 */
export const PLUGIN_VERSION_NAMING_COURSES = 2026112400;

/**
 * The first local_coursefed version whose local_coursefed_restore_course downloads the
 * backup from a link of the node (`url`, `sha256`, `size`) instead of taking an upload,
 * which PHP's upload_max_filesize and post_max_size limited (2 MB and 8 MB on a stock
 * PHP). The driver restores through no older plugin: it says to update it.
 */
export const PLUGIN_VERSION_PULLING = 2026120604;

/** The first local_coursefed version with local_coursefed_list_categories and _list_courses. */
export const PLUGIN_VERSION_LISTING = 2026120601;

/** How long the plugin version a probe found is trusted before a restore. */
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
 * (packages/moodle-plugin): the plugin downloads the archive from the node's link (so no
 * upload limit of PHP's applies), restores without user data, reports the precheck's
 * reasons, deletes the course of a failed restore and counts what the restore created;
 * this driver hands it the link, compares those counts with what the backup held, and
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
      await this.client
        .call("local_coursefed_site_info", {}, "MISCONFIGURED", signal)
        .catch(pluginMissingWhenNotFound(this.client.site)),
      "local_coursefed_site_info",
      ["version", "release", "branch", "plugins"],
    );
    const plugins: Record<string, number> = {};
    for (const plugin of answer.plugins) plugins[plugin.component] = Number(plugin.version);
    this.plugin = { version: plugins.local_coursefed ?? 0, at: Date.now() };
    return {
      version: answer.version,
      release: answer.release,
      branch: branchOf(answer.release, answer.branch),
      plugins,
      // The site pulls the archive from the node into a temporary file: neither PHP's
      // upload limits nor the site's maximum upload size (the plugin's `maxuploadbytes`,
      // still answered for older nodes) apply to a restore.
      maxRestoreBytes: null,
      ...(typeof answer.siteidentifierhash === "string" && answer.siteidentifierhash
        ? { siteIdentifierHash: answer.siteidentifierhash }
        : {}),
    };
  }

  async restore(request: RestoreRequest): Promise<RestoreOutcome> {
    const { destination, download } = request;
    if (!download) {
      throw new MoodleError(
        "MISCONFIGURED",
        `The ws driver restores by handing ${this.client.site} a download link to the archive, and was given none for ${request.archivePath}.`,
      );
    }
    // Checked first: a name Moodle would not keep fails before the site is asked anything.
    const names = newCourseNames(destination);
    await this.requirePuller(request.signal);
    const target: Record<string, string | number> =
      destination.kind === "new-course"
        ? {
            target: "newcourse",
            categoryid: destination.categoryId,
            ...(names?.fullName !== undefined ? { fullname: names.fullName } : {}),
            ...(names ? { shortname: names.shortName } : {}),
          }
        : { target: destination.mode, courseid: destination.courseId };
    const answer = shaped<RestoreAnswer>(
      await this.client.call(
        "local_coursefed_restore_course",
        { url: download.url.href, sha256: download.sha256, size: download.size, ...target },
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

  /**
   * Refuses a site whose local_coursefed still expects an upload: it would refuse the
   * link's parameters ("Unexpected keys"). The version comes from a probe of the last ten
   * minutes, or from one made now: an old version is probed again each time, so an
   * upgrade counts at once.
   */
  private async requirePuller(signal: AbortSignal | undefined): Promise<void> {
    const known = this.plugin;
    const fresh =
      known !== undefined &&
      known.version >= PLUGIN_VERSION_PULLING &&
      Date.now() - known.at < PLUGIN_VERSION_FRESHNESS_MS;
    if (!fresh) await this.probe(signal);
    const version = this.plugin?.version ?? 0;
    if (version < PLUGIN_VERSION_PULLING) {
      throw new MoodleError(
        "PLUGIN_MISSING",
        `${this.client.site} has local_coursefed ${version}, which takes backups as uploads, limited by PHP's upload_max_filesize: update local_coursefed to version ${PLUGIN_VERSION_PULLING} or later (packages/moodle-plugin/README.md), then run admin/cli/upgrade.php. From that version on the site downloads each backup from the node.`,
      );
    }
  }

  async listCategories(signal?: AbortSignal): Promise<readonly MoodleCategory[]> {
    const answer = await this.listing("local_coursefed_list_categories", {}, signal);
    return categoriesOf(answer, "local_coursefed_list_categories");
  }

  async listCourses(search: CourseSearch): Promise<CoursePage> {
    const { offset, limit } = courseSearchWindow(search);
    const words = search.search?.trim() ?? "";
    const answer = await this.listing(
      "local_coursefed_list_courses",
      { offset, limit, ...(words ? { search: words } : {}) },
      search.signal,
    );
    return coursePageOf(answer, "local_coursefed_list_courses");
  }

  /**
   * Calls a listing function. A site whose plugin predates it answers as if there were no
   * plugin at all: the plugin is there, only too old, and the admin is told so.
   */
  private async listing(
    wsfunction: string,
    parameters: Readonly<Record<string, string | number>>,
    signal: AbortSignal | undefined,
  ): Promise<unknown> {
    try {
      return await this.client.call(wsfunction, parameters, "MISCONFIGURED", signal);
    } catch (error) {
      if (!(error instanceof MoodleError) || error.code !== "PLUGIN_MISSING") throw error;
      throw new MoodleError(
        "PLUGIN_MISSING",
        `${this.client.site} has no ${wsfunction}: its local_coursefed is missing or older than version ${PLUGIN_VERSION_LISTING}, the first that lists categories and courses. Upgrade it (packages/moodle-plugin/README.md), then run admin/cli/upgrade.php.`,
        { log: error.log },
      );
    }
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
