import type { MiddlewareHandler } from "hono";
import type { WebAccount } from "../accounts/account-repository.ts";
import type { WebRole } from "../vocabulary/account-roles.ts";
import { hasRole } from "../vocabulary/account-roles.ts";
import { errorPage } from "./pages/error-page.ts";
import type { WebContext, WebEnv } from "./web-env.ts";

/**
 * Lets through a signed-in account of at least this role. Anyone else is sent to sign in
 * (a page) or refused with 403 (a form sent without a session, or by a lesser role).
 */
export function requireRole(atLeast: WebRole): MiddlewareHandler<WebEnv> {
  return async (c, next) => {
    const session = c.get("session");
    const t = c.get("t");
    if (!session) {
      if (c.req.method === "GET") {
        const url = new URL(c.req.url);
        return c.redirect(`/login?next=${encodeURIComponent(url.pathname + url.search)}`, 303);
      }
      return errorPage(c, 403, t.signInNeededTitle, t.signInNeeded);
    }
    if (!hasRole(session.account.role, atLeast)) {
      return errorPage(c, 403, t.forbiddenTitle, t.forbidden(t.roles[session.account.role]));
    }
    return next();
  };
}

/** The signed-in account, on a route behind requireRole. */
export function accountOf(c: WebContext): WebAccount {
  const session = c.get("session");
  if (!session) throw new Error("accountOf is for routes behind requireRole");
  return session.account;
}
