import { html } from "hono/html";
import type { HtmlEscapedString } from "hono/utils/html";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { WebRole } from "../vocabulary/account-roles.ts";
import { hasRole } from "../vocabulary/account-roles.ts";
import { CSRF_FIELD, csrfToken } from "./csrf-token.ts";
import type { WebContext } from "./web-env.ts";

export type Markup = HtmlEscapedString | Promise<HtmlEscapedString>;

/** A section of the navigation, shown to accounts of at least `role`. */
interface NavigationItem {
  readonly path: string;
  readonly label: (t: WebContext["var"]["t"]) => string;
  readonly role: WebRole;
}

// The next pages (publish, rules, admin) slot in here.
const NAVIGATION: readonly NavigationItem[] = [
  { path: "/catalog", label: (t) => t.navCatalog, role: "viewer" },
  { path: "/restores", label: (t) => t.navRestores, role: "teacher" },
  { path: "/feeds", label: (t) => t.navFeeds, role: "teacher" },
  { path: "/my-courses", label: (t) => t.navMyCourses, role: "teacher" },
  { path: "/rules", label: (t) => t.navRules, role: "admin" },
  { path: "/admin", label: (t) => t.navAdmin, role: "admin" },
];

export interface PageOptions {
  readonly title: string;
  readonly main: Markup;
  readonly status?: ContentfulStatusCode;
  /**
   * Reloads the page after a while (a job still running), without script. The address is
   * given: a refresh to the page's own address is not made when it has a #fragment
   * (the browser takes it as a jump within the page).
   */
  readonly refresh?: { readonly seconds: number; readonly url: string } | undefined;
  readonly headers?: Record<string, string>;
  /** Our own scripts (under /assets) that enhance the page; it works without them. */
  readonly scripts?: readonly string[];
}

/** The form field every POST form carries. */
export function csrfField(c: WebContext): Markup {
  return html`<input type="hidden" name="${CSRF_FIELD}" value="${csrfToken(c)}">`;
}

/** A whole HTML page: header with navigation, language switch and account, then `main`. */
export function page(c: WebContext, options: PageOptions) {
  const t = c.get("t");
  const language = c.get("language");
  const session = c.get("session");
  const here = new URL(c.req.url);
  const back = encodeURIComponent(here.pathname + here.search);
  const current = here.pathname;
  const links = NAVIGATION.filter(
    (item) => session && hasRole(session.account.role, item.role),
  ).map(
    (item) =>
      html`<li><a href="${item.path}"${current === item.path || current.startsWith(`${item.path}/`) ? html` aria-current="page"` : ""}>${item.label(t)}</a></li>`,
  );
  const switcher = (["en", "fr"] as const).map((code) =>
    code === language
      ? html`<li><strong lang="${code}" aria-current="true">${t.languageNames[code]}</strong></li>`
      : html`<li><a href="/language?set=${code}&amp;back=${back}" lang="${code}" hreflang="${code}">${t.languageNames[code]}</a></li>`,
  );
  const account = session
    ? html`<li class="account"><span>${session.account.displayName}</span> <small class="role role-${session.account.role}">${t.roles[session.account.role]}</small></li>
        <li><form method="post" action="/logout" class="inline">${csrfField(c)}<button type="submit" class="secondary outline compact">${t.signOut}</button></form></li>`
    : current === "/login"
      ? ""
      : html`<li><a href="/login" role="button" class="compact">${t.signIn}</a></li>`;
  const body = html`<!doctype html>
<html lang="${language}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
${options.refresh ? html`<meta http-equiv="refresh" content="${options.refresh.seconds}; url=${options.refresh.url}">` : ""}
<title>${options.title} · ${c.get("siteName")} · coursefed</title>
<link rel="stylesheet" href="/assets/pico.min.css">
<link rel="stylesheet" href="/assets/coursefed.css">
${(options.scripts ?? []).map((src) => html`<script src="${src}" type="module"></script>`)}
</head>
<body>
<a class="skip-link" href="#main">${t.skipToContent}</a>
<header class="site-header">
<nav class="container" aria-label="${t.mainNavigation}">
<ul>
<li><a href="/catalog" class="brand"><span class="brand-mark" aria-hidden="true">cf</span> <span>${c.get("siteName")}</span></a></li>
${links}
</ul>
<ul>
<li><nav aria-label="${t.languageSwitch}" class="languages"><ul>${switcher}</ul></nav></li>
${account}
</ul>
</nav>
</header>
<main id="main" class="container" tabindex="-1">
${options.main}
</main>
<footer class="container site-footer"><small>${t.footer}</small></footer>
</body>
</html>`;
  return c.html(body, options.status ?? 200, options.headers);
}
