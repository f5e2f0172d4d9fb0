import type { InboxContext } from "@fedify/fedify";
import { type Accept, Follow, isActor, type Reject, type Undo } from "@fedify/vocab";
import { answerFollow } from "../../follows/follow-service.ts";
import type { FederationServices } from "../context.ts";
import { domainServices } from "../domain-services.ts";
import { describeRemoteActor } from "../remote-actor.ts";
import { backfillFrom } from "./courses.ts";

type Context = InboxContext<FederationServices>;

/**
 * Someone asks to follow a local actor, the institution or a teacher: kept for approval
 * (an admin, or the teacher for their own actor), except from the auto-accepted servers
 * or a follower accepted before. Followers read followers-only courses, so none is let in
 * on its own say-so.
 */
export async function onFollow(ctx: Context, follow: Follow): Promise<void> {
  if (!follow.id || !follow.actorId || !follow.objectId) return;
  const target = ctx.parseUri(follow.objectId);
  if (target?.type !== "actor") return;
  const local = await ctx.data.actors.byIdentifier(target.identifier);
  if (!local) return;
  const follower = await follow.getActor(ctx);
  if (!isActor(follower) || follower.id?.href !== follow.actorId.href) return;
  const remote = await describeRemoteActor(follower);
  await ctx.data.follows.rememberActor(remote);
  const previous = await ctx.data.follows.follower(local.id, remote.uri);
  const accepted =
    previous?.state === "accepted" ||
    isAutoAccepted(follow.actorId, await ctx.data.settings.autoAcceptDomains());
  await ctx.data.follows.requestFollow(
    local.id,
    remote.uri,
    follow.id.href,
    accepted ? "accepted" : "pending",
  );
  if (accepted) await answerFollow(domainServices(ctx), local, remote.uri, "accepted");
}

/** A remote actor accepted one of our Follows. */
export async function onAccept(ctx: Context, accept: Accept): Promise<void> {
  await onAnswer(ctx, accept, "accepted");
}

/** A remote actor refused one of our Follows (or removed us). */
export async function onReject(ctx: Context, reject: Reject): Promise<void> {
  await onAnswer(ctx, reject, "rejected");
}

async function onAnswer(
  ctx: Context,
  answer: Accept | Reject,
  state: "accepted" | "rejected",
): Promise<void> {
  if (!answer.actorId || !answer.objectId) return;
  // The answer names our Follow by id; only the actor we asked may answer it.
  const following = await ctx.data.follows.answerFollowing(
    answer.objectId.href,
    answer.actorId.href,
    state,
  );
  if (!following || state !== "accepted") return;
  const actor = await answer.getActor(ctx);
  const reader = await ctx.data.actors.byId(following.localActorId);
  if (isActor(actor) && reader) await backfillFrom(ctx, actor, reader);
}

/** A follower takes its Follow back. */
export async function onUndo(ctx: Context, undo: Undo): Promise<void> {
  // A follower's Follow is on its own server: one named elsewhere is not fetched from there.
  if (!undo.actorId || undo.objectId?.origin !== undo.actorId.origin) return;
  const object = await undo.getObject(ctx);
  if (!(object instanceof Follow) || !undo.actorId || object.actorId?.href !== undo.actorId.href)
    return;
  if (!object.objectId) return;
  const target = ctx.parseUri(object.objectId);
  if (target?.type !== "actor") return;
  const local = await ctx.data.actors.byIdentifier(target.identifier);
  if (local) await ctx.data.follows.removeFollower(local.id, undo.actorId.href);
}

/** Whether the actor's host is one of `domains` or under one of them. */
function isAutoAccepted(actor: URL, domains: readonly string[]): boolean {
  const host = actor.hostname.toLowerCase();
  return domains.some((domain) => host === domain || host.endsWith(`.${domain}`));
}
