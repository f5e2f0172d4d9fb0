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
    .setOutboxDispatcher("/actors/{identifier}/outbox", async (ctx, identifier, cursor) => {
      const actor = await ctx.data.actors.byIdentifier(identifier);
      if (!actor || cursor === null) return null;
      const page = await ctx.data.courses.publicCoursesOf(
        actor.id,
        cursor === "" ? null : Number(cursor),
        PAGE_SIZE,
      );
      const last = page.at(-1);
      return {
        items: (
          await Promise.all(page.map((course) => creationOf(ctx, course, identifier)))
        ).flat(),
        nextCursor: page.length === PAGE_SIZE && last ? String(last.createdAt) : null,
      };
    })
    .setCounter(async (ctx, identifier) => {
      const actor = await ctx.data.actors.byIdentifier(identifier);
      return actor ? await ctx.data.courses.countPublicCourses(actor.id) : null;
    })
    .setFirstCursor(() => "");
}

async function creationOf(
  ctx: Context<FederationServices>,
  course: Course,
  identifier: string,
): Promise<Create[]> {
  const revision = await ctx.data.courses.latestRevision(course.id);
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
