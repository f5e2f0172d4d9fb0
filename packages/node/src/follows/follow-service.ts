import type { Context } from "@fedify/fedify";
import { Accept, Follow, Reject, Undo } from "@fedify/vocab";
import { FollowError, lookUpActor, parseFollowTarget } from "../actors/actor-lookup.ts";
import type { LocalActor } from "../actors/local-actors.ts";
import { describeRemoteActor, recipientOf } from "../actors/remote-actor.ts";
import { CONFIG_ENVIRONMENT } from "../config-names.ts";
import type { FederationServices } from "../federation/context.ts";
import { type FederationPolicy, federatesWith } from "../settings/federation-policy.ts";
import type { Following } from "./follow-repository.ts";

export { FollowError } from "../actors/actor-lookup.ts";

/** Refuses a host the federation policy excludes, naming the setting and how to change it. */
function checkFederatesWith(policy: FederationPolicy, host: string): void {
  if (federatesWith(policy, host)) return;
  const listed = policy.domains.join(", ") || "none";
  const why =
    policy.mode === "allowlist"
      ? `${host} is not on this node's federation allowlist (federation policy: allowlist of ${listed}).`
      : `${host} is on this node's federation blocklist (federation policy: blocklist of ${listed}).`;
  throw new FollowError(
    "NOT_FEDERATED",
    `${why} An admin can change the policy in the web console (Settings, Federation policy) or with PUT /api/v1/settings/federation; the node's configuration sets it with --federation and --domains (${CONFIG_ENVIRONMENT.federation}, ${CONFIG_ENVIRONMENT.domains}).`,
  );
}

/** Asks a remote actor (URL or @user@host) to let `local` follow it. */
export async function follow(
  ctx: Context<FederationServices>,
  local: LocalActor,
  target: string,
): Promise<Following> {
  const parsed = parseFollowTarget(target);
  const policy = await ctx.data.settings.federationPolicy();
  checkFederatesWith(policy, parsed.hostname);
  const found = await lookUpActor(ctx, parsed);
  // A handle's WebFinger may name an actor on another server, which the policy judges too.
  if (found.id) checkFederatesWith(policy, found.id.hostname);
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

/**
 * Where a follow of `actorUri` by `local` stands: pending or accepted; a follow the other
 * side refused (a Reject came back) is a FollowError saying so, and what to do.
 */
export async function followingState(
  services: FederationServices,
  local: LocalActor,
  actorUri: string,
): Promise<Following> {
  const following = await services.follows.following(local.id, actorUri);
  if (!following) {
    throw new FollowError(
      "NO_SUCH_REQUEST",
      `@${local.handle} has not asked to follow ${actorUri}; follow it first.`,
    );
  }
  if (following.state !== "rejected") return following;
  const remote = await services.follows.remoteActor(actorUri);
  const when = following.decidedAt ? ` on ${new Date(following.decidedAt).toISOString()}` : "";
  throw new FollowError(
    "REJECTED",
    `${remote?.handle ? `@${remote.handle}` : actorUri} refused to be followed by @${local.handle}: its server answered with a Reject${when}. Ask its admins to accept this node's requests (or to take it off their blocklist), then follow again.`,
  );
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
