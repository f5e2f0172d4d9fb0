import type { Context } from "@fedify/fedify";
import {
  Accept,
  type Activity,
  Announce,
  Follow,
  PUBLIC_COLLECTION,
  type Recipient,
  Reject,
  Undo,
} from "@fedify/vocab";
import type { LocalActor } from "../actors/local-actors.ts";
import type { Outbound, OutboundEvent, RemoteObjects } from "../actors/outbound.ts";
import type { Course } from "../courses/course-repository.ts";
import { federatesWith } from "../settings/federation-policy.ts";
import type { FederationServices } from "./context.ts";
import {
  announceJson,
  authoredActivityJson,
  courseActivityIds,
  wireActivity,
  withdrawalJson,
} from "./course-activities.ts";
import { courseJson, isCourseObject, revisionChanges, type WireJson } from "./course-object.ts";
import { answerId } from "./follow-activities.ts";
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
          const id = courseActivityIds.published(ctx, course.id, revision.revision);
          const object = courseJson(ctx, course, revision, actor.identifier);
          await sendCourse(
            ctx,
            actor,
            course,
            object,
            revision.revision === 1 ? "Create" : "Update",
            id,
            revisionChanges(revision),
          );
          return id;
        }
        case "course-edited": {
          const { author, course, revision } = event;
          const id = courseActivityIds.edited(ctx, course.id, course.updatedAt);
          const object = courseJson(ctx, course, revision, author.identifier);
          await sendCourse(ctx, author, course, object, "Update", id);
          return id;
        }
        case "course-withdrawn": {
          const { courseId } = event;
          const now = Date.now();
          const id =
            event.cause === "withdrawn"
              ? courseActivityIds.withdrawn(ctx, courseId)
              : courseActivityIds.hidden(ctx, courseId, now);
          await sendWithdrawal(ctx, event.author, courseId, id, now);
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
          const id = answerId(ctx, local.identifier, follower.uri, event.followId);
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
        isCourseObject(object) && object.toIds.some((id) => id.href === PUBLIC_COLLECTION.href)
      );
    },
  };
}

/**
 * How activities made by wireActivity are sent: to shared inboxes, and queued one message
 * per inbox with their JSON as it is. Fedify's fan-out (one queued message that a worker
 * spreads later, from five inboxes up) parses the activity again and sends its own
 * compaction of it, without FEP-1311's fields and with a proof that no longer matches.
 */
const WIRE_DELIVERY = { preferSharedInbox: true, fanout: "skip" } as const;

/**
 * A course's Create or Update, sent by its author to the author's followers. A teacher's
 * course reaches the institution's followers too: its Create through the institution's
 * Announce, its Updates from the teacher directly, since Mastodon and others take an
 * Update only from the author of what it changes and ignore a second Announce of it.
 */
async function sendCourse(
  ctx: Context<FederationServices>,
  author: LocalActor,
  course: Course,
  object: WireJson,
  type: "Create" | "Update",
  id: URL,
  /** A new revision's changes, by language; none for a Create or an edit. */
  changes: Readonly<Record<string, string>> | null = null,
): Promise<void> {
  const institution =
    author.type === "Person" ? await ctx.data.actors.byIdentifier("institution") : undefined;
  const published = String(object.updated);
  const activity = await wireActivity(
    ctx,
    authoredActivityJson(type, id, object, {
      audience:
        institution && type === "Update" ? ctx.getActorUri(institution.identifier) : undefined,
      published,
      changes,
    }),
  );
  // FEP-8fcf, as Mastodon for its followers-only posts: each receiving server learns
  // which of its actors we count as followers, and corrects the difference.
  const options = { ...WIRE_DELIVERY, syncCollection: course.visibility === "followers" };
  await ctx.sendActivity({ identifier: author.identifier }, "followers", activity, options);
  if (!institution) return;
  if (type === "Create") {
    const announce = announceJson(ctx, object, institution.identifier, {
      public: course.visibility === "public",
      published,
    });
    await ctx.sendActivity(
      { identifier: institution.identifier },
      "followers",
      await wireActivity(ctx, announce),
      options,
    );
    return;
  }
  await sendToInstitutionFollowers(ctx, author, institution, activity);
}

/**
 * Sends the author's `activity` to the institution's followers that the author's
 * followers do not already reach (by shared inbox, or inbox), on servers the federation
 * policy allows: they received a teacher's course announced, and hear of its edits and
 * withdrawal from the teacher.
 */
async function sendToInstitutionFollowers(
  ctx: Context<FederationServices>,
  author: LocalActor,
  institution: LocalActor,
  activity: Activity,
): Promise<void> {
  const inboxOf = (actor: { readonly inbox: string; readonly sharedInbox: string | null }) =>
    actor.sharedInbox ?? actor.inbox;
  const reached = new Set(
    (await ctx.data.follows.followers(author.id, "accepted")).map((each) => inboxOf(each.actor)),
  );
  const policy = await ctx.data.settings.federationPolicy();
  const others: Recipient[] = (await ctx.data.follows.followers(institution.id, "accepted"))
    .filter(
      (each) => federatesWith(policy, new URL(each.actorUri)) && !reached.has(inboxOf(each.actor)),
    )
    .map((each) => recipientOf(each.actor));
  if (others.length === 0) return;
  await ctx.sendActivity({ identifier: author.identifier }, others, activity, WIRE_DELIVERY);
}

/**
 * Tells everyone who received the course that it is gone, from its author: the author's
 * followers, and for a teacher's course the institution's too, which received it
 * announced (they may follow the institution alone). Receivers take a Delete from the
 * publisher's own server for its courses (federation/inbox/courses.ts).
 */
async function sendWithdrawal(
  ctx: Context<FederationServices>,
  author: LocalActor,
  courseId: string,
  activityId: URL,
  deleted: number,
): Promise<void> {
  const activity = await wireActivity(
    ctx,
    withdrawalJson(ctx, activityId, courseId, author.identifier, deleted),
  );
  await ctx.sendActivity({ identifier: author.identifier }, "followers", activity, WIRE_DELIVERY);
  const institution =
    author.type === "Person" ? await ctx.data.actors.byIdentifier("institution") : undefined;
  if (institution) await sendToInstitutionFollowers(ctx, author, institution, activity);
}
