import type { BackupDiff } from "@coursefed/mbz";
import type { Hono } from "hono";
import { html } from "hono/html";
import { catalogChanges } from "../../catalog/revision-changes.ts";
import { CourseChangesError, ownCourseChanges } from "../../courses/revision-changes.ts";
import { withInstitutionSigner } from "../../federation/signed-fetch.ts";
import { refusalStatus } from "../../http/error-problems.ts";
import { isChangesRefusal } from "../../restores/update-changes.ts";
import { hasRole } from "../../vocabulary/account-roles.ts";
import { page } from "../layout.ts";
import { accountOf, requireRole } from "../roles.ts";
import type { WebContext, WebDependencies, WebEnv } from "../web-env.ts";
import { changesMarkup, compareRevisionsForm } from "./changes-markup.ts";
import { courseLink } from "./course-page.ts";
import { errorPage } from "./error-page.ts";

function revisionParameter(c: WebContext, name: string): number | undefined {
  const value = c.req.query(name) ?? "";
  return /^[1-9]\d{0,8}$/.test(value) ? Number(value) : undefined;
}

/**
 * GET /catalog/changes?object&from&to: what changed between two revisions of a catalog
 * course. Teachers only, as downloads are: the archives are fetched to compare them.
 * GET /my-courses/{id}/changes?from&to: the same for a course published here, as
 * GET /api/v1/courses/{id}/changes answers it (its author, an admin, or a public course).
 */
export function changesPageRoutes(app: Hono<WebEnv>, { services, context }: WebDependencies) {
  app.get("/catalog/changes", requireRole("teacher"), async (c) => {
    const t = c.get("t");
    const object = c.req.query("object") ?? "";
    const entry = await services.catalog.catalogEntry(object);
    if (!entry) return errorPage(c, 404, t.notInCatalogTitle, t.notInCatalog);
    const to = revisionParameter(c, "to") ?? entry.revision;
    const from = revisionParameter(c, "from") ?? Math.max(1, to - 1);
    let diff: BackupDiff;
    try {
      diff = (await catalogChanges(withInstitutionSigner(context(c.req.raw)), object, from, to))
        .diff;
    } catch (error) {
      if (!isChangesRefusal(error)) throw error;
      return errorPage(c, refusalStatus(error), t.changes.refusedTitle, error.message);
    }
    const revisions = (await services.catalog.catalogRevisions(object))
      .map((revision) => revision.revision)
      .sort((a, b) => a - b);
    const title = t.changes.title(entry.title, from, to);
    return page(c, {
      title,
      main: html`<nav aria-label="${t.breadcrumb}"><ul><li><a href="/catalog">${t.catalogTitle}</a></li><li><a href="${courseLink(object)}">${entry.title}</a></li><li>${t.changes.compare}</li></ul></nav>
<article class="changes">
<header><h1>${title}</h1><p>${t.changes.intro}</p></header>
${compareRevisionsForm(t, "/catalog/changes", { object }, revisions, { from, to })}
<section aria-label="${title}">${changesMarkup(t, diff)}</section>
</article>`,
    });
  });

  app.get("/my-courses/:id/changes", requireRole("teacher"), async (c) => {
    const t = c.get("t");
    const account = accountOf(c);
    const courseId = c.req.param("id");
    const revisions = (await services.courses.revisions(courseId))
      .map((revision) => revision.revision)
      .sort((a, b) => a - b);
    const to = revisionParameter(c, "to") ?? revisions.at(-1) ?? 1;
    const from = revisionParameter(c, "from") ?? Math.max(1, to - 1);
    let diff: BackupDiff;
    try {
      diff = (
        await ownCourseChanges(
          services,
          { actorId: account.actorId, admin: hasRole(account.role, "admin") },
          courseId,
          from,
          to,
        )
      ).diff;
    } catch (error) {
      if (!(error instanceof CourseChangesError || isChangesRefusal(error))) throw error;
      return errorPage(c, refusalStatus(error), t.changes.refusedTitle, error.message);
    }
    const course = await services.courses.course(courseId);
    const title = t.changes.title(course?.title ?? courseId, from, to);
    return page(c, {
      title,
      main: html`<nav aria-label="${t.breadcrumb}"><ul><li><a href="/my-courses">${t.myCoursesTitle}</a></li><li>${t.changes.compare}</li></ul></nav>
<article class="changes">
<header><h1>${title}</h1><p>${t.changes.intro}</p></header>
${compareRevisionsForm(t, `/my-courses/${encodeURIComponent(courseId)}/changes`, {}, revisions, { from, to })}
<section aria-label="${title}">${changesMarkup(t, diff)}</section>
</article>`,
    });
  });
}
