import { formatBytes } from "@coursefed/mbz";
import type { Context, Hono, Next } from "hono";
import { html } from "hono/html";
import type { LocalActor } from "../../actors/local-actors.ts";
import type { Course } from "../../courses/course-repository.ts";
import { institutionLogoUrl } from "../../settings/institution-logo.ts";
import { formatDate } from "../format.ts";
import { type Markup, page } from "../layout.ts";
import type { WebContext, WebDependencies, WebEnv } from "../web-env.ts";
import { errorPage } from "./error-page.ts";
import { visibilityBadge } from "./my-courses-page.ts";

/** Courses listed on a profile or a tag page: enough for a reader, not a catalog. */
const LISTED = 100;

/**
 * The same URLs answer ActivityStreams to peers (Fedify, before these routes, for any
 * request naming an ActivityStreams or JSON type) and HTML to everyone else: browsers,
 * and clients that take any type (an Accept of any type, or none: curl, link previews,
 * crawlers), which get the page as from Mastodon, whose profile and status routes answer
 * HTML unless JSON is asked for. A request for some other type gets the plain 404 (406).
 */
async function browsersOnly(c: Context<WebEnv>, next: Next) {
  const accept = c.req.header("accept");
  const takesAnything = accept === undefined || /(^|,)\s*\*\/\*\s*(;|,|$)/.test(accept);
  if (!accept?.includes("text/html") && !takesAnything) return c.notFound();
  await next();
  c.header("vary", "Accept", { append: true });
}

function handleOf(actor: LocalActor, publicUrl: URL): string {
  return `@${actor.handle}@${publicUrl.host}`;
}

function courseList(c: WebContext, courses: readonly Course[], empty: string): Markup {
  const t = c.get("t");
  const language = c.get("language");
  if (courses.length === 0) return html`<p class="empty">${empty}</p>`;
  return html`<ul class="public-courses">${courses.map(
    (course) => html`<li><article>
<h3><a href="/courses/${course.id}">${course.title}</a></h3>
${course.summary ? html`<p class="summary">${course.summary}</p>` : ""}
<p><small>${t.updatedOn(formatDate(course.updatedAt, language))}${course.license ? html` · ${course.license}` : ""}</small></p>
${tagList(c, course.tags)}
</article></li>`,
  )}</ul>`;
}

function tagList(c: WebContext, tags: readonly string[]): Markup {
  if (tags.length === 0) return html``;
  return html`<ul class="tags" aria-label="${c.get("t").courseTags}">${tags.map((tag) => html`<li><a href="/tags/${encodeURIComponent(tag)}" rel="tag">#${tag}</a></li>`)}</ul>`;
}

/**
 * Pages for readers from elsewhere, signed in or not: an actor's profile with its public
 * courses and how to follow it, a course, and the courses of a tag.
 */
export function publicRoutes(app: Hono<WebEnv>, { services, publicUrl }: WebDependencies): void {
  app.get("/actors/:identifier", browsersOnly, async (c) => {
    const t = c.get("t");
    const actor = await services.actors.byIdentifier(c.req.param("identifier") ?? "");
    if (!actor) return errorPage(c, 404, t.notFoundTitle, t.actorNotFound);
    const handle = handleOf(actor, publicUrl);
    // The institution's logo, as other servers show it (its actor's icon).
    const logo =
      actor.type === "Organization" ? await services.settings.institutionLogo() : undefined;
    const courses = await services.courses.publicCoursesOf(actor.id, null, LISTED);
    const count = await services.courses.countPublicCourses(actor.id);
    return page(c, {
      title: actor.name,
      main: html`<header class="profile">
${logo ? html`<img class="avatar" src="${institutionLogoUrl(publicUrl, logo).pathname}" alt="" width="64" height="64">` : html`<span class="avatar" aria-hidden="true">${[...actor.name][0] ?? "?"}</span>`}
<hgroup><h1>${actor.name}</h1><p><span class="handle">${handle}</span> · ${actor.type === "Organization" ? t.institutionProfile : t.teacherProfile}</p></hgroup>
</header>
${actor.summary ? html`<p class="summary">${actor.summary}</p>` : ""}
<div class="grid course-panels">
<section aria-labelledby="public-courses">
<h2 id="public-courses">${t.publicCourses} <small>(${count})</small></h2>
${courseList(c, courses, t.noPublicCourses)}
</section>
<section aria-labelledby="how-to-follow">
<h2 id="how-to-follow">${t.howToFollow}</h2>
<p>${t.followFromCoursefed}</p>
<p>${t.followFromMastodon}</p>
<p><label for="follow-handle">${t.handleToCopy}</label>
<input id="follow-handle" readonly value="${handle}"></p>
</section>
</div>`,
    });
  });

  app.get("/courses/:id", browsersOnly, async (c) => {
    const t = c.get("t");
    const language = c.get("language");
    const course = await services.courses.course(c.req.param("id") ?? "");
    const revisions = course ? await services.courses.revisions(course.id) : [];
    const author = course && (await services.actors.byId(course.actorId));
    // As for peers: a course that is not public does not exist for an anonymous reader.
    const readable =
      course &&
      author &&
      revisions.length > 0 &&
      course.deletedAt === null &&
      (course.visibility === "public" || c.get("session") !== undefined);
    if (!readable) return errorPage(c, 404, t.notFoundTitle, t.courseGone);
    // Followers download with a signed request from their node, not from a browser.
    const downloadable = course.visibility === "public";
    return page(c, {
      title: course.title,
      main: html`<article class="course public-course">
<header>
<h1>${course.title}</h1>
<p class="byline">${t.by} <a href="/actors/${author.identifier}">${author.name}</a> <small class="handle">${handleOf(author, publicUrl)}</small> ${course.visibility === "public" ? "" : visibilityBadge(c, course)}</p>
</header>
${course.summary ? html`<p class="summary">${course.summary}</p>` : ""}
${tagList(c, course.tags)}
<dl class="facts">
${course.license ? html`<dt>${t.courseLicense}</dt><dd>${course.license}</dd>` : ""}
<dt>${t.publishedOn}</dt><dd>${formatDate(course.createdAt, language)}</dd>
<dt>${t.updatedOnLabel}</dt><dd>${formatDate(course.updatedAt, language)}</dd>
</dl>
<section aria-labelledby="revisions">
<h2 id="revisions">${t.revisions}</h2>
<div class="table-scroll"><table>
<thead><tr><th scope="col">${t.revision}</th><th scope="col">${t.publishedOn}</th><th scope="col">${t.size}</th><th scope="col">sha256</th>${downloadable ? html`<th scope="col"><span class="visually-hidden">${t.download}</span></th>` : ""}</tr></thead>
<tbody>${revisions.map(
        (r) =>
          html`<tr><td>${t.revisionNumber(r.revision)}</td><td>${formatDate(r.publishedAt, language)}</td><td>${formatBytes(r.size, language)}</td><td><code class="digest">${r.sha256.slice(0, 16)}…</code></td>${downloadable ? html`<td><a href="/blobs/${r.sha256}" download="${course.id}-r${r.revision}.mbz" aria-label="${t.downloadRevision(r.revision)}">${t.downloadShort}</a></td>` : ""}</tr>`,
      )}</tbody>
</table></div>
</section>
<p><small>${t.restoreHint}</small></p>
</article>`,
    });
  });

  app.get("/tags/:tag", browsersOnly, async (c) => {
    const t = c.get("t");
    const tag = c.req.param("tag") ?? "";
    const courses = await services.courses.publicCoursesTagged(tag, LISTED);
    return page(c, {
      title: `#${tag}`,
      main: html`<hgroup><h1>#${tag}</h1><p>${t.tagIntro(c.get("siteName"))}</p></hgroup>
${courseList(c, courses, t.noTaggedCourses)}`,
    });
  });
}
