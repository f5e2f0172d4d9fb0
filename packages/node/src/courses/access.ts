import type { FederationServices } from "../federation/context.ts";
import type { Course } from "./course-repository.ts";

/**
 * Who may read a course and download its archive: anyone if it is public; for
 * followers-only courses, an accepted follower of its author or of the institution that
 * announces it (identified by an HTTP signature); nobody elsewhere if it is private.
 */
export function mayRead(
  services: FederationServices,
  course: Course,
  requester: string | undefined,
): boolean {
  if (course.deletedAt !== null || course.visibility === "private") return false;
  if (course.visibility === "public") return true;
  if (!requester) return false;
  const institution = services.actors.byIdentifier("institution");
  return [course.actorId, institution?.id].some(
    (actorId) =>
      actorId !== undefined && services.follows.follower(actorId, requester)?.state === "accepted",
  );
}
