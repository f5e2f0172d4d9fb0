import { randomBytes, timingSafeEqual } from "node:crypto";
import type { MiddlewareHandler } from "hono";
import { getCookie, setCookie } from "hono/cookie";
import { errorPage } from "./pages/error-page.ts";
import { cookieOptions } from "./session-cookie.ts";
import type { WebContext, WebEnv } from "./web-env.ts";

/** The hidden field every form carries. */
export const CSRF_FIELD = "_csrf";
/**
 * Before sign-in there is no session to hold a token: the sign-in form is protected by a
 * random value both in this cookie and in the form (double submit), which another site
 * can neither read nor set.
 */
const LOGIN_CSRF_COOKIE = "coursefed_login_csrf";

/** The token the request's forms must carry. */
export function csrfToken(c: WebContext): string {
  const session = c.get("session");
  if (session) return session.csrfToken;
  let token = getCookie(c, LOGIN_CSRF_COOKIE);
  if (!token || !/^[\w-]{43}$/.test(token)) {
    token = randomBytes(32).toString("base64url");
    setCookie(c, LOGIN_CSRF_COOKIE, token, cookieOptions(c.get("publicUrl")));
  }
  return token;
}

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

/** Whether a POST carries the token of its session (or of the sign-in form). */
export function csrfAccepted(c: WebContext, sent: unknown): boolean {
  const expected = expectedToken(c);
  return typeof sent === "string" && expected !== undefined && sameToken(sent, expected);
}

/** The session's token, or on the sign-in form the cookie's; undefined when there is neither. */
function expectedToken(c: WebContext): string | undefined {
  const session = c.get("session");
  if (session) return session.csrfToken;
  return c.req.path === "/login" ? getCookie(c, LOGIN_CSRF_COOKIE) : undefined;
}

function sameToken(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
