import { CodedError } from "../coded-error.ts";

/** What starts every registration code, so that a pasted one is recognised. */
export const REGISTRATION_CODE_PREFIX = "coursefed-site:";

/** What a registration code carries: where the node is, and the site token. */
export interface Registration {
  readonly node: string;
  readonly token: string;
}

export class RegistrationCodeError extends CodedError<"INVALID_REGISTRATION_CODE"> {
  override readonly name = "RegistrationCodeError";
}

/** `coursefed-site:` + base64url of {"v":1,"node":…,"token":…}: one string to paste. */
export function registrationCode({ node, token }: Registration): string {
  return `${REGISTRATION_CODE_PREFIX}${Buffer.from(JSON.stringify({ v: 1, node, token })).toString("base64url")}`;
}

/** Reads a registration code (the plugin does the same in PHP). */
export function parseRegistrationCode(code: string): Registration {
  const trimmed = code.trim();
  const refuse = (why: string) =>
    new RegistrationCodeError(
      "INVALID_REGISTRATION_CODE",
      `This is not a coursefed registration code: ${why}. Copy the whole code the node's admin console (or \`coursefed moodle register\`) showed.`,
    );
  if (!trimmed.startsWith(REGISTRATION_CODE_PREFIX)) {
    throw refuse(`it does not start with "${REGISTRATION_CODE_PREFIX}"`);
  }
  let value: unknown;
  try {
    value = JSON.parse(
      Buffer.from(trimmed.slice(REGISTRATION_CODE_PREFIX.length), "base64url").toString("utf8"),
    );
  } catch {
    throw refuse("it is cut or altered");
  }
  const { v, node, token } = (value ?? {}) as Record<string, unknown>;
  if (v !== 1) throw refuse(`its version is ${JSON.stringify(v)}, this node reads version 1`);
  if (typeof node !== "string" || !URL.canParse(node) || typeof token !== "string" || !token) {
    throw refuse("it has no node address or no token");
  }
  return { node, token };
}
