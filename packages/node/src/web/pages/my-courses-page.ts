import { formatBytes } from "@coursefed/mbz";
import type { Hono } from "hono";
import { html } from "hono/html";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { LocalActor } from "../../actors/local-actors.ts";
import type { Course } from "../../courses/course-repository.ts";
import {
  type CourseMetadata,
  editCourse,
  PublishError,
  withdrawCourse,
} from "../../courses/publish-service.ts";
import { domainServices } from "../../federation/domain-services.ts";
import { refusalStatus } from "../../http/error-problems.ts";
import { hasRole } from "../../vocabulary/account-roles.ts";
import { formatDate } from "../format.ts";
import { csrfField, type Markup, page } from "../layout.ts";
import { accountOf, requireRole } from "../roles.ts";
import type { WebContext, WebDependencies, WebEnv } from "../web-env.ts";
import { errorPage } from "./error-page.ts";
import { metadataFields, metadataOf } from "./publish-page.ts";

const NOTICES = ["published", "withdrawn", "edited"] as const;

export function visibilityBadge(c: WebContext, course: Course): Markup {
  const t = c.get("t");
  const kind = course.visibility === "public" ? "badge-ok" : "badge-neutral";
  return html`<span class="badge ${kind}">${t.visibilities[course.visibility]}</span>`;
}

/** The form that edits a course's details, again with what was typed and why it was refused. */
function editPage(
  c: WebContext,
  course: Course,
  options: { values?: CourseMetadata; error?: string; status?: ContentfulStatusCode } = {},
) {
  const t = c.get("t");
  return page(c, {
    title: t.editTitle(course.title),
    status: options.status ?? 200,
    main: html`<hgroup><h1>${t.editTitle(course.title)}</h1><p>${t.editIntro}</p></hgroup>
${options.error ? html`<p class="notice notice-error" role="alert">${options.error}</p>` : ""}
<form method="post" action="/my-courses/${course.id}/edit">
${csrfField(c)}
${metadataFields(c, options.values ?? course, "edit")}
<div class="actions"><button type="submit">${t.saveDetails}</button>
<a href="/my-courses" role="button" class="secondary outline">${t.cancel}</a></div>
</form>`,
  });
}

/** The courses the signed-in account manages: its actor's own, or every one here for an admin. */
async function myCoursesPage(
  c: WebContext,
  services: WebDependencies["services"],
  actor: LocalActor,
) {
  const t = c.get("t");
  const language = c.get("language");
  // Admins see every course published here; they may change only their institution's.
  const admin = hasRole(accountOf(c).role, "admin");
  const courses = await services.courses.publishedCourses(admin ? undefined : actor.id);
  const notice = NOTICES.find((n) => n === c.req.query("notice"));
  const highlighted = c.req.query("course");
  const authors = new Map<number, LocalActor | undefined>();
  const listed = [];
  for (const course of courses) {
    if (!authors.has(course.actorId)) {
      authors.set(course.actorId, await services.actors.byId(course.actorId));
    }
    const revisions = await services.courses.revisions(course.id);
    listed.push({ course, revisions, author: authors.get(course.actorId) });
  }
  return page(c, {
    title: t.myCoursesTitle,
    main: html`<hgroup><h1>${t.myCoursesTitle}</h1><p>${admin ? t.myCoursesIntroAdmin : t.myCoursesIntro(actor.name)}</p></hgroup>
${notice ? html`<p class="notice notice-ok" role="status">${t.myCoursesNotices[notice]}</p>` : ""}
<p><a href="/publish" role="button">${t.publishNew}</a></p>
${
  courses.length === 0
    ? html`<p class="empty">${t.myCoursesNone}</p>`
    : html`<ul class="my-courses">${listed.map(({ course, revisions, author }) => {
        const mine = course.actorId === actor.id;
        return html`<li${course.id === highlighted ? html` class="highlighted"` : ""}>
<article aria-labelledby="course-${course.id}">
<header class="job-header"><h2 id="course-${course.id}"><a href="/courses/${course.id}">${course.title}</a></h2> ${visibilityBadge(c, course)}</header>
${!mine && author ? html`<p class="byline">${t.publishedBy(author.name)}</p>` : ""}
${course.tags.length ? html`<ul class="tags" aria-label="${t.courseTags}">${course.tags.map((tag) => html`<li><a href="/tags/${encodeURIComponent(tag)}">#${tag}</a></li>`)}</ul>` : ""}
<div class="table-scroll"><table>
<caption class="visually-hidden">${t.revisionsOf(course.title)}</caption>
<thead><tr><th scope="col">${t.revision}</th><th scope="col">${t.publishedOn}</th><th scope="col">${t.size}</th></tr></thead>
<tbody>${revisions.map((r) => html`<tr><td>${t.revisionNumber(r.revision)}</td><td>${formatDate(r.publishedAt, language)}</td><td>${formatBytes(r.size, language)}</td></tr>`)}</tbody>
</table></div>
<p class="actions">${
          // Every course listed may be edited (a teacher sees their own, an admin all of them);
          // new revisions and withdrawal are for the course's own actor.
          mine
            ? html`<a href="/publish?course=${course.id}" role="button" class="secondary" aria-label="${t.newRevisionOf(course.title)}">${t.newRevision}</a>
`
            : ""
        }<a href="/my-courses/${course.id}/edit" role="button" class="secondary outline" aria-label="${t.editDetailsOf(course.title)}">${t.editDetails}</a>${
          revisions.length > 1
            ? html`
<a href="/my-courses/${course.id}/changes" role="button" class="secondary outline" aria-label="${t.changes.compareOf(course.title)}">${t.changes.compare}</a>`
            : ""
        }${
          mine
            ? html`
<a href="/my-courses/${course.id}/withdraw" role="button" class="secondary outline" aria-label="${t.withdrawNamed(course.title)}">${t.withdraw}</a>`
            : ""
        }</p>
</article></li>`;
      })}</ul>`
}`,
  });
}

export function myCoursesRoutes(app: Hono<WebEnv>, { services, context }: WebDependencies): void {
  const actorOf = async (c: WebContext) =>
    (await services.actors.byId(accountOf(c).actorId)) as LocalActor;
  /** A course the signed-in actor published, still published. */
  const ownCourse = async (c: WebContext): Promise<Course | undefined> => {
    const course = await services.courses.course(c.req.param("id") ?? "");
    return course && course.deletedAt === null && course.actorId === (await actorOf(c)).id
      ? course
      : undefined;
  };

  /** A course still published that the signed-in account may edit: its own, or any for an admin. */
  const editableCourse = async (c: WebContext): Promise<Course | undefined> => {
    const course = await services.courses.course(c.req.param("id") ?? "");
    if (!course || course.deletedAt !== null) return undefined;
    return course.actorId === accountOf(c).actorId || hasRole(accountOf(c).role, "admin")
      ? course
      : undefined;
  };

  app.get("/my-courses", requireRole("teacher"), async (c) =>
    myCoursesPage(c, services, await actorOf(c)),
  );

  app.get("/my-courses/:id/edit", requireRole("teacher"), async (c) => {
    const t = c.get("t");
    const course = await editableCourse(c);
    if (!course) return errorPage(c, 404, t.courseNotFoundTitle, t.notYourCourse);
    return editPage(c, course);
  });

  app.post("/my-courses/:id/edit", requireRole("teacher"), async (c) => {
    const t = c.get("t");
    const course = await editableCourse(c);
    if (!course) return errorPage(c, 404, t.courseNotFoundTitle, t.notYourCourse);
    const metadata = metadataOf(await c.req.parseBody());
    if (!metadata.title)
      return editPage(c, course, { values: metadata, error: t.titleRequired, status: 422 });
    try {
      await editCourse(
        domainServices(context(c.req.raw)),
        { actorId: accountOf(c).actorId, mayEditAny: hasRole(accountOf(c).role, "admin") },
        course.id,
        metadata,
      );
    } catch (error) {
      if (!(error instanceof PublishError)) throw error;
      if (error.code !== "INVALID_METADATA")
        return errorPage(c, refusalStatus(error), t.courseNotFoundTitle, t.notYourCourse);
      return editPage(c, course, {
        values: metadata,
        error: error.message,
        status: refusalStatus(error),
      });
    }
    return c.redirect(`/my-courses?notice=edited&course=${encodeURIComponent(course.id)}`, 303);
  });

  app.get("/my-courses/:id/withdraw", requireRole("teacher"), async (c) => {
    const t = c.get("t");
    const course = await ownCourse(c);
    if (!course) return errorPage(c, 404, t.courseNotFoundTitle, t.notYourCourse);
    return page(c, {
      title: t.withdrawTitle(course.title),
      main: html`<article class="confirm" aria-labelledby="withdraw-heading">
<h1 id="withdraw-heading">${t.withdrawTitle(course.title)}</h1>
<p>${t.withdrawExplanation}</p>
<form method="post" action="/my-courses/${course.id}/withdraw" class="actions">
${csrfField(c)}
<button type="submit" class="danger">${t.withdrawConfirm}</button>
<a href="/my-courses" role="button" class="secondary outline">${t.cancel}</a>
</form>
</article>`,
    });
  });

  app.post("/my-courses/:id/withdraw", requireRole("teacher"), async (c) => {
    const t = c.get("t");
    const course = await ownCourse(c);
    if (!course) return errorPage(c, 404, t.courseNotFoundTitle, t.notYourCourse);
    try {
      await withdrawCourse(domainServices(context(c.req.raw)), await actorOf(c), course.id);
    } catch (error) {
      if (error instanceof PublishError)
        return errorPage(c, refusalStatus(error), t.courseNotFoundTitle, t.notYourCourse);
      throw error;
    }
    return c.redirect("/my-courses?notice=withdrawn", 303);
  });
}
