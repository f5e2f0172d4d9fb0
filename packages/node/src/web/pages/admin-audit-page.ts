import type { Hono } from "hono";
import { html } from "hono/html";
import { formatDateTime } from "../format.ts";
import { requireRole } from "../roles.ts";
import type { WebDependencies, WebEnv } from "../web-env.ts";
import { adminPage } from "./admin-shell.ts";

const PAGE_SIZE = 50;

/** The details kept with an entry, as "key: value" pairs (absent values left out). */
function detailsText(details: Record<string, unknown> | null): string {
  return Object.entries(details ?? {})
    .filter(([, value]) => value !== null && value !== undefined)
    .map(([key, value]) => `${key}: ${typeof value === "string" ? value : JSON.stringify(value)}`)
    .join(" · ");
}

/** What admins did, newest first, from the pages and the API alike. */
export function adminAuditRoutes(app: Hono<WebEnv>, { audit }: WebDependencies): void {
  app.get("/admin/audit", requireRole("admin"), async (c) => {
    const t = c.get("t");
    const language = c.get("language");
    const requested = Number.parseInt(c.req.query("page") ?? "1", 10);
    const pageNumber = Number.isSafeInteger(requested) && requested > 0 ? requested : 1;
    const { entries, total } = await audit.page({
      limit: PAGE_SIZE,
      offset: (pageNumber - 1) * PAGE_SIZE,
    });
    const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
    return adminPage(c, {
      section: "/admin/audit",
      title: t.auditTitle,
      intro: t.auditIntro,
      main: entries.length
        ? // Wider than a phone: scrolled with the keyboard too (it holds nothing focusable).
          html`<div class="table-scroll" tabindex="0" role="region" aria-label="${t.auditTitle}"><table class="striped audit">
<thead><tr><th scope="col">${t.auditWhen}</th><th scope="col">${t.auditWho}</th><th scope="col">${t.auditAction}</th><th scope="col">${t.auditTarget}</th><th scope="col">${t.auditDetails}</th></tr></thead>
<tbody>${entries.map(
            (entry) =>
              html`<tr><td><time datetime="${new Date(entry.at).toISOString()}">${formatDateTime(entry.at, language)}</time></td><td>${entry.byName} <small class="badge badge-neutral">${t.auditVia[entry.byKind]}</small></td><td>${t.auditActions[entry.action] ?? entry.action}</td><td>${entry.target ? html`<code>${entry.target}</code>` : ""}</td><td class="details">${detailsText(entry.details)}</td></tr>`,
          )}</tbody>
</table></div>
${
  pages > 1
    ? html`<nav class="pager" aria-label="${t.pages}"><ul>
${pageNumber > 1 ? html`<li><a href="/admin/audit?page=${pageNumber - 1}" rel="prev">${t.previous}</a></li>` : ""}
<li aria-current="page">${t.pageOf(pageNumber, pages)}</li>
${pageNumber < pages ? html`<li><a href="/admin/audit?page=${pageNumber + 1}" rel="next">${t.next}</a></li>` : ""}
</ul></nav>`
    : ""
}`
        : html`<article class="empty"><p>${t.auditEmpty}</p></article>`,
    });
  });
}
