import type { Context, Federation, RequestContext } from "@fedify/fedify";
import type { Activity } from "@fedify/vocab";
import type { LocalActor } from "../actors/local-actors.ts";
import type { Course, OutboxPosition, OutboxSelection } from "../courses/course-repository.ts";
import type { FederationServices } from "./context.ts";
import {
  announceJson,
  authoredActivityJson,
  courseActivityIds,
  wireActivity,
} from "./course-activities.ts";
import { courseJson } from "./course-object.ts";
import type { SignedRequester } from "./signed-requester.ts";

const PAGE_SIZE = 20;

/**
 * Each actor's outbox, newest first, each course in its latest revision: a Create for
 * each of its own courses and, in the institution's, an Announce for each of its
 * teachers' (the institution boosts them as they are published, and its followers must
 * find those published before they followed). Public courses only, but for a request
 * signed by one of the actor's accepted followers, who may read its followers-only ones
 * too; never private or withdrawn ones. New followers read it to fill their catalog with
 * what came before.
 */
export function registerOutbox(
  federation: Federation<FederationServices>,
  requesterOf: SignedRequester,
): void {
  federation
    .setOutboxDispatcher("/actors/{identifier}/outbox", async (ctx, identifier, cursor) => {
      const actor = await ctx.data.actors.byIdentifier(identifier);
      if (!actor || cursor === null) return null;
      const before = cursor === "" ? null : positionOf(cursor);
      if (before === undefined) return null;
      const page = await ctx.data.courses.outboxCourses(
        await selectionFor(ctx, actor, requesterOf),
        before,
        PAGE_SIZE,
      );
      const last = page.at(-1);
      return {
        items: (await Promise.all(page.map((course) => activityOf(ctx, course, actor)))).flat(),
        nextCursor: page.length === PAGE_SIZE && last ? `${last.createdAt}.${last.id}` : null,
      };
    })
    .setCounter(async (ctx, identifier) => {
      const actor = await ctx.data.actors.byIdentifier(identifier);
      return actor
        ? await ctx.data.courses.countOutboxCourses(await selectionFor(ctx, actor, requesterOf))
        : null;
    })
    .setFirstCursor(() => "");
}

/** The position a cursor names, "{createdAt}.{id}"; undefined for anything else. */
function positionOf(cursor: string): OutboxPosition | undefined {
  const match = /^(\d+)\.(.+)$/.exec(cursor);
  return match?.[1] && match[2] ? { createdAt: Number(match[1]), id: match[2] } : undefined;
}

async function selectionFor(
  ctx: RequestContext<FederationServices>,
  actor: LocalActor,
  requesterOf: SignedRequester,
): Promise<OutboxSelection> {
  const requester = await requesterOf(ctx);
  return {
    actorId: actor.id,
    teachers: actor.type === "Organization",
    // An accepted follower of the actor reads its followers-only courses too.
    followersOnly:
      requester !== undefined &&
      (await ctx.data.follows.follower(actor.id, requester))?.state === "accepted",
  };
}

/**
 * The activity that brought `course` to the actor's followers, its latest revision
 * embedded as it is served: the actor's Create of its own course, or the institution's
 * Announce of a teacher's (receivers fetch it from its publisher all the same).
 */
async function activityOf(
  ctx: Context<FederationServices>,
  course: Course,
  owner: LocalActor,
): Promise<Activity[]> {
  const revision = await ctx.data.courses.latestRevision(course.id);
  const author = course.actorId === owner.id ? owner : await ctx.data.actors.byId(course.actorId);
  if (!revision || !author) return [];
  const object = courseJson(ctx, course, revision, author.identifier);
  const published = String(object.updated);
  const json =
    author.id === owner.id
      ? authoredActivityJson("Create", courseActivityIds.published(ctx, course.id, 1), object, {
          published,
        })
      : announceJson(ctx, object, owner.identifier, {
          public: course.visibility === "public",
          published,
        });
  return [await wireActivity(ctx, json)];
}
