import { formatBytes } from "@coursefed/mbz";
import type { Hono } from "hono";
import { html, raw } from "hono/html";
import {
  activeCatalogFilters,
  CATALOG_FILTERS,
  type CatalogEmptyReason,
  type CatalogFilter,
  catalogEmptyReason,
} from "../../catalog/catalog-empty-reason.ts";
import type {
  CatalogEntry,
  CatalogPublisher,
  CatalogRepository,
} from "../../catalog/catalog-repository.ts";
import { probedSites } from "../../catalog/catalog-restorable.ts";
import { hasRole } from "../../vocabulary/account-roles.ts";
import { formatDate } from "../format.ts";
import { type Markup, page } from "../layout.ts";
import { publisherByline } from "../publisher-byline.ts";
import { accountOf, requireRole } from "../roles.ts";
import type { WebContext, WebDependencies, WebEnv } from "../web-env.ts";

const PAGE_SIZE = 20;

/** The search form's fields, as read from the query string. */
interface CatalogFilters {
  readonly q: string;
  /** A teacher's actor URI, from the list of those with courses in the catalog. */
  readonly actor: string;
  readonly institution: string;
  readonly tag: string;
  readonly language: string;
  readonly moodle: string;
  readonly plugin: string;
  readonly withoutPlugins: boolean;
  /** Only courses one of this node's Moodle targets can restore faithfully. */
  readonly restorable: boolean;
}

type Teacher = Awaited<ReturnType<CatalogRepository["catalogTeachers"]>>[number];

function filtersOf(c: WebContext): CatalogFilters {
  const field = (name: string, max: number) => (c.req.query(name) ?? "").trim().slice(0, max);
  const moodle = field("moodle", 10);
  return {
    q: field("q", 200),
    actor: field("actor", 2000),
    institution: field("institution", 253),
    tag: field("tag", 100),
    language: field("language", 20),
    moodle: /^\d+\.\d+$/.test(moodle) ? moodle : "",
    plugin: field("plugin", 100),
    withoutPlugins: c.req.query("withoutPlugins") === "true",
    restorable: c.req.query("restorable") === "true",
  };
}

/** What an entry's manifest says, read defensively (it is the publisher's JSON). */
export function manifestFacts(manifest: Record<string, unknown>) {
  const moodle = manifest.moodle as { release?: unknown } | undefined;
  return {
    release: typeof moodle?.release === "string" ? moodle.release : undefined,
    license: typeof manifest.license === "string" ? manifest.license : undefined,
  };
}

/** A course's summary: HTML the node sanitized when it received it, so shown as HTML. */
export function sanitizedSummary(summary: string | null): Markup {
  return summary ? html`<div class="summary">${raw(summary)}</div>` : html``;
}

/** An entry of the catalog, with its author as this node last saw them (if it did). */
function courseCard(
  c: WebContext,
  entry: CatalogEntry,
  publisher: CatalogPublisher | undefined,
): Markup {
  const t = c.get("t");
  const language = c.get("language");
  const facts = manifestFacts(entry.manifest);
  const link = `/catalog/course?object=${encodeURIComponent(entry.objectUri)}`;
  return html`<article class="course-card">
<header>
<h2><a href="${link}">${entry.title}</a></h2>
<p class="byline">${publisherByline(entry.actorUri, publisher)}</p>
</header>
${sanitizedSummary(entry.summary)}
<dl class="facts">
<div><dt>${t.size}</dt><dd>${formatBytes(entry.size, language)}</dd></div>
<div><dt>${t.moodleRelease}</dt><dd>${facts.release ?? t.unknown}</dd></div>
<div><dt>${t.requiredPlugins}</dt><dd>${entry.requiredPlugins.length ? entry.requiredPlugins.join(", ") : t.noneStandard}</dd></div>
<div><dt>${t.license}</dt><dd>${facts.license ?? t.unknown}</dd></div>
<div><dt>${t.updated}</dt><dd><time datetime="${new Date(entry.publishedAt).toISOString()}">${formatDate(entry.publishedAt, language)}</time></dd></div>
</dl>
${entry.tags.length ? html`<ul class="tags" aria-label="${t.tags}">${entry.tags.map((tag) => html`<li><a href="/catalog?tag=${encodeURIComponent(tag)}">#${tag}</a></li>`)}</ul>` : ""}
</article>`;
}

function searchForm(
  c: WebContext,
  filters: CatalogFilters,
  teachers: readonly Teacher[],
  probedTargets: number,
): Markup {
  const t = c.get("t");
  const advanced = Boolean(
    filters.actor ||
      filters.restorable ||
      filters.institution ||
      filters.tag ||
      filters.language ||
      filters.moodle ||
      filters.plugin ||
      filters.withoutPlugins,
  );
  return html`<search><form method="get" action="/catalog" class="catalog-search">
<fieldset role="group">
<label for="q" class="visually-hidden">${t.searchLabel}</label>
<input type="search" id="q" name="q" value="${filters.q}" placeholder="${t.searchPlaceholder}">
<button type="submit">${t.search}</button>
<button type="submit" formaction="/catalog/network" class="secondary">${t.searchNetwork}</button>
</fieldset>
<details${advanced ? html` open` : ""}>
<summary>${t.filters}</summary>
<div class="filter-grid">
<label>${t.teacher}<select name="actor"><option value="">${t.anyTeacher}</option>${teachers.map(
    (teacher) =>
      html`<option value="${teacher.uri}"${teacher.uri === filters.actor ? html` selected` : ""}>${teacher.name ?? teacher.handle ?? teacher.uri}${teacher.name && teacher.handle ? ` (@${teacher.handle})` : ""}</option>`,
  )}</select></label>
<label>${t.institution}<input name="institution" value="${filters.institution}" placeholder="${t.example("courses.univ.example")}"></label>
<label>${t.tag}<input name="tag" value="${filters.tag}"></label>
<label>${t.language}<input name="language" value="${filters.language}" placeholder="${t.example("fr")}"></label>
<label>${t.moodleAtMost}<input name="moodle" value="${filters.moodle}" placeholder="${t.example("4.1")}" pattern="\\d+\\.\\d+" inputmode="decimal"></label>
<label>${t.plugin}<input name="plugin" value="${filters.plugin}" placeholder="${t.example("qtype_stack")}"></label>
<label class="checkbox"><input type="checkbox" name="withoutPlugins" value="true"${filters.withoutPlugins ? html` checked` : ""}> ${t.withoutPlugins}</label>
<div class="checkbox-with-help"><label class="checkbox"><input type="checkbox" name="restorable" value="true"${filters.restorable ? html` checked` : ""} aria-describedby="restorable-help"> ${t.restorableOnTargets}</label>
<small id="restorable-help">${probedTargets ? t.restorableOnTargetsHelp(probedTargets) : t.restorableNoProbedTarget}</small></div>
</div>
</details>
</form></search>`;
}

/** A search with only this filter left out, or every filter left out (`undefined`). */
function searchWithout(c: WebContext, filter: CatalogFilter | undefined): string {
  const url = new URL(c.req.url);
  url.searchParams.delete("page");
  if (filter === undefined) {
    for (const name of CATALOG_FILTERS) url.searchParams.delete(name);
  } else {
    url.searchParams.delete(filter);
  }
  return `/catalog${url.search}`;
}

/** What a filter is set to, as its chip shows it (a checkbox's name says it all). */
function filterValue(
  c: WebContext,
  name: CatalogFilter,
  filters: CatalogFilters,
  teachers: readonly Teacher[],
): string {
  const colon = c.get("t").colon;
  if (name === "actor") {
    const teacher = teachers.find((candidate) => candidate.uri === filters.actor);
    return `${colon}${teacher?.name ?? teacher?.handle ?? filters.actor}`;
  }
  if (name === "teacher" || name === "withoutPlugins" || name === "restorable") return "";
  return `${colon}${filters[name]}`;
}

/** Nothing found, and why when it is known, with the way out. */
function emptyResult(
  c: WebContext,
  reason: CatalogEmptyReason | undefined,
  mayFollow: boolean,
  filters: CatalogFilters,
  teachers: readonly Teacher[],
): Markup {
  const t = c.get("t");
  const follow = mayFollow ? html`<p><a href="/feeds">${t.catalogEmptyHint}</a></p>` : "";
  switch (reason?.code) {
    case "no_probed_target":
      return html`<article class="empty"><p>${t.emptyNoProbedTarget}</p><ul class="empty-actions">
${hasRole(accountOf(c).role, "admin") ? html`<li><a href="/admin/targets">${t.emptyProbeTargets}</a></li>` : ""}
<li><a href="${searchWithout(c, "restorable")}">${t.emptyWithoutRestorable}</a></li></ul></article>`;
    case "filtered":
      return html`<article class="empty"><p>${t.emptyFiltered}</p>
<ul class="active-filters">${reason.filters.map((name) => html`<li><a href="${searchWithout(c, name)}" aria-label="${t.removeFilter(`${t.filterNames[name]}${filterValue(c, name, filters, teachers)}`)}"><span aria-hidden="true">×</span> ${t.filterNames[name]}${filterValue(c, name, filters, teachers)}</a></li>`)}</ul>
<p><a href="${searchWithout(c, undefined)}" role="button" class="secondary compact">${t.clearFilters}</a></p></article>`;
    case "catalog_empty":
      return html`<article class="empty"><p>${t.emptyCatalog}</p>${follow}</article>`;
    default:
      return html`<article class="empty"><p>${t.catalogEmpty}</p>${follow}</article>`;
  }
}

/** `pages` is undefined when the matches were counted only up to a limit. */
function pager(
  c: WebContext,
  pageNumber: number,
  pages: number | undefined,
  hasNext: boolean,
): Markup {
  if (pages !== undefined && pages <= 1) return html``;
  const t = c.get("t");
  const url = new URL(c.req.url);
  const link = (n: number) => {
    url.searchParams.set("page", String(n));
    return `/catalog${url.search}`;
  };
  return html`<nav class="pager" aria-label="${t.pages}"><ul>
${pageNumber > 1 ? html`<li><a href="${link(pageNumber - 1)}" rel="prev">${t.previous}</a></li>` : ""}
<li aria-current="page">${pages === undefined ? t.pageNumber(pageNumber) : t.pageOf(pageNumber, pages)}</li>
${hasNext ? html`<li><a href="${link(pageNumber + 1)}" rel="next">${t.next}</a></li>` : ""}
</ul></nav>`;
}

export function catalogPageRoutes(app: Hono<WebEnv>, { services }: WebDependencies): void {
  app.get("/catalog", requireRole("viewer"), async (c) => {
    const t = c.get("t");
    const filters = filtersOf(c);
    const requested = Number.parseInt(c.req.query("page") ?? "1", 10);
    const pageNumber = Number.isSafeInteger(requested) && requested > 0 ? requested : 1;
    const sites = probedSites(await services.moodleTargets.all());
    const { total, totalExact, totalBound, nextCursor, entries } =
      await services.catalog.searchCatalog({
        q: filters.q || undefined,
        actor: filters.actor || undefined,
        institution: filters.institution || undefined,
        tag: filters.tag || undefined,
        language: filters.language || undefined,
        moodle: filters.moodle || undefined,
        plugin: filters.plugin || undefined,
        withoutPlugins: filters.withoutPlugins,
        restorableOn: filters.restorable ? sites : undefined,
        limit: PAGE_SIZE,
        offset: (pageNumber - 1) * PAGE_SIZE,
      });
    const publishers = await services.catalog.catalogPublishers(
      entries.map((entry) => entry.actorUri),
    );
    const reason = await catalogEmptyReason(
      services.catalog,
      activeCatalogFilters(filters),
      total,
      sites.length,
    );
    const teachers = await services.catalog.catalogTeachers();
    const pages = totalExact ? Math.max(1, Math.ceil(total / PAGE_SIZE)) : undefined;
    const mayFollow = hasRole(accountOf(c).role, "teacher");
    return page(c, {
      title: t.catalogTitle,
      main: html`<hgroup><h1>${t.catalogTitle}</h1><p>${t.catalogIntro}</p></hgroup>
${searchForm(c, filters, teachers, sites.length)}
<p class="result-count" role="status">${totalExact ? t.resultCount(total) : totalBound === "atLeast" ? t.resultCountAtLeast(total) : t.resultCountMoreThan(total)}</p>
${entries.length ? html`<div class="course-grid">${entries.map((entry) => courseCard(c, entry, publishers.get(entry.actorUri)))}</div>` : emptyResult(c, reason, mayFollow, filters, teachers)}
${pager(c, pageNumber, pages, nextCursor !== undefined)}`,
    });
  });
}
