import type { Context, Federation } from "@fedify/fedify";
import { Create } from "@fedify/vocab";
import type { Course } from "../courses/course-repository.ts";
import type { FederationServices } from "./context.ts";
import { courseObject } from "./course-object.ts";

const PAGE_SIZE = 20;

/**
 * Each actor's outbox: a Create for each of its public courses, newest first, in their
 * latest revision. New followers read it to fill their catalog with what came before.
 */
export function registerOutbox(federation: Federation<FederationServices>): void {
  federation
    .setOutboxDispatcher("/actors/{identifier}/outbox", (ctx, identifier, cursor) => {
      const actor = ctx.data.actors.byIdentifier(identifier);
      if (!actor || cursor === null) return null;
      const page = ctx.data.courses.publicCoursesOf(
        actor.id,
        cursor === "" ? null : Number(cursor),
        PAGE_SIZE,
      );
      const last = page.at(-1);
      return {
        items: page.flatMap((course) => creationOf(ctx, course, identifier)),
        nextCursor: page.length === PAGE_SIZE && last ? String(last.createdAt) : null,
      };
    })
    .setCounter((ctx, identifier) => {
      const actor = ctx.data.actors.byIdentifier(identifier);
      return actor ? ctx.data.courses.countPublicCourses(actor.id) : null;
    })
    .setFirstCursor(() => "");
}

function creationOf(
  ctx: Context<FederationServices>,
  course: Course,
  identifier: string,
): Create[] {
  const revision = ctx.data.courses.latestRevision(course.id);
  if (!revision) return [];
  const object = courseObject(ctx, course, revision, identifier);
  return [
    new Create({
      id: new URL(`/courses/${course.id}/revisions/${revision.revision}/activity`, ctx.origin),
      actor: ctx.getActorUri(identifier),
      object,
      tos: object.toIds,
      ccs: object.ccIds,
      published: object.updated,
    }),
  ];
}
