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
import { courseJson, revisionChanges } from "./course-object.ts";
import type { SignedRequester } from "./signed-requester.ts";

const PAGE_SIZE = 20;

/**
 * Each actor's outbox, in the order things happened: each course once, in its latest
 * revision, where that revision was published (newest first), as the activity that
 * brought that revision: the Create of a first revision, the Update of a later one
 * (the delivered Update, by its id), and in the institution's an Announce of each of its
 * teachers' courses (the institution boosts them as they are published, and its
 * followers must find those published before they followed). A reader catching up can
 * so stop at the first page it already holds. Public courses only, but for a request
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
        nextCursor:
          page.length === PAGE_SIZE && last ? `p${last.lastPublishedAt}.${last.id}` : null,
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

/**
 * The position a cursor names, "p{lastPublishedAt}.{id}"; undefined for anything else.
 * The "p" tells it from the cursors of the outbox ordered by first publication
 * ("{createdAt}.{id}"), which name a place in another order: a reader paging across an
 * upgrade gets the answer to a bad cursor and starts again, rather than a wrong page.
 */
function positionOf(cursor: string): OutboxPosition | undefined {
  const match = /^p(\d+)\.(.+)$/.exec(cursor);
  return match?.[1] && match[2] ? { lastPublishedAt: Number(match[1]), id: match[2] } : undefined;
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
 * The activity that brought `course`'s latest revision to the actor's followers, that
 * revision embedded as it is served: the actor's Create of its own course (its first
 * revision) or Update (a later one, with the id and audience it was delivered with), or
 * the institution's Announce of a teacher's (receivers fetch it from its publisher all
 * the same).
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
  const first = revision.revision === 1;
  const audience = author.type === "Person" && !first ? ctx.getActorUri("institution") : undefined;
  const json =
    author.id === owner.id
      ? authoredActivityJson(
          first ? "Create" : "Update",
          courseActivityIds.published(ctx, course.id, revision.revision),
          object,
          // As delivered (outbound.ts): a teacher's Update names the institution whose
          // followers got it too, and says what the revision changed.
          { audience, published, changes: first ? null : revisionChanges(revision) },
        )
      : announceJson(ctx, object, owner.identifier, {
          public: course.visibility === "public",
          published,
        });
  return [await wireActivity(ctx, json)];
}
