import { CONTROL_CHARACTER } from "../control-characters.ts";

/** A slash or backslash in disguise within the path, which a proxy may decode. */
const ENCODED_SLASH = /%(?:2f|5c)/i;

/**
 * Where a redirect whose target the request gave (the sign-in's `next`, the language
 * switch's `back`, a form's `back`) may send the browser: `candidate` if it is a path of
 * this site once read as a browser reads it, else `fallback`. The path comes back as the
 * URL parser wrote it (percent-encoded), which a Location header can always carry.
 */
export function redirectTarget(
  candidate: string | undefined,
  site: URL,
  fallback = "/catalog",
): string {
  // A browser drops tabs, CR and LF from a Location and reads a backslash as a slash, so
  // that "/\t/evil.example" is "//evil.example" to it; other control characters have no
  // place in a path either, and CR/LF would fail the response's headers.
  if (
    !candidate?.startsWith("/") ||
    CONTROL_CHARACTER.test(candidate) ||
    candidate.includes("\\")
  ) {
    return fallback;
  }
  const path = candidate.split(/[?#]/, 1)[0] as string;
  if (ENCODED_SLASH.test(path)) return fallback;
  let resolved: URL;
  try {
    resolved = new URL(candidate, site.origin);
  } catch {
    return fallback;
  }
  // "/..//evil.example" resolves to the path "//evil.example": written back as it is, the
  // browser would take it for another host.
  if (resolved.origin !== site.origin || resolved.pathname.startsWith("//")) return fallback;
  return `${resolved.pathname}${resolved.search}${resolved.hash}`;
}
