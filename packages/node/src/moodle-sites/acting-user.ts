import { CodedError } from "../coded-error.ts";
import { CONTROL_CHARACTER } from "../control-characters.ts";

/** The header a site token names the Moodle user it acts for with. */
export const ACTING_USER_HEADER = "Coursefed-Moodle-User";

/** The longest header value taken: a Moodle user's four fields fit many times over. */
export const MAX_ACTING_USER_HEADER_BYTES = 2048;

const MAX_USERNAME = 100;
const MAX_FULLNAME = 200;
const MAX_EMAIL = 254;
const FIELDS = ["id", "username", "fullname", "email"] as const;

/** The Moodle user a site acts for, as the site names them. */
export interface MoodleUser {
  /** The user's id on that Moodle site (mdl_user.id). */
  readonly id: number;
  readonly username: string;
  readonly fullname: string;
  /** May be empty: Moodle does not always have one. */
  readonly email: string;
}

/** A Coursefed-Moodle-User header that cannot be read; the message says which part is wrong. */
export class ActingUserError extends CodedError<"INVALID_ACTING_USER"> {
  override readonly name = "ActingUserError";

  constructor(problem: string) {
    super(
      "INVALID_ACTING_USER",
      `The ${ACTING_USER_HEADER} header ${problem}. It is base64url of the JSON {"id": <Moodle user id>, "username": "...", "fullname": "...", "email": "..."}, at most ${MAX_ACTING_USER_HEADER_BYTES} bytes.`,
    );
  }
}

/**
 * Reads a Coursefed-Moodle-User header, strictly: it names who a request is made for, so
 * anything odd about it is refused rather than guessed at.
 */
export function parseActingUser(header: string): MoodleUser {
  if (Buffer.byteLength(header) > MAX_ACTING_USER_HEADER_BYTES) {
    throw new ActingUserError(`is ${Buffer.byteLength(header)} bytes long, more than allowed`);
  }
  if (!/^[A-Za-z0-9_-]+={0,2}$/.test(header)) {
    throw new ActingUserError("is not base64url (letters, digits, - and _ only)");
  }
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(header, "base64url").toString("utf8"));
  } catch {
    throw new ActingUserError("does not decode to JSON");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ActingUserError("does not decode to a JSON object");
  }
  const fields = value as Record<string, unknown>;
  const unknown = Object.keys(fields).filter((key) => !(FIELDS as readonly string[]).includes(key));
  if (unknown.length > 0) {
    throw new ActingUserError(`has fields it should not: ${unknown.join(", ")}`);
  }
  const { id } = fields;
  if (typeof id !== "number" || !Number.isSafeInteger(id) || id <= 0) {
    throw new ActingUserError(`has the id ${JSON.stringify(id)}, not a positive whole number`);
  }
  return {
    id,
    username: text(fields, "username", 1, MAX_USERNAME),
    fullname: text(fields, "fullname", 0, MAX_FULLNAME),
    email: text(fields, "email", 0, MAX_EMAIL),
  };
}

function text(fields: Record<string, unknown>, name: string, min: number, max: number): string {
  const value = fields[name] ?? (min === 0 ? "" : undefined);
  if (typeof value !== "string") {
    throw new ActingUserError(`has no ${name} as text`);
  }
  const length = [...value].length;
  if (length < min || length > max) {
    throw new ActingUserError(
      `has a ${name} of ${length} characters; it must have ${min} to ${max}`,
    );
  }
  if (CONTROL_CHARACTER.test(value)) {
    throw new ActingUserError(`has a control character (line break, tab, NUL...) in its ${name}`);
  }
  return value;
}

/** The header's value for `user`: what the plugin sends, and tests. */
export function actingUserHeader(user: MoodleUser): string {
  return Buffer.from(JSON.stringify(user)).toString("base64url");
}
