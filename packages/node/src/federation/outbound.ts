import type { Context } from "@fedify/fedify";
import {
  Accept,
  Announce,
  Create,
  Delete,
  Document,
  Follow,
  PUBLIC_COLLECTION,
  Reject,
  Tombstone,
  Undo,
  Update,
} from "@fedify/vocab";
import type { LocalActor } from "../actors/local-actors.ts";
import type { Outbound, OutboundEvent, RemoteObjects } from "../actors/outbound.ts";
import { Temporal } from "../temporal.ts";
import type { Visibility } from "../vocabulary/visibility.ts";
import type { FederationServices } from "./context.ts";
import { courseObject } from "./course-object.ts";
import { recipientOf } from "./remote-actor.ts";
import { sendReportActivity } from "./report-activities.ts";

/**
 * The outbound bridge: the one place where the domain's events become activities, sent
 * as the actor they name.
 */
export function outboundBridge(ctx: Context<FederationServices>): Outbound {
  return {
    async deliver(event: OutboundEvent): Promise<URL> {
      switch (event.type) {
        case "course-published": {
          const { actor, course, revision } = event;
          const object = courseObject(ctx, course, revision, actor.identifier);
          const Activity = revision.revision === 1 ? Create : Update;
          const id = new URL(
            `/courses/${course.id}/revisions/${revision.revision}/activity`,
            ctx.origin,
          );
          await sendCourseToFollowers(ctx, actor, course.visibility, object, Activity, id);
          return id;
        }
        case "course-edited": {
          const { author, course, revision } = event;
          const object = courseObject(ctx, course, revision, author.identifier);
          // Each edit its own id: receivers handle an activity id once.
          const id = new URL(`/courses/${course.id}/edits/${crypto.randomUUID()}`, ctx.origin);
          await sendCourseToFollowers(ctx, author, course.visibility, object, Update, id);
          return id;
        }
        case "course-withdrawn": {
          const { courseId } = event;
          const id =
            event.cause === "withdrawn"
              ? new URL(`/courses/${courseId}/delete`, ctx.origin)
              : new URL(`/courses/${courseId}/edits/${crypto.randomUUID()}`, ctx.origin);
          await sendWithdrawal(ctx, event.author, courseId, id);
          return id;
        }
        case "follow-requested": {
          const { local, remote } = event;
          const id = new URL(event.followId);
          await ctx.sendActivity(
            { identifier: local.identifier },
            recipientOf(remote),
            new Follow({
              id,
              actor: ctx.getActorUri(local.identifier),
              object: new URL(remote.uri),
            }),
          );
          return id;
        }
        case "follow-undone": {
          const { local, remote } = event;
          const id = new URL(`${event.followId}/undo`);
          await ctx.sendActivity(
            { identifier: local.identifier },
            recipientOf(remote),
            new Undo({
              id,
              actor: ctx.getActorUri(local.identifier),
              object: new Follow({
                id: new URL(event.followId),
                actor: ctx.getActorUri(local.identifier),
                object: new URL(remote.uri),
              }),
            }),
          );
          return id;
        }
        case "follow-answered": {
          const { local, follower } = event;
          const actor = ctx.getActorUri(local.identifier);
          const request = new Follow({
            id: new URL(event.followId),
            actor: new URL(follower.uri),
            object: actor,
          });
          const Answer = event.state === "accepted" ? Accept : Reject;
          const id = new URL(
            `/actors/${local.identifier}/answers/${crypto.randomUUID()}`,
            ctx.origin,
          );
          await ctx.sendActivity(
            { identifier: local.identifier },
            recipientOf(follower),
            new Answer({ id, actor, object: request }),
          );
          return id;
        }
        case "course-reported":
        case "report-answered":
          return await sendReportActivity(ctx, event);
        case "course-boosted": {
          const { actor } = event;
          const id = new URL(
            `/actors/${actor.identifier}/boosts/${crypto.randomUUID()}`,
            ctx.origin,
          );
          await ctx.sendActivity(
            { identifier: actor.identifier },
            "followers",
            new Announce({
              id,
              actor: ctx.getActorUri(actor.identifier),
              object: new URL(event.objectUri),
              tos: [PUBLIC_COLLECTION],
              ccs: [ctx.getFollowersUri(actor.identifier)],
            }),
            { preferSharedInbox: true },
          );
          return id;
        }
      }
    },
  };
}

/** Another node's objects, looked up unsigned. */
export function remoteObjects(ctx: Context<FederationServices>): RemoteObjects {
  return {
    async isPublic(objectUri: string): Promise<boolean> {
      const object = await ctx.lookupObject(objectUri).catch(() => null);
      return (
        object instanceof Document && object.toIds.some((id) => id.href === PUBLIC_COLLECTION.href)
      );
    },
  };
}

/**
 * A course's Create or Update to its actor's followers; a teacher's is announced by the
 * institution too, whose followers would not hear of it otherwise.
 */
async function sendCourseToFollowers(
  ctx: Context<FederationServices>,
  actor: LocalActor,
  visibility: Visibility,
  object: Document,
  Activity: typeof Create | typeof Update,
  id: URL,
): Promise<void> {
  await ctx.sendActivity(
    { identifier: actor.identifier },
    "followers",
    new Activity({
      id,
      actor: ctx.getActorUri(actor.identifier),
      object,
      tos: object.toIds,
      ccs: object.ccIds,
    }),
    { preferSharedInbox: true },
  );
  if (actor.type === "Person") await announceForInstitution(ctx, object, visibility);
}

/**
 * Tells everyone who received the course that it is gone: the author's followers, and
 * for a teacher's course the institution's too, which received it announced (they may
 * follow the institution alone). Receivers take a Delete from the publisher's own
 * server for its courses (federation/inbox/courses.ts).
 */
async function sendWithdrawal(
  ctx: Context<FederationServices>,
  author: LocalActor,
  courseId: string,
  activityId: URL,
): Promise<void> {
  const object = new Tombstone({
    id: new URL(`/courses/${courseId}`, ctx.origin),
    deleted: Temporal.Now.instant(),
  });
  const senders = [author];
  if (author.type === "Person") {
    const institution = await ctx.data.actors.byIdentifier("institution");
    if (institution) senders.push(institution);
  }
  for (const sender of senders) {
    await ctx.sendActivity(
      { identifier: sender.identifier },
      "followers",
      new Delete({
        // Each sender's Delete its own id: receivers handle an activity id once.
        id: sender === author ? activityId : new URL(`${activityId.href}/announcer`),
        actor: ctx.getActorUri(sender.identifier),
        object,
        tos: [PUBLIC_COLLECTION],
      }),
      { preferSharedInbox: true },
    );
  }
}

/**
 * The institution boosts its teachers' courses, so that following the institution is
 * enough to receive every course its people publish.
 */
async function announceForInstitution(
  ctx: Context<FederationServices>,
  object: Document,
  visibility: Visibility,
): Promise<void> {
  const institution = await ctx.data.actors.byIdentifier("institution");
  if (!institution || !object.id) return;
  await ctx.sendActivity(
    { identifier: institution.identifier },
    "followers",
    new Announce({
      id: new URL(`${object.id.href}/announces/${crypto.randomUUID()}`),
      actor: ctx.getActorUri(institution.identifier),
      object: object.id,
      ...(visibility === "public"
        ? { tos: [PUBLIC_COLLECTION], ccs: [ctx.getFollowersUri(institution.identifier)] }
        : { tos: [ctx.getFollowersUri(institution.identifier)] }),
    }),
    { preferSharedInbox: true },
  );
}
