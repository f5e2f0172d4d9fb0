import type { Context } from "@fedify/fedify";
import { Accept, Follow, isActor, Reject, Undo } from "@fedify/vocab";
import type { LocalActor } from "../actors/local-actors.ts";
import { CodedError } from "../coded-error.ts";
import type { FederationServices } from "../federation/context.ts";
import { federatesWith } from "../federation/federation-policy.ts";
import type { Following } from "./follow-repository.ts";
import { describeRemoteActor, recipientOf } from "./remote-actor.ts";

/** Why a follow operation could not be done, in words for the person who asked. */
export class FollowError extends CodedError<
  "NOT_FOUND" | "NOT_AN_ACTOR" | "NO_SUCH_REQUEST" | "NOT_FEDERATED"
> {
  override readonly name = "FollowError";
}

/** Asks a remote actor (URL or @user@host) to let `local` follow it. */
export async function follow(
  ctx: Context<FederationServices>,
  local: LocalActor,
  target: string,
): Promise<Following> {
  const targetUrl = URL.canParse(target) ? new URL(target) : undefined;
  const targetHost = targetUrl?.hostname ?? target.replace(/^@?[^@]+@/, "");
  if (!federatesWith(await ctx.data.settings.federationPolicy(), targetHost)) {
    throw new FollowError(
      "NOT_FEDERATED",
      `This node does not federate with ${targetHost} (federation policy).`,
    );
  }
  const found = await ctx.lookupObject(target).catch(() => null);
  if (!found)
    throw new FollowError("NOT_FOUND", `Nothing was found at ${target}; check the address.`);
  if (!isActor(found)) {
    throw new FollowError(
      "NOT_AN_ACTOR",
      `${target} is not an account or institution that can be followed.`,
    );
  }
  const remote = await describeRemoteActor(found);
  await ctx.data.follows.rememberActor(remote);
  const followId = new URL(
    `/actors/${local.identifier}/follows/${crypto.randomUUID()}`,
    ctx.origin,
  );
  const following = await ctx.data.follows.startFollowing(local.id, remote.uri, followId.href);
  await ctx.sendActivity(
    { identifier: local.identifier },
    recipientOf(remote),
    new Follow({
      id: followId,
      actor: ctx.getActorUri(local.identifier),
      object: new URL(remote.uri),
    }),
  );
  return following;
}

/** Stops following: tells the remote actor, forgets the follow. */
export async function unfollow(
  ctx: Context<FederationServices>,
  local: LocalActor,
  actorUri: string,
): Promise<void> {
  const following = await ctx.data.follows.following(local.id, actorUri);
  const remote = await ctx.data.follows.remoteActor(actorUri);
  if (!following || !remote)
    throw new FollowError("NO_SUCH_REQUEST", `${actorUri} is not followed.`);
  await ctx.sendActivity(
    { identifier: local.identifier },
    recipientOf(remote),
    new Undo({
      id: new URL(`${following.followId}/undo`),
      actor: ctx.getActorUri(local.identifier),
      object: new Follow({
        id: new URL(following.followId),
        actor: ctx.getActorUri(local.identifier),
        object: new URL(actorUri),
      }),
    }),
  );
  await ctx.data.follows.forgetFollowing(local.id, actorUri);
}

/** Accepts or refuses a follow request to `local`, and tells the follower. */
export async function answerFollow(
  ctx: Context<FederationServices>,
  local: LocalActor,
  followerUri: string,
  state: "accepted" | "rejected",
): Promise<void> {
  const follower = await ctx.data.follows.decideFollower(local.id, followerUri, state);
  const remote = await ctx.data.follows.remoteActor(followerUri);
  if (!follower || !remote) {
    throw new FollowError(
      "NO_SUCH_REQUEST",
      `${followerUri} has not asked to follow @${local.handle}.`,
    );
  }
  const actor = ctx.getActorUri(local.identifier);
  const request = new Follow({
    id: new URL(follower.followId),
    actor: new URL(followerUri),
    object: actor,
  });
  const Answer = state === "accepted" ? Accept : Reject;
  await ctx.sendActivity(
    { identifier: local.identifier },
    recipientOf(remote),
    new Answer({
      id: new URL(`/actors/${local.identifier}/answers/${crypto.randomUUID()}`, ctx.origin),
      actor,
      object: request,
    }),
  );
  if (state === "rejected") await ctx.data.follows.removeFollower(local.id, followerUri);
}
