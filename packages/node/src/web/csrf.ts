import type { MiddlewareHandler } from "hono";
import { CSRF_FIELD, csrfAccepted, expectedToken } from "./csrf-token.ts";
import { errorPage } from "./pages/error-page.ts";
import type { WebEnv } from "./web-env.ts";

/** Where a script sending a raw request body (an upload) puts the token. */
export const CSRF_HEADER = "x-csrf-token";
/**
 * Forms whose body is a file streamed as it arrives: reading the token here would buffer
 * the whole body, so the route reads it from the form's first field, before the file,
 * with `csrfAccepted`.
 */
const STREAMED_FORMS: readonly string[] = ["/publish/upload"];

/**
 * Refuses, with 403 and a page saying why, any POST whose form lacks the right token.
 * Without a session or the sign-in form's cookie no token can be right: the form is
 * refused unread, so that nobody unknown makes the node parse anything (a streamed
 * upload's route checks the caller's role before it reads the token).
 */
export const checkCsrf: MiddlewareHandler<WebEnv> = async (c, next) => {
  if (c.req.method !== "POST") return next();
  const header = c.req.header(CSRF_HEADER);
  if (
    header === undefined &&
    STREAMED_FORMS.includes(c.req.path) &&
    c.req.header("content-type")?.startsWith("multipart/form-data")
  )
    return next();
  const t = c.get("t");
  if (expectedToken(c) === undefined) return errorPage(c, 403, t.csrfTitle, t.csrfExplanation);
  const sent =
    header ?? (await c.req.parseBody().catch(() => ({}) as Record<string, unknown>))[CSRF_FIELD];
  if (csrfAccepted(c, sent)) return next();
  return errorPage(c, 403, t.csrfTitle, t.csrfExplanation);
};
