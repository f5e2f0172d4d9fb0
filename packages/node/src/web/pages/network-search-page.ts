import { formatBytes } from "@coursefed/mbz";
import type { Hono } from "hono";
import { html } from "hono/html";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { domainServices } from "../../federation/domain-services.ts";
import { catalogIntake, peerSearch } from "../../federation/network-search-client.ts";
import { refusalStatus } from "../../http/error-problems.ts";
import {
  NETWORK_SEARCH_PARAMETERS,
  NetworkSearchError,
  type NetworkSearchQuery,
  networkSearchQueryFrom,
} from "../../network-search/network-search-query.ts";
import {
  bringIntoCatalog,
  type NetworkSearchResult,
  type NetworkSearchResultItem,
  searchNetwork,
} from "../../network-search/network-search-service.ts";
import { hasRole } from "../../vocabulary/account-roles.ts";
import { formatDate } from "../format.ts";
import { csrfField, type Markup, page } from "../layout.ts";
import { accountOf, requireRole } from "../roles.ts";
import type { WebContext, WebDependencies, WebEnv } from "../web-env.ts";
import { sanitizedSummary } from "./catalog-page.ts";

/** The search form's fields, as the query string gave them (shown back as typed). */
function fieldsOf(c: WebContext): Record<(typeof NETWORK_SEARCH_PARAMETERS)[number], string> {
  const field = (name: string) => (c.req.query(name) ?? "").trim().slice(0, 200);
  return {
    q: field("q"),
    tag: field("tag"),
    institution: field("institution"),
    teacher: field("teacher"),
    language: field("language"),
    moodle: field("moodle"),
    plugin: field("plugin"),
    withoutPlugins: c.req.query("withoutPlugins") === "true" ? "true" : "",
  };
}

function searchForm(c: WebContext, fields: ReturnType<typeof fieldsOf>): Markup {
  const t = c.get("t");
  const advanced = Object.entries(fields).some(([name, value]) => name !== "q" && value !== "");
  return html`<search><form method="get" action="/catalog/network" class="catalog-search">
<fieldset role="group">
<label for="q" class="visually-hidden">${t.searchLabel}</label>
<input type="search" id="q" name="q" value="${fields.q}" placeholder="${t.searchPlaceholder}">
<button type="submit">${t.searchNetwork}</button>
</fieldset>
<details${advanced ? html` open` : ""}>
<summary>${t.filters}</summary>
<div class="filter-grid">
<label>${t.teacher}<input name="teacher" value="${fields.teacher}" placeholder="${t.example("marie")}"></label>
<label>${t.institution}<input name="institution" value="${fields.institution}" placeholder="${t.example("courses.univ.example")}"></label>
<label>${t.tag}<input name="tag" value="${fields.tag}"></label>
<label>${t.language}<input name="language" value="${fields.language}" placeholder="${t.example("fr")}"></label>
<label>${t.moodleAtMost}<input name="moodle" value="${fields.moodle}" placeholder="${t.example("4.1")}" pattern="\\d+\\.\\d+" inputmode="decimal"></label>
<label>${t.plugin}<input name="plugin" value="${fields.plugin}" placeholder="${t.example("qtype_stack")}"></label>
<label class="checkbox"><input type="checkbox" name="withoutPlugins" value="true"${fields.withoutPlugins ? html` checked` : ""}> ${t.withoutPlugins}</label>
</div>
</details>
<p><a href="/catalog${new URL(c.req.url).search}">${t.searchCatalogInstead}</a></p>
</form></search>`;
}

/** One result: where it is, what the catalog knows of it, and what can be done from here. */
function resultCard(c: WebContext, item: NetworkSearchResultItem, back: string): Markup {
  const t = c.get("t");
  const language = c.get("language");
  const mayAct = hasRole(accountOf(c).role, "teacher");
  const publisher = item.teacher ?? item.institution;
  const byline = item.teacher
    ? `${item.teacher.name ?? item.teacher.handle ?? item.teacher.actor}, ${item.institution.name ?? new URL(item.node).host}`
    : (item.institution.name ?? new URL(item.node).host);
  let action: Markup;
  if (item.inCatalog) {
    action = html`<a href="/catalog/course?object=${encodeURIComponent(item.object)}" role="button" class="compact">${t.openInCatalog}</a>`;
  } else if (!mayAct) {
    action = html``;
  } else if (item.publisherFollowed) {
    action = html`<form method="post" action="/catalog/network/catalog" class="inline">${csrfField(c)}
<input type="hidden" name="object" value="${item.object}"><input type="hidden" name="institution" value="${item.institution.actor}"><input type="hidden" name="back" value="${back}">
<button type="submit" class="compact">${t.bringIntoCatalog}</button></form>`;
  } else {
    action = html`<form method="post" action="/feeds/follow" class="inline">${csrfField(c)}
<input type="hidden" name="target" value="${publisher.actor}"><input type="hidden" name="back" value="${back}">
<button type="submit" class="secondary compact">${t.followPublisherFirst(publisher.name ?? publisher.handle ?? publisher.actor)}</button></form>
<small>${t.followBeforeBringing}</small>`;
  }
  return html`<article class="course-card">
<header>
<h2><a href="${item.url}" rel="external">${item.title}</a></h2>
<p class="byline">${byline}</p>
<p>${item.inCatalog ? html`<span class="badge badge-ok">${t.inCatalogMark(item.inCatalog.revision)}</span>` : html`<span class="badge badge-neutral">${t.notInCatalogMark}</span>`}${item.hop === 2 ? html` <span class="badge badge-neutral">${t.oneHopFurtherMark}</span>` : ""}</p>
</header>
${sanitizedSummary(item.summary)}
<dl class="facts">
<div><dt>${t.size}</dt><dd>${formatBytes(item.size, language)}</dd></div>
<div><dt>${t.moodleRelease}</dt><dd>${item.moodleBranch ?? t.unknown}</dd></div>
<div><dt>${t.requiredPlugins}</dt><dd>${item.requiredPlugins.length ? item.requiredPlugins.join(", ") : t.noneStandard}</dd></div>
<div><dt>${t.license}</dt><dd>${item.license ?? t.unknown}</dd></div>
<div><dt>${t.updated}</dt><dd><time datetime="${item.updated}">${formatDate(Date.parse(item.updated), language)}</time></dd></div>
</dl>
${item.tags.length ? html`<ul class="tags" aria-label="${t.tags}">${item.tags.map((tag) => html`<li>#${tag}</li>`)}</ul>` : ""}
<footer>${action}</footer>
</article>`;
}

function resultsOf(c: WebContext, result: NetworkSearchResult): Markup {
  const t = c.get("t");
  const here = new URL(c.req.url);
  const back = here.pathname + here.search;
  const asked = result.answered.length + result.late.length + result.failed.length;
  return html`<p class="result-count" role="status">${t.networkResultCount(result.items.length, result.answered.length)}</p>
${result.late.length ? html`<p class="notice">${t.nodesLate(result.late.length, result.budgetMs)}</p>` : ""}
${result.failed.length ? html`<details class="notice"><summary>${t.nodesFailed(result.failed.length)}</summary><ul>${result.failed.map((failure) => html`<li>${failure.node}${c.get("t").colon}${failure.reason}</li>`)}</ul></details>` : ""}
${
  result.items.length
    ? html`<div class="course-grid">${result.items.map((item) => resultCard(c, item, back))}</div>`
    : html`<article class="empty"><p>${asked === 0 ? t.networkNobodyFollowed : t.networkNothingFound}</p>${asked === 0 && hasRole(accountOf(c).role, "teacher") ? html`<p><a href="/feeds">${t.catalogEmptyHint}</a></p>` : ""}</article>`
}`;
}

/** The network search's page: the form, and the merged results when something was asked. */
async function networkPage(
  c: WebContext,
  dependencies: WebDependencies,
  problem?: { readonly message: string; readonly status: ContentfulStatusCode },
) {
  const t = c.get("t");
  const fields = fieldsOf(c);
  const asked = [...new URL(c.req.url).searchParams.keys()].some((name) =>
    (NETWORK_SEARCH_PARAMETERS as readonly string[]).includes(name),
  );
  let results: Markup = html``;
  let status: ContentfulStatusCode = problem?.status ?? 200;
  let error = problem?.message;
  if (asked) {
    try {
      const query: NetworkSearchQuery = networkSearchQueryFrom(new URL(c.req.url).searchParams);
      const ctx = dependencies.context(c.req.raw);
      results = resultsOf(
        c,
        await searchNetwork(
          { ...dependencies.services, origin: ctx.origin, peerSearch: peerSearch(ctx) },
          query,
        ),
      );
    } catch (refusal) {
      if (!(refusal instanceof NetworkSearchError)) throw refusal;
      error = refusal.message;
      status = refusalStatus(refusal);
    }
  }
  return page(c, {
    title: t.networkSearchTitle,
    status,
    main: html`<hgroup><h1>${t.networkSearchTitle}</h1><p>${t.networkSearchIntro}</p></hgroup>
${error ? html`<p class="error" role="alert">${error}</p>` : ""}
${searchForm(c, fields)}
${results}`,
  });
}

export function networkSearchPageRoutes(app: Hono<WebEnv>, dependencies: WebDependencies): void {
  app.get("/catalog/network", requireRole("viewer"), (c) => networkPage(c, dependencies));

  // Bringing a result in is a teacher's, as following is: it makes the course restorable here.
  app.post("/catalog/network/catalog", requireRole("teacher"), async (c) => {
    const form = await c.req.parseBody();
    const object = typeof form.object === "string" ? form.object : "";
    const institution = typeof form.institution === "string" ? form.institution : undefined;
    const ctx = dependencies.context(c.req.raw);
    try {
      const kept = await bringIntoCatalog(
        { ...domainServices(ctx), catalogIntake: catalogIntake(ctx) },
        object,
        institution,
      );
      return c.redirect(`/catalog/course?object=${encodeURIComponent(kept.objectUri)}`, 303);
    } catch (refusal) {
      if (!(refusal instanceof NetworkSearchError)) throw refusal;
      return networkPage(c, dependencies, {
        message: refusal.message,
        status: refusalStatus(refusal),
      });
    }
  });
}
