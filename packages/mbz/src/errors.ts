/**
 * Why an archive was refused. Each code maps to one thing the user can act on; the
 * message names the problem, the member involved, and what to do.
 */
export type MbzErrorCode =
  | "NOT_AN_ARCHIVE"
  | "TRUNCATED"
  | "CORRUPT"
  | "UNSAFE_MEMBER_NAME"
  | "LINK_MEMBER"
  | "DUPLICATE_MEMBER"
  | "TOO_LARGE"
  | "COMPRESSION_RATIO"
  | "XML_MEMBER_TOO_LARGE"
  | "XML_DOCTYPE"
  | "XML_MALFORMED"
  | "NOT_A_MOODLE_BACKUP"
  | "SANITIZE_UNSUPPORTED"
  | "SANITIZE_INCOMPLETE";

export class MbzError extends Error {
  override readonly name = "MbzError";
  readonly code: MbzErrorCode;
  /** The archive member at fault, when there is one. */
  readonly member: string | undefined;

  constructor(code: MbzErrorCode, message: string, member?: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.member = member;
  }
}
