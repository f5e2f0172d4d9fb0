import { isIP } from "node:net";
import { getConnInfo } from "@hono/node-server/conninfo";
import type { Hono } from "hono";
import { html } from "hono/html";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { AccountError, checkCredentials } from "../../accounts/account-service.ts";
import { refusalStatus } from "../../http/error-problems.ts";
import { csrfField, page } from "../layout.ts";
import { redirectTarget } from "../redirect-target.ts";
import { clearSessionCookie, setSessionCookie } from "../session-cookie.ts";
import type { WebContext, WebDependencies, WebEnv } from "../web-env.ts";
import { errorPage } from "./error-page.ts";

/**
 * The sign-in page: the password form and, with single sign-on, first a link to the
 * provider (a link, not a form: form-action 'self' would stop a form's redirect there).
 */
function loginForm(
  c: WebContext,
  options: {
    username?: string;
    error?: string;
    next: string;
    status?: ContentfulStatusCode;
    provider: string | undefined;
  },
) {
  const t = c.get("t");
  return page(c, {
    title: t.signInTitle,
    status: options.status ?? 200,
    main: html`<article class="narrow">
<h1>${t.signInTitle}</h1>
${
  options.provider === undefined
    ? html`<p>${t.signInIntro}</p>`
    : html`<p><a href="/login/oidc?next=${encodeURIComponent(options.next)}" role="button" class="sign-in-provider">${t.signInWith(options.provider)}</a></p>
<p class="sign-in-or">${t.signInLocally}</p>`
}
${options.error ? html`<p class="notice notice-error" role="alert" id="login-error">${options.error}</p>` : ""}
<form method="post" action="/login">
${csrfField(c)}
<input type="hidden" name="next" value="${options.next}">
<label for="username">${t.username}</label>
<input id="username" name="username" autocomplete="username" required autofocus value="${options.username ?? ""}"${options.error ? html` aria-invalid="true" aria-describedby="login-error"` : ""}>
<label for="password">${t.password}</label>
<input id="password" name="password" type="password" autocomplete="current-password" required${options.error ? html` aria-invalid="true" aria-describedby="login-error"` : ""}>
<button type="submit">${t.signIn}</button>
</form>
</article>`,
  });
}

/**
 * The address a sign-in comes from, for rate limiting: the TCP peer's, unless the peer is
 * one of the trusted reverse proxies; then the last address of X-Forwarded-For, the one
 * the proxy saw (nginx sets it to $remote_addr; earlier ones are the client's say-so).
 */
function clientAddress(c: WebContext, trustedProxies: readonly string[]): string {
  const peer = getConnInfo(c).remote.address;
  if (peer === undefined) return "unknown";
  if (!trustedProxies.includes(peer) && !trustedProxies.includes(withoutIpv4Mapping(peer))) {
    return peer;
  }
  const forwarded = c.req.header("x-forwarded-for")?.split(",").at(-1)?.trim();
  return forwarded && isIP(forwarded) !== 0 ? forwarded : peer;
}

/** A dual-stack socket writes an IPv4 peer as ::ffff:a.b.c.d; proxies are listed as a.b.c.d. */
function withoutIpv4Mapping(address: string): string {
  const mapped = /^::ffff:(.+)$/i.exec(address)?.[1];
  return mapped !== undefined && isIP(mapped) === 4 ? mapped : address;
}

export function loginRoutes(
  app: Hono<WebEnv>,
  { accounts, sessions, throttle, trustedProxies, oidc }: WebDependencies,
): void {
  const provider = oidc?.config.label;

  app.get("/login", (c) => {
    const next = redirectTarget(c.req.query("next"), c.get("publicUrl"));
    if (c.get("session")) return c.redirect(next, 303);
    return loginForm(c, { next, provider });
  });

  app.post("/login", async (c) => {
    const t = c.get("t");
    const form = await c.req.parseBody();
    const username = typeof form.username === "string" ? form.username.trim() : "";
    const password = typeof form.password === "string" ? form.password : "";
    const next = redirectTarget(
      typeof form.next === "string" ? form.next : undefined,
      c.get("publicUrl"),
    );
    const address = clientAddress(c, trustedProxies);
    const blockedUntil = await throttle.blockedUntil(username, address);
    if (blockedUntil !== undefined) {
      const seconds = Math.max(1, Math.ceil((blockedUntil - Date.now()) / 1000));
      return errorPage(c, 429, t.tooManyAttemptsTitle, t.tooManyAttempts(Math.ceil(seconds / 60)), {
        "retry-after": String(seconds),
      });
    }
    let account: Awaited<ReturnType<typeof checkCredentials>>;
    try {
      account = await checkCredentials(accounts, username, password);
    } catch (error) {
      if (!(error instanceof AccountError && error.code === "DISABLED")) throw error;
      return loginForm(c, {
        username,
        error: t.accountDisabled,
        next,
        status: refusalStatus(error),
        provider,
      });
    }
    if (!account) {
      await throttle.recordFailure(username, address);
      return loginForm(c, { username, error: t.wrongCredentials, next, status: 401, provider });
    }
    await throttle.clear(username, address);
    await accounts.recordLogin(account.id);
    const previous = c.get("sessionId");
    if (previous) await sessions.destroy(previous);
    const { id } = await sessions.create(account.id);
    setSessionCookie(c, c.get("publicUrl"), id);
    return c.redirect(next, 303);
  });

  app.post("/logout", async (c) => {
    const id = c.get("sessionId");
    if (id) await sessions.destroy(id);
    clearSessionCookie(c, c.get("publicUrl"));
    return c.redirect("/login", 303);
  });
}
