import type { Hono } from "hono";
import { html } from "hono/html";
import type { LocalActor } from "../../actors/local-actors.ts";
import type { Course } from "../../courses/course-repository.ts";
import { PublishError, withdrawCourse } from "../../courses/publish-service.ts";
import { formatDate, formatSize } from "../format.ts";
import { csrfField, type Markup, page } from "../layout.ts";
import { accountOf, hasRole, requireRole } from "../roles.ts";
import type { WebContext, WebDependencies, WebEnv } from "../web-env.ts";
import { errorPage } from "./error-page.ts";

const NOTICES = ["published", "withdrawn"] as const;

export function visibilityBadge(c: WebContext, course: Course): Markup {
  const t = c.get("t");
  const kind = course.visibility === "public" ? "badge-ok" : "badge-neutral";
  return html`<span class="badge ${kind}">${t.visibilities[course.visibility]}</span>`;
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

  app.get("/my-courses", requireRole("teacher"), async (c) => {
    const t = c.get("t");
    const language = c.get("language");
    const actor = await actorOf(c);
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
<tbody>${revisions.map((r) => html`<tr><td>${t.revisionNumber(r.revision)}</td><td>${formatDate(r.publishedAt, language)}</td><td>${formatSize(r.size, language)}</td></tr>`)}</tbody>
</table></div>
${
  mine
    ? html`<p class="actions"><a href="/publish?course=${course.id}" role="button" class="secondary" aria-label="${t.newRevisionOf(course.title)}">${t.newRevision}</a>
<a href="/my-courses/${course.id}/withdraw" role="button" class="secondary outline" aria-label="${t.withdrawNamed(course.title)}">${t.withdraw}</a></p>`
    : ""
}
</article></li>`;
      })}</ul>`
}`,
    });
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
      await withdrawCourse(context(c.req.raw), await actorOf(c), course.id);
    } catch (error) {
      if (error instanceof PublishError)
        return errorPage(c, 404, t.courseNotFoundTitle, t.notYourCourse);
      throw error;
    }
    return c.redirect("/my-courses?notice=withdrawn", 303);
  });
}
