/**
 * The C0 controls, DEL and the C1 controls: no link of ours has them and nobody types
 * them, while letters of every language (é, ç, ß, ...) are outside this range.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it finds
export const CONTROL_CHARACTER = /[\u0000-\u001f\u007f-\u009f]/;

/** Percent-decodes what it can; a malformed escape stays as it was written. */
function decoded(component: string): string {
  try {
    return decodeURIComponent(component);
  } catch {
    return component;
  }
}

/**
 * Whether a path segment or a query parameter's name or value of `url`, once decoded,
 * holds a control character. A route would carry it into a Location header (which fails
 * the response), a log line or the database (PostgreSQL refuses NUL in text): both the
 * web pages and the API refuse such an address before any route reads it.
 */
export function hasControlCharacters(url: URL): boolean {
  return [...url.pathname.split("/").map(decoded), ...[...url.searchParams].flat()].some((part) =>
    CONTROL_CHARACTER.test(part),
  );
}
