import type { Context, Federation } from "@fedify/fedify";
import { Document, Hashtag, Link, PUBLIC_COLLECTION } from "@fedify/vocab";
import { mayRead } from "../courses/access.ts";
import type { Course, CourseRevision } from "../courses/course-repository.ts";
import { MBZ_MEDIA_TYPE } from "../courses/manifest.ts";
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

/**
 * A course as an ActivityPub Document: it shows as a card with title and summary in
 * Mastodon-like software, and carries the archive and its signed manifest as links.
 */
export function courseDocument(
  ctx: Context<FederationServices>,
  course: Course,
  revision: CourseRevision,
  actorIdentifier: string,
): Document {
  const id = ctx.getObjectUri(Document, { id: course.id });
  return new Document({
    id,
    attribution: ctx.getActorUri(actorIdentifier),
    name: course.title,
    summary: course.summary === null ? null : `<p>${escapeHtml(course.summary)}</p>`,
    url: id,
    published: Temporal.Instant.fromEpochMilliseconds(course.createdAt),
    updated: Temporal.Instant.fromEpochMilliseconds(revision.publishedAt),
    // Followers-only courses are addressed to the followers alone.
    ...(course.visibility === "public"
      ? { to: PUBLIC_COLLECTION, cc: ctx.getFollowersUri(actorIdentifier) }
      : { to: ctx.getFollowersUri(actorIdentifier) }),
    tags: course.tags.map(
      (tag) =>
        new Hashtag({
          name: `#${tag}`,
          href: new URL(`/tags/${encodeURIComponent(tag)}`, ctx.origin),
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
    .setObjectDispatcher(Document, "/courses/{id}", (ctx, { id }) => {
      const course = ctx.data.courses.course(id);
      const revision = course && ctx.data.courses.latestRevision(id);
      if (!course || !revision || course.deletedAt !== null || course.visibility === "private")
        return null;
      const actor = ctx.data.actors.byId(course.actorId);
      return actor ? courseDocument(ctx, course, revision, actor.identifier) : null;
    })
    .authorize(async (ctx, { id }) => {
      const course = ctx.data.courses.course(id);
      if (!course) return true;
      if (mayRead(ctx.data, course, undefined)) return true;
      const requester = (await ctx.getSignedKeyOwner())?.id?.href;
      return mayRead(ctx.data, course, requester);
    });
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
}
