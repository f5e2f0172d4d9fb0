import { MoodleError, type MoodleErrorCode } from "../errors.ts";

/** What Moodle answers instead of a result: web service calls say `message`, upload.php and pluginfile.php say `error`. */
export interface MoodleFailure {
  readonly exception?: string;
  readonly errorcode?: string;
  readonly message?: string;
  readonly error?: string;
  readonly debuginfo?: string | null;
}

export function isMoodleFailure(answer: unknown): answer is MoodleFailure {
  return (
    typeof answer === "object" &&
    answer !== null &&
    !Array.isArray(answer) &&
    typeof (answer as MoodleFailure).errorcode === "string"
  );
}

export const PLUGIN_INSTRUCTION =
  "Install the coursefed companion plugin: copy packages/moodle-plugin/local_coursefed to <moodle>/local/coursefed, " +
  "run php admin/cli/upgrade.php --non-interactive, and give the node a token for the 'coursefed' service " +
  "(see packages/moodle-plugin/README.md).";

/** Moodle's error codes that name something the admin must fix, whatever the call was. */
const CODES: Readonly<Record<string, MoodleErrorCode>> = {
  invalidtoken: "AUTHENTICATION",
  accessexception: "AUTHENTICATION",
  nopermissions: "AUTHENTICATION",
  requireloginerror: "AUTHENTICATION",
  usernotfullysetup: "AUTHENTICATION",
  restorefailed: "RESTORE_FAILED",
  backupfailed: "BACKUP_FAILED",
  backupnotwritten: "BACKUP_FAILED",
  userdatalocked: "MISCONFIGURED",
  invalidcourseid: "NOT_FOUND",
  filenotfound: "NOT_FOUND",
  // The site pulling a backup from the node (archive_download.php): its own settings, or
  // the node's address as the site reaches it, stand in the way.
  archiveblocked: "MISCONFIGURED",
  archiveunreachable: "MISCONFIGURED",
  // Cut more times than the plugin resumes: the job is tried again later.
  archiveincomplete: "UNREACHABLE",
};

/** Moodle's error codes of failures that may pass by themselves. */
const TRANSIENT_CODES: ReadonlySet<string> = new Set(["archiveincomplete"]);

/**
 * The MoodleError for an error answer. `fallback` is the code for errors that say nothing
 * more specific (a restore's unexpected exception is still a failed restore).
 */
export function moodleErrorOf(
  site: string,
  failure: MoodleFailure,
  fallback: MoodleErrorCode,
  log: string,
): MoodleError {
  const errorcode = failure.errorcode ?? "";
  const said = failure.message ?? failure.error ?? errorcode;
  const detail = failure.debuginfo ? `${said} (${failure.debuginfo})` : said;
  // A function unknown to the site: Moodle looks it up in external_functions and finds no row.
  if (errorcode === "invalidrecord" && said.includes("external_functions")) {
    return new MoodleError(
      "PLUGIN_MISSING",
      `${site} does not have the coursefed plugin (local_coursefed). ${PLUGIN_INSTRUCTION}`,
      { log },
    );
  }
  // Moodle 5.1 names the table only with debugging on ("invalidrecordunknown"): see
  // pluginMissingWhenNotFound for the one call where that means the plugin is missing.
  if (
    errorcode === "invalidrecord" ||
    errorcode === "invalidrecordunknown" ||
    errorcode === "invalidcategoryid"
  ) {
    return new MoodleError("NOT_FOUND", `${site}: ${detail}`, { log });
  }
  const code = CODES[errorcode] ?? fallback;
  if (code === "AUTHENTICATION") {
    return new MoodleError(
      code,
      `${site} refused the node's token (${errorcode}: ${detail}). Check that the token is valid, belongs to the 'coursefed' service, and that its user holds the local/coursefed capabilities.`,
      { log },
    );
  }
  return new MoodleError(code, `${site}: ${detail}`, {
    log,
    ...(TRANSIENT_CODES.has(errorcode) ? { transient: true } : {}),
  });
}

/**
 * For a call that reads no record of its own (local_coursefed_site_info): a missing record
 * is the function itself, which Moodle 5.1 without debugging reports as an unnamed missing
 * record instead of naming external_functions as 4.5 does.
 */
export function pluginMissingWhenNotFound(site: string): (error: unknown) => never {
  return (error) => {
    if (error instanceof MoodleError && error.code === "NOT_FOUND") {
      throw new MoodleError(
        "PLUGIN_MISSING",
        `${site} does not have the coursefed plugin (local_coursefed). ${PLUGIN_INSTRUCTION}`,
        { log: error.log },
      );
    }
    throw error;
  };
}
