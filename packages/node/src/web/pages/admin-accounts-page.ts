import type { Hono } from "hono";
import { html } from "hono/html";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import {
  AccountError,
  changeRole,
  createAccount,
  disableAccount,
  enableAccount,
  removeAccount,
  resetPassword,
} from "../../accounts/account-service.ts";
import type { AuditAction } from "../../audit/audit-log.ts";
import { refusalStatus } from "../../http/error-problems.ts";
import { WEB_ROLES, type WebRole } from "../../vocabulary/account-roles.ts";
import { formatDateTime } from "../format.ts";
import { csrfField, type Markup } from "../layout.ts";
import { accountOf, requireRole } from "../roles.ts";
import type { WebContext, WebDependencies, WebEnv } from "../web-env.ts";
import {
  adminPage,
  confirmPage,
  type Form,
  formText,
  notice,
  webAuditActor,
} from "./admin-shell.ts";

const NOTICES = ["role", "removed", "disabled", "enabled"] as const;

function roleOf(form: Form): WebRole | undefined {
  return WEB_ROLES.find((role) => role === formText(form, "role"));
}

/** A password shown this once, with whose it is. */
function passwordShown(c: WebContext, username: string, password: string): Markup {
  const t = c.get("t");
  return html`<article class="secret" role="status" aria-labelledby="secret-heading">
<h2 id="secret-heading">${t.passwordFor(username)}</h2>
<p><code class="secret-value">${password}</code></p>
<p><small>${t.shownOnce}</small></p>
</article>`;
}

async function accountsPage(
  c: WebContext,
  dependencies: WebDependencies,
  options: {
    status?: ContentfulStatusCode;
    outcome?: Markup;
    form?: Form;
    formError?: string;
  } = {},
) {
  const t = c.get("t");
  const language = c.get("language");
  const me = accountOf(c).username;
  const all = await dependencies.accounts.all();
  const done = NOTICES.find((n) => n === c.req.query("notice"));
  const value = (name: string) => (options.form ? formText(options.form, name) : "");
  const chosenRole = (options.form && roleOf(options.form)) ?? "teacher";
  const roleOptions = (selected: WebRole) =>
    WEB_ROLES.map(
      (role) =>
        html`<option value="${role}"${role === selected ? " selected" : ""}>${t.roles[role]}</option>`,
    );
  return adminPage(c, {
    section: "/admin/accounts",
    title: t.accountsTitle,
    intro: t.accountsIntro,
    status: options.status ?? 200,
    main: html`${done ? notice("ok", t.accountNotices[done]) : ""}
${options.outcome ?? ""}
<div class="table-scroll"><table class="striped">
<thead><tr><th scope="col">${t.username}</th><th scope="col">${t.displayName}</th><th scope="col">${t.role}</th><th scope="col">${t.lastSignIn}</th><th scope="col"><span class="visually-hidden">${t.actions}</span></th></tr></thead>
<tbody>${all.map((account) => {
      const self = account.username === me;
      const disabled = account.disabledAt !== null;
      const singleSignOn = account.oidcSubject !== null;
      return html`<tr${disabled ? html` class="account-disabled"` : ""}><th scope="row">${account.username}${self ? html` <small class="badge badge-neutral">${t.you}</small>` : ""}${singleSignOn ? html` <small class="badge badge-neutral">${t.singleSignOnBadge}</small>` : ""}${disabled ? html` <small class="badge badge-error">${t.disabledBadge}</small>` : ""}</th><td>${account.displayName}</td>
<td>${
        self
          ? html`<span class="role role-${account.role}">${t.roles[account.role]}</span>`
          : html`<form method="post" action="/admin/accounts/role" class="inline role-form">${csrfField(c)}<input type="hidden" name="username" value="${account.username}"><select name="role" aria-label="${t.roleOf(account.username)}">${roleOptions(account.role)}</select><button type="submit" class="secondary outline compact" aria-label="${t.changeRoleOf(account.username)}">${t.changeRole}</button></form>`
      }</td>
<td>${account.lastLoginAt === null ? html`<span class="empty">${t.never}</span>` : formatDateTime(account.lastLoginAt, language)}</td>
<td class="row-actions">${singleSignOn ? "" : html`<form method="post" action="/admin/accounts/reset-password" class="inline">${csrfField(c)}<input type="hidden" name="username" value="${account.username}"><button type="submit" class="secondary outline compact" aria-label="${t.resetPasswordOf(account.username)}">${t.resetPassword}</button></form>`}
${
  self
    ? ""
    : html`<form method="post" action="/admin/accounts/${disabled ? "enable" : "disable"}" class="inline">${csrfField(c)}<input type="hidden" name="username" value="${account.username}"><button type="submit" class="secondary outline compact" aria-label="${disabled ? t.enableNamed(account.username) : t.disableNamed(account.username)}">${disabled ? t.enable : t.disable}</button></form>
<a href="/admin/accounts/remove?username=${encodeURIComponent(account.username)}" role="button" class="secondary outline compact" aria-label="${t.removeNamed(account.username)}">${t.remove}</a>`
}</td></tr>`;
    })}</tbody>
</table></div>
<section aria-labelledby="add-account">
<h2 id="add-account">${t.addAccount}</h2>
<form method="post" action="/admin/accounts" class="admin-form">
${csrfField(c)}
${options.formError ? html`<p class="notice notice-error" role="alert">${options.formError}</p>` : ""}
<div class="grid">
<label>${t.username}<input name="username" required autocomplete="off" value="${value("username")}" aria-describedby="username-help"><small id="username-help">${t.usernameHelp}</small></label>
<label>${t.displayName}<input name="displayName" value="${value("displayName")}"></label>
<label>${t.role}<select name="role">${roleOptions(chosenRole)}</select></label>
</div>
<p><small>${t.rolesHelp}</small></p>
<button type="submit">${t.addAccount}</button>
</form>
</section>`,
  });
}

/** The accounts page again with the domain's refusal; anything else is thrown on. */
function refusal(c: WebContext, dependencies: WebDependencies, error: unknown) {
  if (!(error instanceof AccountError)) throw error;
  return accountsPage(c, dependencies, {
    status: refusalStatus(error),
    outcome: notice("error", error.message),
  });
}

export function adminAccountsRoutes(app: Hono<WebEnv>, dependencies: WebDependencies): void {
  const { services, accounts, audit } = dependencies;
  const stores = { actors: services.actors, accounts };

  app.get("/admin/accounts", requireRole("admin"), (c) => accountsPage(c, dependencies));

  app.post("/admin/accounts", requireRole("admin"), async (c) => {
    const form = await c.req.parseBody();
    const role = roleOf(form) ?? "viewer";
    try {
      const { account, password } = await createAccount(stores, {
        username: formText(form, "username"),
        role,
        displayName: formText(form, "displayName") || undefined,
      });
      await audit.record(webAuditActor(c), "account.add", account.username, { role });
      return accountsPage(c, dependencies, {
        status: 201,
        outcome: passwordShown(c, account.username, password),
      });
    } catch (error) {
      if (!(error instanceof AccountError)) throw error;
      return accountsPage(c, dependencies, {
        status: refusalStatus(error),
        form,
        formError: error.message,
      });
    }
  });

  app.post("/admin/accounts/role", requireRole("admin"), async (c) => {
    const form = await c.req.parseBody();
    const username = formText(form, "username");
    const role = roleOf(form);
    if (!role) return c.redirect("/admin/accounts", 303);
    try {
      await changeRole(stores, { username, role, by: accountOf(c).username });
    } catch (error) {
      return refusal(c, dependencies, error);
    }
    await audit.record(webAuditActor(c), "account.role", username, { role });
    return c.redirect("/admin/accounts?notice=role", 303);
  });

  app.post("/admin/accounts/reset-password", requireRole("admin"), async (c) => {
    const username = formText(await c.req.parseBody(), "username");
    try {
      const password = await resetPassword(accounts, username);
      await audit.record(webAuditActor(c), "account.reset-password", username);
      return accountsPage(c, dependencies, { outcome: passwordShown(c, username, password) });
    } catch (error) {
      return refusal(c, dependencies, error);
    }
  });

  /**
   * An action on the account the form names: the service's refusal said on the page, the
   * action on the audit log, then the list again with the notice of what was done.
   */
  const accountAction = (
    path: string,
    action: AuditAction,
    done: (typeof NOTICES)[number],
    act: (c: WebContext, username: string) => Promise<unknown>,
  ) =>
    app.post(path, requireRole("admin"), async (c) => {
      const username = formText(await c.req.parseBody(), "username");
      try {
        await act(c, username);
      } catch (error) {
        return refusal(c, dependencies, error);
      }
      await audit.record(webAuditActor(c), action, username);
      return c.redirect(`/admin/accounts?notice=${done}`, 303);
    });

  accountAction("/admin/accounts/disable", "account.disable", "disabled", (c, username) =>
    disableAccount(accounts, { username, by: accountOf(c).username }),
  );
  accountAction("/admin/accounts/enable", "account.enable", "enabled", (_c, username) =>
    enableAccount(accounts, username),
  );

  app.get("/admin/accounts/remove", requireRole("admin"), (c) => {
    const t = c.get("t");
    const username = c.req.query("username") ?? "";
    return confirmPage(c, {
      section: "/admin/accounts",
      title: t.removeAccountTitle(username),
      question: t.removeAccountQuestion(username),
      action: "/admin/accounts/remove",
      fields: { username },
      button: t.removeNamed(username),
    });
  });

  accountAction("/admin/accounts/remove", "account.remove", "removed", (c, username) =>
    removeAccount(accounts, { username, by: accountOf(c).username }),
  );
}
