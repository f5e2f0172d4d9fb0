import type { LocalActor, LocalActorRepository } from "../actors/local-actors.ts";
import { moodleBranchNumber } from "../catalog/catalog-restorable.ts";
import type { Course, CourseRepository, CourseRevision } from "../courses/course-repository.ts";
import type { FollowRepository } from "../follows/follow-repository.ts";
import { type CourseManifest, readOwnManifest } from "../manifests/course-manifest.ts";
import type { NetworkSearchHit } from "./network-search-answer.ts";
import { NetworkSearchError, type NetworkSearchQuery } from "./network-search-query.ts";
import { searchWords, textRelevance } from "./text-relevance.ts";

/** The most results one answer holds; a peer asks for the next page with the cursor. */
export const MAX_ANSWER_ITEMS = 50;

/** What answering a peer's search reads: our courses, our actors, who follows them. */
export interface OwnCourseSearchStores {
  readonly courses: CourseRepository;
  readonly actors: LocalActorRepository;
  readonly follows: FollowRepository;
}

/** One page of our courses for a peer. */
export interface OwnCoursePage {
  readonly items: NetworkSearchHit[];
  readonly next: string | null;
}

/** Where a page ends in the ranking: a result's score, update time and id. */
interface Position {
  readonly score: number;
  readonly updated: number;
  readonly id: string;
}

/**
 * This node's own courses matching a peer's search, as that peer may see them: public
 * ones, and followers-only ones of the actors (a teacher, or the institution that
 * announces its teachers' courses) an actor of the requester's server follows with an
 * accepted follow, as for the outbox and the archives. Never private or withdrawn ones,
 * never the catalog of others' courses (each node answers for its own). Best matches
 * first (text relevance, then the newest), `limit` at a time; `cursor` is the `next` of
 * the page before.
 */
export async function searchOwnCourses(
  stores: OwnCourseSearchStores,
  request: {
    readonly origin: URL;
    /** The origin of the server whose actor signed the request. */
    readonly requesterOrigin: string;
    readonly query: NetworkSearchQuery;
    readonly limit: number;
    readonly cursor?: string | undefined;
  },
): Promise<OwnCoursePage> {
  const { query, origin } = request;
  const after = request.cursor ? positionOf(request.cursor) : undefined;
  const limit = Math.max(1, Math.min(request.limit, MAX_ANSWER_ITEMS));
  if (query.institution && query.institution !== origin.host) return { items: [], next: null };
  const institution = await stores.actors.byIdentifier("institution");
  const followed = await stores.follows.localActorsFollowedFrom(request.requesterOrigin);
  const institutionFollowed = institution !== undefined && followed.has(institution.id);
  const readable = await stores.courses.publishedWithLatestRevision(
    followed.size > 0 ? ["public", "followers"] : ["public"],
    query.tag,
  );
  const actors = new Map<number, LocalActor>(
    (await stores.actors.all()).map((actor) => [actor.id, actor]),
  );
  const words = searchWords(query.q ?? "");
  const teacher = query.teacher?.trim().replace(/^@/, "").toLowerCase();
  const branch = query.moodle === undefined ? undefined : (moodleBranchNumber(query.moodle) ?? -1);
  const ranked: Array<
    Position & {
      course: Course;
      revision: CourseRevision;
      manifest: CourseManifest;
      author: LocalActor;
    }
  > = [];
  for (const { course, revision } of readable) {
    // As mayRead (courses/access.ts): a follower of the author, or of the institution.
    if (
      course.visibility === "followers" &&
      !followed.has(course.actorId) &&
      !institutionFollowed
    ) {
      continue;
    }
    const author = actors.get(course.actorId);
    if (!author) continue;
    if (teacher !== undefined) {
      const handle = `${author.handle}@${origin.host}`.toLowerCase();
      if (author.type !== "Person") continue;
      if (!handle.includes(teacher) && !author.name.toLowerCase().includes(teacher)) continue;
    }
    const manifest = readOwnManifest(revision.manifest);
    if (query.language && !manifest.languages.some((each) => sameText(each, query.language))) {
      continue;
    }
    if (query.plugin && !manifest.requiredPlugins.some((each) => sameText(each, query.plugin))) {
      continue;
    }
    if (query.withoutPlugins && manifest.requiredPlugins.length > 0) continue;
    if (branch !== undefined) {
      const made = moodleBranchNumber(manifest.moodle?.backupRelease ?? "");
      if (made === null || made > branch) continue;
    }
    const score = textRelevance(words, course);
    if (score === undefined) continue;
    const position = { score, updated: course.updatedAt, id: course.id };
    if (after && !comesAfter(position, after)) continue;
    ranked.push({ ...position, course, revision, manifest, author });
  }
  ranked.sort((a, b) => (comesAfter(a, b) ? 1 : comesAfter(b, a) ? -1 : 0));
  const page = ranked.slice(0, limit);
  const last = page.at(-1);
  return {
    items: page.map(({ course, revision, manifest, author }) =>
      hitOf(origin, { course, revision, manifest }, author, institution),
    ),
    next: ranked.length > limit && last ? cursorOf(last) : null,
  };
}

function sameText(a: string, b: string | undefined): boolean {
  return a.toLowerCase() === b?.toLowerCase();
}

/** Whether `a` ranks below `b`: a lower score, then older, then a later id. */
function comesAfter(a: Position, b: Position): boolean {
  if (a.score !== b.score) return a.score < b.score;
  if (a.updated !== b.updated) return a.updated < b.updated;
  return a.id > b.id;
}

function cursorOf(position: Position): string {
  return Buffer.from(JSON.stringify([position.score, position.updated, position.id])).toString(
    "base64url",
  );
}

/** The position a cursor names; a NetworkSearchError for one this node did not write. */
function positionOf(cursor: string): Position {
  try {
    const [score, updated, id] = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    if (typeof score === "number" && typeof updated === "number" && typeof id === "string") {
      return { score, updated, id };
    }
  } catch {
    // Refused below, as any cursor this node did not give.
  }
  throw new NetworkSearchError(
    "INVALID_QUERY",
    "The cursor is not one this node gave; ask again without it for the first page.",
  );
}

function hitOf(
  origin: URL,
  {
    course,
    revision,
    manifest,
  }: { course: Course; revision: CourseRevision; manifest: CourseManifest },
  author: LocalActor,
  institution: LocalActor | undefined,
): NetworkSearchHit {
  const object = new URL(`/courses/${course.id}`, origin).href;
  const branch = moodleBranchNumber(manifest.moodle?.backupRelease ?? "");
  return {
    object,
    url: object,
    title: course.title,
    summary: course.summary,
    institution: actorOf(origin, institution ?? author),
    teacher: author.type === "Person" ? actorOf(origin, author) : null,
    tags: course.tags,
    languages: [...manifest.languages],
    moodleBranch: branch === null ? null : `${Math.floor(branch / 100)}.${branch % 100}`,
    requiredPlugins: [...manifest.requiredPlugins],
    revision: revision.revision,
    size: revision.size,
    updated: new Date(course.updatedAt).toISOString(),
    license: course.license,
    visibility: course.visibility === "followers" ? "followers" : "public",
  };
}

function actorOf(origin: URL, actor: LocalActor): NetworkSearchHit["institution"] {
  return {
    actor: new URL(`/actors/${actor.identifier}`, origin).href,
    name: actor.name,
    handle: `${actor.handle}@${origin.host}`,
  };
}
