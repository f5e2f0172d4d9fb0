/**
 * Why talking to a Moodle site failed. Each code is one thing the admin can act on; the
 * message says what Moodle reported and what to do. `transient` failures (site down,
 * timeout, lock held) are worth retrying; the others will fail the same way again.
 */
export type MoodleErrorCode =
  | "UNREACHABLE"
  | "TIMEOUT"
  | "AUTHENTICATION"
  | "MISCONFIGURED"
  | "PLUGIN_MISSING"
  | "RESTORE_FAILED"
  | "RESTORE_INCOMPLETE"
  | "BACKUP_FAILED"
  | "NOT_FOUND";

export class MoodleError extends Error {
  override readonly name = "MoodleError";
  readonly code: MoodleErrorCode;
  readonly transient: boolean;
  /** What Moodle printed or answered, kept for the job's record. */
  readonly log: string;

  constructor(
    code: MoodleErrorCode,
    message: string,
    details: { transient?: boolean; log?: string; cause?: unknown } = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    this.transient = details.transient ?? false;
    this.log = details.log ?? "";
  }
}
