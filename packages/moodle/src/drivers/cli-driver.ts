import { execFile } from "node:child_process";
import { chown, stat } from "node:fs/promises";
import { isAbsolute, join, resolve } from "node:path";
import { promisify } from "node:util";
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
import { MoodleError, type MoodleErrorCode } from "../errors.ts";
import { restoreOutcome } from "../restore-outcome.ts";
import { ConcurrencyLimit } from "./concurrency-limit.ts";
import {
  INPUT_FILE_FD,
  type PhpInvocation,
  type PhpScriptAnswer,
  runPhpScript,
} from "./php-script.ts";

export interface CliDriverConfig {
  /** The Moodle code directory, the one holding config.php. */
  readonly moodleDir: string;
  /** The PHP CLI binary; "php" by default. */
  readonly php?: string;
  /** Run PHP as this user (e.g. "www-data", who owns moodledata); needs the node to run as root. */
  readonly runAsUser?: string;
  /** Longest a single probe, restore or backup may take before PHP is killed. */
  readonly timeoutMs: number;
  /** The site's address for course links; read from the site's config.php when absent. */
  readonly wwwroot?: string;
  /** Restores allowed to run at once on this site; 1 by default. */
  readonly restoreConcurrency?: number;
}

/**
 * Talks to a Moodle site on the same host by running our PHP scripts
 * (packages/moodle/php) against its code: they use Moodle's restore and backup
 * controllers directly, so the driver gets the precheck's real reasons, restores without
 * user data, cleans up failed restores, and reads back what was actually restored.
 */
export class CliDriver implements MoodleDriver {
  private readonly config: CliDriverConfig;
  private readonly restores: ConcurrencyLimit;

  constructor(config: CliDriverConfig) {
    this.config = { ...config, moodleDir: resolve(config.moodleDir) };
    this.restores = new ConcurrencyLimit(config.restoreConcurrency ?? 1);
  }

  async probe(signal?: AbortSignal): Promise<MoodleSiteInfo> {
    const { answer } = await this.run("probe.php", [], "MISCONFIGURED", signal);
    const siteMaxBytes = Number(answer.siteMaxBytes);
    return {
      version: String(answer.version),
      release: String(answer.release),
      branch: String(answer.branch),
      plugins: answer.plugins as Record<string, number>,
      // The archive is read from this host's disk, not uploaded, so PHP's upload limits do
      // not apply; the site's own maximum upload size, when the admin set one, does.
      maxRestoreBytes: siteMaxBytes > 0 ? siteMaxBytes : null,
      siteIdentifierHash: String(answer.siteIdentifierHash),
    };
  }

  async restore(request: RestoreRequest): Promise<RestoreOutcome> {
    const destination = request.destination;
    // Checked before waiting for the site: a name Moodle would refuse fails at once.
    const names = newCourseNames(destination);
    return this.restores.run(async () => {
      const archivePath = resolve(request.archivePath);
      // PHP run as the site's user rarely may read the node's data directory (mode 0700):
      // the node opens the archive and PHP reads it from the descriptor it inherits.
      const handedOver = this.config.runAsUser !== undefined;
      const args = [handedOver ? `--archive-fd=${INPUT_FILE_FD}` : `--file=${archivePath}`];
      if (destination.kind === "new-course") {
        args.push(`--category=${destination.categoryId}`);
        // One argument each (no shell): any character of a name reaches PHP as it is.
        if (names?.fullName !== undefined) args.push(`--fullname=${names.fullName}`);
        if (names) args.push(`--shortname=${names.shortName}`);
      } else {
        args.push(`--course=${destination.courseId}`, `--mode=${destination.mode}`);
      }
      // After a kill, discard.php deletes only a course whose restore started since then.
      const startedAt = Math.floor(Date.now() / 1000) - 1;
      const { answer, log } = await this.run(
        "restore.php",
        args,
        "RESTORE_FAILED",
        request.signal,
        async (killedLog) =>
          destination.kind === "new-course"
            ? await this.discardUnfinishedRestore(killedLog, startedAt)
            : `Course ${destination.courseId} may hold part of the backup: check it, or restore again.`,
        handedOver ? archivePath : undefined,
      );
      return restoreOutcome({
        courseId: Number(answer.courseId),
        wwwroot: this.config.wwwroot ?? String(answer.wwwroot),
        restoredActivities: answer.modules as ActivityCounts,
        expectedActivities: request.expectedActivities,
        warnings: answer.warnings as string[],
        log,
      });
    });
  }

  async backup(request: BackupRequest): Promise<BackupOutcome> {
    if (!isAbsolute(request.outputDirectory)) {
      throw new MoodleError(
        "BACKUP_FAILED",
        `The backup directory must be an absolute path, not '${request.outputDirectory}'.`,
      );
    }
    // PHP runs as the site's user, who must be able to write the backup here.
    if (this.config.runAsUser) await giveTo(this.config.runAsUser, request.outputDirectory);
    const { answer, log } = await this.run(
      "backup.php",
      [`--course=${request.courseId}`, `--destination=${request.outputDirectory}`],
      "BACKUP_FAILED",
      request.signal,
    );
    const path = String(answer.path);
    // backup.php of Moodle itself exits 0 without writing; ours checks, and so do we.
    const written = await stat(path).catch(() => undefined);
    if (!written?.isFile() || written.size === 0) {
      throw new MoodleError(
        "BACKUP_FAILED",
        `Moodle reported a backup at ${path}, but it is not there.`,
        { log },
      );
    }
    return { path, log };
  }

  async listCategories(signal?: AbortSignal): Promise<readonly MoodleCategory[]> {
    const { answer } = await this.run("list_categories.php", [], "MISCONFIGURED", signal);
    return categoriesOf(answer, "list_categories.php");
  }

  async listCourses(search: CourseSearch): Promise<CoursePage> {
    const { offset, limit } = courseSearchWindow(search);
    const args = [`--offset=${offset}`, `--limit=${limit}`];
    // One argument (no shell): the words reach PHP as they are.
    if (search.search?.trim()) args.push(`--search=${search.search.trim()}`);
    const { answer } = await this.run("list_courses.php", args, "MISCONFIGURED", search.signal);
    return coursePageOf(answer, "list_courses.php");
  }

  /**
   * A restore killed at its timeout cannot clean up after itself: remove the course it had
   * created (it said which on stderr) and its temp directory. Returns what was done, for
   * the error message.
   */
  private async discardUnfinishedRestore(log: string, startedAt: number): Promise<string> {
    const started = /^coursefed-restore-started: (\{.*\})$/m.exec(log);
    if (!started) return "It had not created a course yet.";
    const { courseId, tempdir } = JSON.parse(started[1] as string) as {
      courseId: number;
      tempdir: string;
    };
    try {
      await this.run(
        "discard.php",
        [`--course=${courseId}`, `--since=${startedAt}`, `--tempdir=${tempdir}`],
        "RESTORE_FAILED",
        undefined,
      );
      return `The unfinished course ${courseId} it had created was deleted.`;
    } catch (error) {
      return `The unfinished course ${courseId} it had created could not be deleted (${(error as Error).message}); delete it in Moodle.`;
    }
  }

  /**
   * Runs a script and returns its successful answer with everything PHP printed, or
   * throws the MoodleError that says what went wrong; `failure` is the code for anything
   * not more specific. When PHP had to be killed, `onKilled` cleans up after it and says
   * what it did. `inputFile` is handed to PHP as descriptor INPUT_FILE_FD.
   */
  private async run(
    script: string,
    args: readonly string[],
    failure: MoodleErrorCode,
    signal: AbortSignal | undefined,
    onKilled?: (log: string) => Promise<string>,
    inputFile?: string,
  ): Promise<{ answer: Readonly<Record<string, unknown>>; log: string }> {
    const { moodleDir } = this.config;
    const config = await stat(join(moodleDir, "config.php")).catch(() => undefined);
    if (!config?.isFile()) {
      throw new MoodleError(
        "MISCONFIGURED",
        `${moodleDir} holds no config.php: moodleDir must be the directory of an installed Moodle site (the one with config.php and admin/).`,
      );
    }
    const invocation: PhpInvocation = {
      php: this.config.php ?? "php",
      timeoutMs: this.config.timeoutMs,
      ...(this.config.runAsUser ? { runAsUser: this.config.runAsUser } : {}),
      ...(signal ? { signal } : {}),
      ...(inputFile ? { inputFile } : {}),
    };
    const result = await runPhpScript(script, [`--moodle=${moodleDir}`, ...args], invocation);
    if (result.stoppedBy) {
      const cleanup = onKilled ? ` ${await onKilled(result.log)}` : "";
      if (result.stoppedBy === "abort") throw signal?.reason;
      throw new MoodleError(
        "TIMEOUT",
        `Moodle did not finish ${script} within ${Math.round(this.config.timeoutMs / 1000)} s; PHP was stopped.${cleanup}`,
        { transient: true, log: result.log },
      );
    }
    if (result.answer?.ok === true) return { answer: result.answer, log: result.log };
    throw failureOf(script, result, failure);
  }
}

/** PHP's failure codes (see php/*.php) and the driver errors they become. */
const FAILURE_CODES: Readonly<Record<string, MoodleErrorCode>> = {
  db_unreachable: "UNREACHABLE",
  misconfigured: "MISCONFIGURED",
  locked_setting: "MISCONFIGURED",
  not_found: "NOT_FOUND",
};

function failureOf(
  script: string,
  result: PhpScriptAnswer,
  fallback: MoodleErrorCode,
): MoodleError {
  const error = result.answer?.error as { code?: string; message?: string } | undefined;
  if (!error) {
    return new MoodleError(
      fallback,
      `${script} ended (exit code ${result.exitCode}) without an answer: ${lastLines(result.log)}`,
      { log: result.log },
    );
  }
  const message = error.message ?? "Moodle reported an unnamed error.";
  const code = FAILURE_CODES[error.code ?? ""] ?? fallback;
  const detail = error.code === "php_exit" ? `${message} ${lastLines(result.log)}` : message;
  // The database being down is the one failure a retry can cure.
  return new MoodleError(code, detail, { transient: code === "UNREACHABLE", log: result.log });
}

/** The end of a log, which is where PHP and Moodle say what stopped them. */
function lastLines(log: string): string {
  return log.trim().split("\n").slice(-5).join(" ").slice(-600);
}

/** Makes `user` (and their group) the owner of a directory the node created. */
async function giveTo(user: string, directory: string): Promise<void> {
  const id = async (flag: "-u" | "-g") => {
    try {
      return Number((await promisify(execFile)("id", [flag, user])).stdout.trim());
    } catch {
      throw new MoodleError(
        "MISCONFIGURED",
        `There is no user ${user} on this host to run Moodle's PHP as; fix the target's runAsUser.`,
      );
    }
  };
  await chown(directory, await id("-u"), await id("-g"));
}
