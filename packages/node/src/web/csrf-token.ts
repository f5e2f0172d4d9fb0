import { timingSafeEqual } from "node:crypto";
import { getCookie, setCookie } from "hono/cookie";
import { newBearerSecret } from "../bearer-secrets.ts";
import { cookieOptions } from "./session-cookie.ts";
import type { WebContext } from "./web-env.ts";

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
    token = newBearerSecret();
    setCookie(c, LOGIN_CSRF_COOKIE, token, cookieOptions(c.get("publicUrl")));
  }
  return token;
}

/** Whether a POST carries the token of its session (or of the sign-in form). */
export function csrfAccepted(c: WebContext, sent: unknown): boolean {
  const expected = expectedToken(c);
  return typeof sent === "string" && expected !== undefined && sameToken(sent, expected);
}

/** The session's token, or on the sign-in form the cookie's; undefined when there is neither. */
export function expectedToken(c: WebContext): string | undefined {
  const session = c.get("session");
  if (session) return session.csrfToken;
  return c.req.path === "/login" ? getCookie(c, LOGIN_CSRF_COOKIE) : undefined;
}

function sameToken(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
