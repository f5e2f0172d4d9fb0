import type { LocalActorRepository } from "../actors/local-actors.ts";
import type { CatalogRepository } from "../catalog/catalog-repository.ts";
import type { FollowRepository } from "../follows/follow-repository.ts";
import type { Course, CourseRepository } from "./course-repository.ts";

/** What deciding who may read a course looks at: the course, its author and their followers. */
export interface CourseReaders {
  readonly actors: LocalActorRepository;
  readonly courses: CourseRepository;
  readonly catalog: CatalogRepository;
  readonly follows: FollowRepository;
}

/**
 * Who may read a course and download its archive: anyone if it is public; for
 * followers-only courses, an actor (identified by an HTTP signature) of a server where its
 * author, or the institution that announces it, has an accepted follower; nobody
 * elsewhere if it is private. The server, not the one actor: a followers-only Create goes
 * to the follower's server (its shared inbox) with the course in it, and that server's
 * catalog offers it to all its teachers, so the fetches that complete it (manifest,
 * archive) are the server's, signed by its institution whoever followed.
 */
export async function mayRead(
  services: CourseReaders,
  course: Course,
  requester: string | undefined,
): Promise<boolean> {
  if (course.deletedAt !== null || course.visibility === "private") return false;
  if (course.visibility === "public") return true;
  if (!requester) return false;
  // A verified key owner's id: always an http(s) URL, whose origin names its server.
  const followed = await services.follows.localActorsFollowedFrom(new URL(requester).origin);
  if (followed.has(course.actorId)) return true;
  const institution = await services.actors.byIdentifier("institution");
  return institution !== undefined && followed.has(institution.id);
}

/** Someone of this node asking for an archive by its digest: a token's actor and role. */
export interface LocalReader {
  readonly actorId: number;
  readonly admin: boolean;
}

/**
 * Whether a person of this node may download an archive it holds, by digest: one of a
 * course received from a peer (what the catalog offers every teacher), or of a course
 * published here that they may read: their own, any for an admin, a public one. Nothing
 * else: not a private or followers-only course of another teacher, not an upload waiting
 * to be published, never the original of a backup published sanitized.
 */
export async function mayReadArchive(
  services: CourseReaders,
  reader: LocalReader,
  sha256: string,
): Promise<boolean> {
  if (await services.catalog.catalogHoldsArchive(sha256)) return true;
  for (const { course } of await services.courses.revisionsWithArchive(sha256)) {
    if (reader.admin || course.actorId === reader.actorId) return true;
    if (await mayRead(services, course, undefined)) return true;
  }
  return false;
}
