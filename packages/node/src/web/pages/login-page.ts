import { getConnInfo } from "@hono/node-server/conninfo";
import type { Hono } from "hono";
import { html } from "hono/html";
import { checkCredentials } from "../../accounts/account-service.ts";
import { localPath } from "../format.ts";
import { csrfField, page } from "../layout.ts";
import { clearSessionCookie, setSessionCookie } from "../session-cookie.ts";
import type { WebContext, WebDependencies, WebEnv } from "../web-env.ts";
import { errorPage } from "./error-page.ts";

function loginForm(
  c: WebContext,
  options: { username?: string; error?: string; next: string; status?: 200 | 401 },
) {
  const t = c.get("t");
  return page(c, {
    title: t.signInTitle,
    status: options.status ?? 200,
    main: html`<article class="narrow">
<h1>${t.signInTitle}</h1>
<p>${t.signInIntro}</p>
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

/** The address a sign-in comes from, for rate limiting. */
function clientAddress(c: WebContext): string {
  return getConnInfo(c).remote.address ?? "unknown";
}

export function loginRoutes(
  app: Hono<WebEnv>,
  { accounts, sessions, throttle }: WebDependencies,
): void {
  app.get("/login", (c) => {
    const next = localPath(c.req.query("next"));
    if (c.get("session")) return c.redirect(next, 303);
    return loginForm(c, { next });
  });

  app.post("/login", async (c) => {
    const t = c.get("t");
    const form = await c.req.parseBody();
    const username = typeof form.username === "string" ? form.username.trim() : "";
    const password = typeof form.password === "string" ? form.password : "";
    const next = localPath(typeof form.next === "string" ? form.next : undefined);
    const address = clientAddress(c);
    const blockedUntil = await throttle.blockedUntil(username, address);
    if (blockedUntil !== undefined) {
      const seconds = Math.max(1, Math.ceil((blockedUntil - Date.now()) / 1000));
      return errorPage(c, 429, t.tooManyAttemptsTitle, t.tooManyAttempts(Math.ceil(seconds / 60)), {
        "retry-after": String(seconds),
      });
    }
    const account = await checkCredentials(accounts, username, password);
    if (!account) {
      await throttle.recordFailure(username, address);
      return loginForm(c, { username, error: t.wrongCredentials, next, status: 401 });
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
