import { formatBytes } from "@coursefed/mbz";
import type { Context, Federation } from "@fedify/fedify";
import { Hashtag, Link, Page, PUBLIC_COLLECTION } from "@fedify/vocab";
import { mayRead } from "../courses/access.ts";
import type { Course, CourseRevision } from "../courses/course-repository.ts";
import { MBZ_MEDIA_TYPE, readOwnManifest } from "../manifests/course-manifest.ts";
import { Temporal } from "../temporal.ts";
import type { FederationServices } from "./context.ts";

/** A JWS: the manifest link's media type, which tells it from the archive link. */
export const JWS_MEDIA_TYPE = "application/jose";

export function archiveUrl(ctx: Context<FederationServices>, sha256: string): URL {
  return new URL(`/blobs/${sha256}`, ctx.origin);
}

export function manifestUrl(
  ctx: Context<FederationServices>,
  courseId: string,
  revision: number,
): URL {
  return new URL(`/courses/${courseId}/revisions/${revision}/manifest`, ctx.origin);
}

function tagUrl(ctx: Context<FederationServices>, tag: string): URL {
  return new URL(`/tags/${encodeURIComponent(tag)}`, ctx.origin);
}

/**
 * A course as an ActivityPub Page, a kind of Document: Mastodon shows a Page's name and
 * link (it drops a plain Document), Misskey and others its `content`. The archive and its
 * signed manifest are links. Receivers accept any Document, so older nodes that sent
 * plain Documents still interoperate.
 */
export function courseObject(
  ctx: Context<FederationServices>,
  course: Course,
  revision: CourseRevision,
  actorIdentifier: string,
): Page {
  const id = ctx.getObjectUri(Page, { id: course.id });
  return new Page({
    id,
    attribution: ctx.getActorUri(actorIdentifier),
    name: course.title,
    summary: course.summary === null ? null : paragraphs(course.summary),
    content: courseContent(ctx, course, revision),
    mediaType: "text/html",
    url: id,
    published: Temporal.Instant.fromEpochMilliseconds(course.createdAt),
    // The latest revision, or the latest edit of the course's details since.
    updated: Temporal.Instant.fromEpochMilliseconds(
      Math.max(course.updatedAt, revision.publishedAt),
    ),
    // Followers-only courses are addressed to the followers alone.
    ...(course.visibility === "public"
      ? { to: PUBLIC_COLLECTION, cc: ctx.getFollowersUri(actorIdentifier) }
      : { to: ctx.getFollowersUri(actorIdentifier) }),
    tags: course.tags.map(
      (tag) =>
        new Hashtag({
          name: `#${tag}`,
          href: tagUrl(ctx, tag),
        }),
    ),
    attachments: [
      new Link({
        href: archiveUrl(ctx, revision.sha256),
        mediaType: MBZ_MEDIA_TYPE,
        name: `revision ${revision.revision} (${revision.size} bytes, sha256 ${revision.sha256})`,
      }),
      new Link({
        href: manifestUrl(ctx, course.id, revision.revision),
        mediaType: JWS_MEDIA_TYPE,
        name: "manifest",
      }),
    ],
  });
}

/**
 * Courses answer at /courses/{id}: public ones to anyone, followers-only ones to a
 * request signed by an accepted follower; private and withdrawn ones to nobody.
 */
export function registerCourseObjects(federation: Federation<FederationServices>): void {
  federation
    .setObjectDispatcher(Page, "/courses/{id}", async (ctx, { id }) => {
      const course = await ctx.data.courses.course(id);
      const revision = course && (await ctx.data.courses.latestRevision(id));
      if (!course || !revision || course.deletedAt !== null || course.visibility === "private")
        return null;
      const actor = await ctx.data.actors.byId(course.actorId);
      return actor ? courseObject(ctx, course, revision, actor.identifier) : null;
    })
    .authorize(async (ctx, { id }) => {
      const course = await ctx.data.courses.course(id);
      if (!course) return true;
      if (await mayRead(ctx.data, course, undefined)) return true;
      const requester = (await ctx.getSignedKeyOwner())?.id?.href;
      return await mayRead(ctx.data, course, requester);
    });
}

/**
 * The post as timelines show it (Misskey and others show a Page's content, not its
 * name or attachments): the summary, the tags as hashtag links in Mastodon's markup, and
 * what the archive is with a link to download it. Titles, summaries and tags are user
 * input: everything from them is escaped.
 */
function courseContent(
  ctx: Context<FederationServices>,
  course: Course,
  revision: CourseRevision,
): string {
  const { moodle } = readOwnManifest(revision.manifest);
  const hashtags = course.tags
    .map(
      (tag) =>
        `<a href="${escapeHtml(tagUrl(ctx, tag).href)}" class="mention hashtag" rel="tag">#<span>${escapeHtml(tag)}</span></a>`,
    )
    .join(" ");
  const licence = course.license === null ? "" : `, licence ${escapeHtml(course.license)}`;
  return [
    course.summary === null ? "" : paragraphs(course.summary),
    hashtags === "" ? "" : `<p>${hashtags}</p>`,
    // Worked out at publishing from the two archives (courses/revision-changes.ts).
    revision.changes === null
      ? ""
      : `<p>Changes since revision ${revision.revision - 1}: ${escapeHtml(revision.changes)}</p>`,
    `<p>Moodle course backup, revision ${revision.revision}: ${formatBytes(revision.size)}, ` +
      `Moodle ${escapeHtml(moodle.release)}${licence}. ` +
      `<a href="${escapeHtml(archiveUrl(ctx, revision.sha256).href)}">Download the .mbz</a></p>`,
  ].join("");
}

/** Plain text as HTML paragraphs: blank lines part paragraphs, single newlines break lines. */
export function paragraphs(text: string): string {
  return text
    .trim()
    .split(/\r?\n\s*\r?\n/)
    .map((paragraph) => `<p>${escapeHtml(paragraph.trim()).replace(/\r?\n/g, "<br>")}</p>`)
    .join("");
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
}
