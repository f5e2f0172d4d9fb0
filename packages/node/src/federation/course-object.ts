import { formatBytes } from "@coursefed/mbz";
import type { Context, Federation } from "@fedify/fedify";
import { Document, Note, PUBLIC_COLLECTION } from "@fedify/vocab";
import { mayRead } from "../courses/access.ts";
import type { Course, CourseRevision } from "../courses/course-repository.ts";
import { MBZ_MEDIA_TYPE, readOwnManifest } from "../manifests/course-manifest.ts";
import type { FederationServices } from "./context.ts";
import { sha256DigestMultibase } from "./digest-multibase.ts";
import type { SignedRequester } from "./signed-requester.ts";

/** A JWS: the manifest link's media type, which tells it from the archive link. */
export const JWS_MEDIA_TYPE = "application/jose";

/**
 * The JSON-LD context of everything the node says about its courses. Written out once,
 * it makes every term a plain-JSON reader looks at come out the same whoever serializes:
 * `Hashtag` (Mastodon and Misskey compare the type to that word), and FEP-1311's
 * `digestMultibase` (from the data integrity context) and `size` (PeerTube's term, as
 * FEP-1311 has it) on the archive link.
 */
export const COURSE_CONTEXT = [
  "https://www.w3.org/ns/activitystreams",
  "https://w3id.org/security/data-integrity/v1",
  { Hashtag: "as:Hashtag", size: "https://joinpeertube.org/ns#size" },
];

/** A JSON-LD document as it goes on the wire, compacted with COURSE_CONTEXT. */
export type WireJson = Record<string, unknown>;

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

/** A course's id: its page for browsers, its object for ActivityPub. */
export function courseUri(ctx: Context<FederationServices>, courseId: string): URL {
  return ctx.getObjectUri(Note, { id: courseId });
}

/** A tag's page for browsers, the collection of its public courses for ActivityPub. */
export function tagUrl(ctx: Context<FederationServices>, tag: string): URL {
  return new URL(`/tags/${encodeURIComponent(tag)}`, ctx.origin);
}

/**
 * The course as every reader gets it: fetched at its id, embedded in the Create, Update
 * or Announce that carries it, listed in an outbox. It is a Note whose `content` says it
 * all (title, summary, hashtags, size, Moodle release, licence, link to its page), with
 * no `name` and no `summary`: Mastodon shows a Note's content, but makes any other type
 * name + summary + link and drops the content; Misskey, GoToSocial and Pleroma take a
 * Note's `summary` as a content warning, and GoToSocial its `name` too. docs/federation.md
 * has the source lines. The archive and manifest links, which timelines ignore, carry
 * what coursefed peers read: the archive link's `name` and `summary` are the course's
 * title and summary, with FEP-1311's digest and size.
 */
export function courseJson(
  ctx: Context<FederationServices>,
  course: Course,
  revision: CourseRevision,
  authorIdentifier: string,
): WireJson {
  const id = courseUri(ctx, course.id).href;
  const followers = ctx.getFollowersUri(authorIdentifier).href;
  return {
    id,
    type: "Note",
    attributedTo: ctx.getActorUri(authorIdentifier).href,
    content: courseContent(ctx, course, revision),
    mediaType: "text/html",
    url: id,
    published: new Date(course.createdAt).toISOString(),
    // The latest revision, or the latest edit of the course's details since.
    updated: new Date(Math.max(course.updatedAt, revision.publishedAt)).toISOString(),
    // Followers-only courses are addressed to the followers alone.
    ...(course.visibility === "public"
      ? { to: [PUBLIC_COLLECTION.href], cc: [followers] }
      : { to: [followers] }),
    tag: course.tags.map((tag) => ({
      type: "Hashtag",
      href: tagUrl(ctx, tag).href,
      name: `#${tag}`,
    })),
    // The manifest first: Mastodon previews the first link attachment, and a small JWS
    // costs it less to look at than the archive.
    attachment: [
      {
        type: "Link",
        href: manifestUrl(ctx, course.id, revision.revision).href,
        mediaType: JWS_MEDIA_TYPE,
        name: "manifest",
      },
      {
        type: "Link",
        href: archiveUrl(ctx, revision.sha256).href,
        mediaType: MBZ_MEDIA_TYPE,
        name: course.title,
        ...(course.summary === null ? {} : { summary: paragraphs(course.summary) }),
        digestMultibase: sha256DigestMultibase(revision.sha256),
        size: revision.size,
      },
    ],
  };
}

/**
 * Whether a fetched or delivered object may be a course: a Note (since courses read
 * right in timelines) or any Document (Page, as older nodes sent them).
 */
export function isCourseObject(object: unknown): object is Note | Document {
  return object instanceof Note || object instanceof Document;
}

/**
 * What a revision changed since the previous one, by language, for its Update's
 * summaryMap: English alone for a revision published before the node kept other
 * languages; null for a first revision or one whose changes could not be worked out.
 */
export function revisionChanges(revision: CourseRevision): Record<string, string> | null {
  if (revision.changesByLanguage) return revision.changesByLanguage;
  return revision.changes === null ? null : { en: revision.changes };
}

/** A JSON-LD document of its own: `json` with COURSE_CONTEXT. */
export function withCourseContext(json: WireJson): WireJson {
  return { "@context": COURSE_CONTEXT, ...json };
}

/** The course as a Fedify object, for what Fedify wants one for; it serializes as courseJson. */
export async function courseObject(
  ctx: Context<FederationServices>,
  course: Course,
  revision: CourseRevision,
  authorIdentifier: string,
): Promise<Note> {
  const document = withCourseContext(courseJson(ctx, course, revision, authorIdentifier));
  // Parsed objects keep the document they were read from, and give it back when asked for
  // their JSON-LD without a format: how Fedify answers a fetch of the object.
  return await Note.fromJsonLd(document, {
    contextLoader: ctx.contextLoader,
    documentLoader: ctx.documentLoader,
  });
}

/**
 * Courses answer at /courses/{id}: public ones to anyone, followers-only ones to a
 * request signed by an accepted follower; private ones to nobody; withdrawn ones with a
 * Tombstone and 410 (http/course-object-routes.ts, when this answers nothing).
 */
export function registerCourseObjects(
  federation: Federation<FederationServices>,
  requesterOf: SignedRequester,
): void {
  federation
    .setObjectDispatcher(Note, "/courses/{id}", async (ctx, { id }) => {
      const course = await ctx.data.courses.course(id);
      const revision = course && (await ctx.data.courses.latestRevision(id));
      if (!course || !revision || course.deletedAt !== null || course.visibility === "private")
        return null;
      const actor = await ctx.data.actors.byId(course.actorId);
      return actor ? await courseObject(ctx, course, revision, actor.identifier) : null;
    })
    .authorize(async (ctx, { id }) => {
      const course = await ctx.data.courses.course(id);
      if (!course) return true;
      if (await mayRead(ctx.data, course, undefined)) return true;
      return await mayRead(ctx.data, course, await requesterOf(ctx));
    });
}

/**
 * The post as timelines show it: the title, the summary, the tags as hashtag links in
 * Mastodon's markup, what the archive is and a link to the course's page. Titles,
 * summaries and tags are user input: everything from them is escaped.
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
  const page = escapeHtml(courseUri(ctx, course.id).href);
  return [
    `<p><strong>${escapeHtml(course.title)}</strong></p>`,
    course.summary === null ? "" : paragraphs(course.summary),
    hashtags === "" ? "" : `<p>${hashtags}</p>`,
    // Worked out at publishing from the two archives (courses/revision-changes.ts).
    revision.changes === null
      ? ""
      : `<p>Changes since revision ${revision.revision - 1}: ${escapeHtml(revision.changes)}</p>`,
    `<p>Moodle course backup, revision ${revision.revision}: ${formatBytes(revision.size)}, ` +
      `Moodle ${escapeHtml(moodle.release)}${licence}. <a href="${page}">${page}</a></p>`,
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
