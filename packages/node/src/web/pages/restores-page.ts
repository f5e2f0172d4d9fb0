import type { Hono } from "hono";
import { html } from "hono/html";
import type { CatalogEntry } from "../../catalog/catalog-repository.ts";
import { visibleRestoreJobs } from "../../restores/job-visibility.ts";
import type { RestoreJob } from "../../restores/restore-repository.ts";
import type { JobChanges } from "../../restores/update-changes.ts";
import { formatDateTime } from "../format.ts";
import { type Markup, page } from "../layout.ts";
import { accountOf, requireRole } from "../roles.ts";
import type { WebContext, WebDependencies, WebEnv } from "../web-env.ts";
import { changesMarkup } from "./changes-markup.ts";
import { courseLink, problemText } from "./course-page.ts";

const PAGE_SIZE = 50;
/** While a job is queued or running, the page reloads itself this often. */
const REFRESH_SECONDS = 5;

const BADGE: Readonly<Record<RestoreJob["state"], string>> = {
  queued: "badge-neutral",
  running: "badge-running",
  succeeded: "badge-ok",
  refused: "badge-error",
  failed: "badge-error",
};

function destinationText(c: WebContext, job: RestoreJob): string {
  const t = c.get("t");
  const destination = job.destination as {
    kind: string;
    categoryId?: number;
    fullName?: string;
    shortName?: string;
    courseId?: number;
    mode?: string;
  };
  // The names asked for, when any: the full name, else the short one.
  const named = destination.fullName ?? destination.shortName;
  return destination.kind === "existing-course"
    ? t.intoCourseText(
        destination.courseId ?? 0,
        destination.mode === "replace" ? t.modeReplace : t.modeMerge,
      )
    : named === undefined
      ? t.inCategoryText(destination.categoryId ?? 0)
      : t.inCategoryNamedText(named, destination.categoryId ?? 0);
}

/** A job, with the catalog's entry for its course (if the catalog still has it). */
/**
 * The notice on a job asked for again (restores are idempotent: same revision, target and
 * destination, same job; a new course, the same asker's): that it is the same job, and how
 * it stands. A job into an existing course may be a colleague's who shares the course: the
 * notice does not tell her she asked for it.
 */
function repeatNotice(c: WebContext, job: RestoreJob): Markup {
  const t = c.get("t");
  if (c.req.query("again") !== job.id) return html``;
  const outcome =
    c.req.query("repeat") === "queued-again" ? t.repeatedQueuedAgain : t.repeatedOutcome[job.state];
  const date = formatDateTime(job.createdAt, c.get("language"));
  const hers =
    (job.destination as { kind?: string }).kind === "new-course" ||
    job.requestedByActorId === accountOf(c).actorId;
  return html`<p class="notice" role="status">${hers ? t.repeatedRestore(date) : t.repeatedRestoreShared(date)} ${outcome}</p>`;
}

function jobCard(
  c: WebContext,
  job: RestoreJob,
  entry: CatalogEntry | undefined,
  targetName: string,
): Markup {
  const t = c.get("t");
  const language = c.get("language");
  const problems = job.problems as Array<{ kind: string; message?: string }>;
  return html`<article class="job" id="job-${job.id}">
<header class="job-header">
<h2><a href="${courseLink(job.objectUri)}">${entry?.title ?? job.objectUri}</a> <small>${t.revisionNumber(job.revision)}</small></h2>
<span class="badge ${BADGE[job.state]}">${t.jobStates[job.state]}</span>
</header>
${repeatNotice(c, job)}
<p>${t.target}${t.colon}<strong>${targetName}</strong> · ${destinationText(c, job)} · ${t.requestedBy(job.requestedBy)} · <time datetime="${new Date(job.createdAt).toISOString()}">${formatDateTime(job.createdAt, language)}</time>${job.attempts > 1 ? html` · ${t.attempts(job.attempts)}` : ""}</p>
${job.overriddenBy ? html`<p class="warning"><small>${t.overriddenBy(job.overriddenBy)}</small></p>` : ""}
${job.state === "succeeded" && job.courseUrl ? html`<p><a href="${job.courseUrl}" role="button" class="compact">${t.openMoodleCourse(job.moodleCourseId ?? 0)}</a></p>` : ""}
${job.errorMessage ? html`<p class="${job.state === "queued" ? "notice" : "notice notice-error"}">${job.state === "queued" ? t.willRetry : ""}${job.errorMessage}${job.errorCode ? html` <code>${job.errorCode}</code>` : ""}</p>` : ""}
${problems.length ? html`<ul class="problems">${problems.map((problem) => html`<li>${problemText(t, problem, c.get("language"))}</li>`)}</ul>` : ""}
${jobChanges(c, job)}
${job.log ? html`<details><summary>${t.moodleLog}</summary><pre class="log">${job.log}</pre></details>` : ""}
</article>`;
}

/** What an update of a restored course changed: its headline in the summary, the lists inside. */
function jobChanges(c: WebContext, job: RestoreJob): Markup {
  const changes = job.changes as JobChanges | null;
  if (!changes) return html``;
  const t = c.get("t");
  const title = t.changes.afterUpdate(changes.from, changes.to);
  if (!changes.diff) {
    return html`<p class="notice">${title}${t.colon}${t.changes.unavailable(changes.unavailable ?? "")}</p>`;
  }
  return html`<details class="update-changes"><summary>${title}</summary>${changesMarkup(t, changes.diff)}</details>`;
}

/** The page's own address to reload, keeping only what says a restore was asked again. */
function refreshUrl(c: WebContext): string {
  const kept = new URLSearchParams();
  for (const name of ["again", "repeat"]) {
    const value = c.req.query(name);
    if (value) kept.set(name, value);
  }
  return kept.size ? `/restores?${kept}` : "/restores";
}

export function restoresRoutes(app: Hono<WebEnv>, { services }: WebDependencies): void {
  app.get("/restores", requireRole("teacher"), async (c) => {
    const t = c.get("t");
    const account = accountOf(c);
    const jobs = await visibleRestoreJobs(
      services,
      account.role === "admin" ? { kind: "admin" } : { kind: "teacher", actorId: account.actorId },
      { limit: PAGE_SIZE, offset: 0 },
    );
    const names = await services.moodleTargets.namesById();
    const entries = await Promise.all(
      jobs.map((job) => services.catalog.catalogEntry(job.objectUri)),
    );
    const active = jobs.some((job) => job.state === "queued" || job.state === "running");
    // WCAG 2.2.1: whoever needs more time (a screen reader midway through a log) turns it off.
    const refreshing = active && c.req.query("refresh") !== "off";
    return page(c, {
      title: t.restoresTitle,
      // A repeated restore's notice stays through the reloads, until the job is done.
      refresh: refreshing ? { seconds: REFRESH_SECONDS, url: refreshUrl(c) } : undefined,
      main: html`<hgroup><h1>${t.restoresTitle}</h1><p>${account.role === "admin" ? t.restoresIntro : t.restoresIntroTeacher}</p></hgroup>
${
  refreshing
    ? html`<p class="notice refresh-notice" role="status">${t.autoRefresh(REFRESH_SECONDS)} <a href="/restores?refresh=off">${t.stopRefreshing}</a></p>`
    : active
      ? html`<p class="notice refresh-notice" role="status">${t.refreshStopped} <a href="/restores">${t.refreshNow}</a></p>`
      : ""
}
${jobs.length ? jobs.map((job, i) => jobCard(c, job, entries[i], names.get(job.targetId) ?? "?")) : html`<article class="empty"><p>${t.noRestores}</p><p><a href="/catalog">${t.noRestoresHint}</a></p></article>`}`,
    });
  });
}
