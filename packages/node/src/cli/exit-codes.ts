/** Exit codes of every `coursefed` command; `--help` prints this table. */
export const ExitCode = {
  ok: 0,
  /** A bug or an unexpected failure (the message says what). */
  internal: 1,
  /** Wrong usage, an input that is unreadable or not a valid Moodle backup, or a request the node refused. */
  invalidInput: 2,
  /** `scan`: at least one backup holds personal data; `publish`: refused for it. */
  personalData: 3,
  /** `restore`: refused by the compatibility check (the problems are listed). */
  incompatible: 3,
  /** `sanitize`: the backup holds data that cannot be removed safely; nothing was written. */
  cannotSanitize: 4,
  /** The node could not be reached, or failed. */
  unavailable: 5,
} as const;

export const EXIT_CODES_HELP = `
Exit codes:
  0  success (scan: every backup is clean)
  1  unexpected internal error
  2  wrong usage, a file that is unreadable or not a valid Moodle backup,
     or a request the node refused (the message says why)
  3  personal data found (scan), or publishing refused for it (publish);
     restore refused: the Moodle site cannot restore the course faithfully
  4  sanitize: data that cannot be removed safely; nothing written
  5  the node could not be reached, or failed (restore: Moodle failed)`;

/** Where a command's action leaves its exit code for `main` to return. */
export interface CommandResult {
  exitCode: number;
}
