import type { FederationServices } from "../federation/context.ts";
import type { Course } from "./course-repository.ts";

/**
 * Who may read a course and download its archive: anyone if it is public; for
 * followers-only courses, an accepted follower of its author or of the institution that
 * announces it (identified by an HTTP signature); nobody elsewhere if it is private.
 */
export async function mayRead(
  services: FederationServices,
  course: Course,
  requester: string | undefined,
): Promise<boolean> {
  if (course.deletedAt !== null || course.visibility === "private") return false;
  if (course.visibility === "public") return true;
  if (!requester) return false;
  const institution = await services.actors.byIdentifier("institution");
  for (const actorId of [course.actorId, institution?.id]) {
    if (actorId === undefined) continue;
    const follower = await services.follows.follower(actorId, requester);
    if (follower?.state === "accepted") return true;
  }
  return false;
}
