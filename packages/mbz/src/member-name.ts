import { MbzError } from "./errors.ts";

/**
 * Turns a raw member name into the path Moodle means by it, or refuses it. Moodle's
 * tgz packer writes names with a leading "./"; zip writers sometimes use backslashes.
 * Anything that could land outside the extraction root is refused rather than
 * rewritten, because a backup that contains such a name was not written by Moodle.
 */
export function normalizeMemberName(raw: string): string {
  if (raw.includes("\0")) {
    throw unsafe(raw, "contains a NUL byte");
  }
  const name = raw.replaceAll("\\", "/");
  if (name.startsWith("/") || /^[a-zA-Z]:/.test(name)) {
    throw unsafe(raw, "is an absolute path");
  }
  const segments = name.split("/").filter((segment) => segment !== "" && segment !== ".");
  if (segments.includes("..")) {
    throw unsafe(raw, "climbs out of the archive with '..'");
  }
  const isDirectory = name.endsWith("/");
  const joined = segments.join("/");
  return isDirectory && joined !== "" ? `${joined}/` : joined;
}

function unsafe(raw: string, why: string): MbzError {
  return new MbzError(
    "UNSAFE_MEMBER_NAME",
    `Archive member "${printable(raw)}" ${why}; refusing the archive (a Moodle backup never contains such names).`,
    raw,
  );
}

/** Member names come from untrusted input: keep control characters out of messages. */
export function printable(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: replacing control characters is the point
  const clean = text.replace(/[\u0000-\u001f\u007f]/g, "?");
  return clean.length > 200 ? `${clean.slice(0, 200)}…` : clean;
}
