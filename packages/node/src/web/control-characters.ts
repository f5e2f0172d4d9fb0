import type { MiddlewareHandler } from "hono";
import { errorPage } from "./pages/error-page.ts";
import type { WebEnv } from "./web-env.ts";

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
 * Refuses with a 400 page an address whose path or query parameters, once decoded, hold
 * a control character: a route would otherwise carry it into a Location header (which
 * fails the response), a log line or the database (PostgreSQL refuses NUL in text).
 * Applied once to every web page, so no route has to think of it.
 */
export const refuseControlCharacters: MiddlewareHandler<WebEnv> = async (c, next) => {
  const url = new URL(c.req.url);
  const parts = [...url.pathname.split("/").map(decoded), ...[...url.searchParams].flat()];
  if (parts.some((part) => CONTROL_CHARACTER.test(part))) {
    const t = c.get("t");
    return errorPage(c, 400, t.controlCharactersTitle, t.controlCharacters);
  }
  await next();
};
