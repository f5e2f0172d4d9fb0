import { html } from "hono/html";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { AuditActor } from "../../audit/audit-log.ts";
import type { Messages } from "../i18n/en.ts";
import { csrfField, type Markup, page } from "../layout.ts";
import { accountOf } from "../roles.ts";
import type { WebContext } from "../web-env.ts";

/** The admin console's sections, in the order of its side navigation. */
const SECTIONS = [
  ["/admin", (t: Messages) => t.adminSettingsTitle],
  ["/admin/follow-requests", (t: Messages) => t.followRequestsTitle],
  ["/admin/reports", (t: Messages) => t.reportsTitle],
  ["/admin/peers", (t: Messages) => t.peersTitle],
  ["/admin/targets", (t: Messages) => t.targetsTitle],
  ["/admin/accounts", (t: Messages) => t.accountsTitle],
  ["/admin/tokens", (t: Messages) => t.tokensTitle],
  ["/admin/audit", (t: Messages) => t.auditTitle],
] as const;

export type AdminSection = (typeof SECTIONS)[number][0];

export type Form = Record<string, string | File | (string | File)[]>;

/** A form field's text, trimmed; "" when absent. */
export function formText(form: Form, name: string): string {
  const value = form[name];
  return typeof value === "string" ? value.trim() : "";
}

/** The signed-in admin, as the audit log names them. */
export function webAuditActor(c: WebContext): AuditActor {
  return { kind: "web", name: accountOf(c).username };
}

/** A notice at the top of a section: done (ok) or refused (error). */
export function notice(kind: "ok" | "error", text: string): Markup {
  return kind === "ok"
    ? html`<p class="notice notice-ok" role="status">${text}</p>`
    : html`<p class="notice notice-error" role="alert">${text}</p>`;
}

/** A page of the admin console: its side navigation, then the section. */
export function adminPage(
  c: WebContext,
  options: {
    section: AdminSection;
    title: string;
    intro: string;
    main: Markup;
    status?: ContentfulStatusCode;
  },
) {
  const t = c.get("t");
  return page(c, {
    title: options.title,
    status: options.status ?? 200,
    main: html`<div class="admin-layout">
<nav class="admin-nav" aria-label="${t.adminNavigation}"><ul>${SECTIONS.map(
      ([path, label]) =>
        html`<li><a href="${path}"${path === options.section ? html` aria-current="page"` : ""}>${label(t)}</a></li>`,
    )}</ul></nav>
<div class="admin-content">
<hgroup><h1>${options.title}</h1><p>${options.intro}</p></hgroup>
${options.main}
</div>
</div>`,
  });
}

/**
 * The step before something that cannot be undone: says what will happen and asks again,
 * with a form that does it and a link back.
 */
export function confirmPage(
  c: WebContext,
  options: {
    section: AdminSection;
    title: string;
    question: string;
    action: string;
    fields: Record<string, string>;
    button: string;
  },
) {
  const t = c.get("t");
  return adminPage(c, {
    section: options.section,
    title: options.title,
    intro: options.question,
    main: html`<form method="post" action="${options.action}" class="confirm">
${csrfField(c)}
${Object.entries(options.fields).map(([name, value]) => html`<input type="hidden" name="${name}" value="${value}">`)}
<div class="actions"><button type="submit" class="danger">${options.button}</button> <a href="${options.section}">${t.cancel}</a></div>
</form>`,
  });
}
