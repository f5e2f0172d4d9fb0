import type { MiddlewareHandler } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import type { CookieOptions } from "hono/utils/cookie";
import type { SessionRepository } from "../accounts/session-repository.ts";
import type { WebContext, WebEnv } from "./web-env.ts";

export const SESSION_COOKIE = "coursefed_session";

/** Secure wherever the node is reached over https; never readable by scripts. */
export function cookieOptions(publicUrl: URL): CookieOptions {
  return { path: "/", httpOnly: true, sameSite: "Lax", secure: publicUrl.protocol === "https:" };
}

/** Finds the request's session from its cookie, if it has a live one. */
export function loadSession(
  sessions: SessionRepository,
  publicUrl: URL,
): MiddlewareHandler<WebEnv> {
  return async (c, next) => {
    const id = getCookie(c, SESSION_COOKIE);
    const session = id ? await sessions.authenticate(id) : undefined;
    if (id && !session) deleteCookie(c, SESSION_COOKIE, cookieOptions(publicUrl));
    c.set("session", session);
    c.set("sessionId", session ? id : undefined);
    await next();
  };
}

/** A browser-session cookie: the server's sliding expiry is the one that counts. */
export function setSessionCookie(c: WebContext, publicUrl: URL, id: string): void {
  setCookie(c, SESSION_COOKIE, id, cookieOptions(publicUrl));
}

export function clearSessionCookie(c: WebContext, publicUrl: URL): void {
  deleteCookie(c, SESSION_COOKIE, cookieOptions(publicUrl));
}
