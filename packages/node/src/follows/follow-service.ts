import type { LocalActor } from "../actors/local-actors.ts";
import type { Outbound } from "../actors/outbound.ts";
import type { RemoteActor } from "../actors/remote-actors.ts";
import type { AdminOnRecord } from "../audit/audit-log.ts";
import { CONFIG_ENVIRONMENT } from "../config-names.ts";
import { type FederationPolicy, federatesWith } from "../settings/federation-policy.ts";
import type { NodeSettings } from "../settings/node-settings.ts";
import type { Following, FollowRepository } from "./follow-repository.ts";
import { FollowError, type FollowTarget, parseFollowTarget } from "./follow-target.ts";

export { FollowError } from "./follow-target.ts";

/** An actor found on another node: the server it is on, and how the node keeps it. */
export interface ResolvedActor {
  /** The host of the actor's id, if it has one: the federation policy judges it too. */
  readonly hostname: string | undefined;
  describe(): Promise<Omit<RemoteActor, "fetchedAt">>;
}

/** Finds the actor a target names on the network; federation/actor-lookup.ts does it. */
export interface ActorResolver {
  /** The actor, or a FollowError saying why there is none. */
  resolve(target: FollowTarget): Promise<ResolvedActor>;
}

/** What following uses: the follows, the policy, the lookup and the outbound bridge. */
export interface FollowStores {
  readonly follows: FollowRepository;
  readonly settings: NodeSettings;
  /** The node's public origin, which its Follows' ids start with. */
  readonly origin: string;
  readonly actorResolver: ActorResolver;
  readonly outbound: Outbound;
}

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
  services: FollowStores,
  local: LocalActor,
  target: string,
): Promise<Following> {
  const parsed = parseFollowTarget(target);
  const policy = await services.settings.federationPolicy();
  checkFederatesWith(policy, parsed.hostname);
  const found = await services.actorResolver.resolve(parsed);
  // A handle's WebFinger may name an actor on another server, which the policy judges too.
  if (found.hostname !== undefined) checkFederatesWith(policy, found.hostname);
  const remote = await found.describe();
  await services.follows.rememberActor(remote);
  const followId = new URL(
    `/actors/${local.identifier}/follows/${crypto.randomUUID()}`,
    services.origin,
  );
  const following = await services.follows.startFollowing(local.id, remote.uri, followId.href);
  await services.outbound.deliver({
    type: "follow-requested",
    local,
    remote,
    followId: followId.href,
  });
  return following;
}

/**
 * Where a follow of `actorUri` by `local` stands: pending or accepted; a follow the other
 * side refused (a Reject came back) is a FollowError saying so, and what to do.
 */
export async function followingState(
  services: Pick<FollowStores, "follows">,
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
  services: FollowStores,
  local: LocalActor,
  actorUri: string,
): Promise<void> {
  const following = await services.follows.following(local.id, actorUri);
  const remote = await services.follows.remoteActor(actorUri);
  if (!following || !remote)
    throw new FollowError("NO_SUCH_REQUEST", `${actorUri} is not followed.`);
  await services.outbound.deliver({
    type: "follow-undone",
    local,
    remote,
    followId: following.followId,
  });
  await services.follows.forgetFollowing(local.id, actorUri);
}

/** Accepts or refuses a follow request to `local`, and tells the follower. */
export async function answerFollow(
  services: FollowStores,
  local: LocalActor,
  followerUri: string,
  state: "accepted" | "rejected",
): Promise<void> {
  const follower = await services.follows.decideFollower(local.id, followerUri, state);
  const remote = await services.follows.remoteActor(followerUri);
  if (!follower || !remote) {
    throw new FollowError(
      "NO_SUCH_REQUEST",
      `${followerUri} has not asked to follow @${local.handle}.`,
    );
  }
  await services.outbound.deliver({
    type: "follow-answered",
    local,
    follower: remote,
    followId: follower.followId,
    state,
  });
  if (state === "rejected") await services.follows.removeFollower(local.id, followerUri);
}

/**
 * A person's answer to a follow request (an admin's, or a teacher's to their own
 * followers): the answer sent, and on the audit log. The node's own answers (auto-accept)
 * are not a person's, and call answerFollow.
 */
export async function answerFollowRequest(
  services: FollowStores,
  by: AdminOnRecord,
  local: LocalActor,
  followerUri: string,
  decision: "accept" | "reject",
): Promise<void> {
  await answerFollow(services, local, followerUri, decision === "accept" ? "accepted" : "rejected");
  await by.auditLog.record(by.auditActor, `follow-request.${decision}`, followerUri, {
    to: local.handle,
  });
}

/**
 * An actor we follow moved to `movedTo` (its Move checked by the inbox): each local actor
 * that followed it, or asked to, asks to follow the new actor and takes its follow of
 * the old one back, as Mastodon does for its accounts' follows. The new actor decides on
 * the requests as on any other; a follow it refuses is told like any refusal. Returns
 * the local actors whose follows moved.
 */
export async function moveFollows(
  services: FollowStores & {
    readonly actors: { byId(id: number): Promise<LocalActor | undefined> };
  },
  movedFrom: string,
  movedTo: string,
): Promise<LocalActor[]> {
  const moved: LocalActor[] = [];
  for (const following of await services.follows.followsOf(movedFrom)) {
    // A follow it refused is not carried over: the new actor would be asked on its behalf.
    if (following.state === "rejected") continue;
    const local = await services.actors.byId(following.localActorId);
    if (!local) continue;
    if (!(await services.follows.following(local.id, movedTo))) {
      await follow(services, local, movedTo);
    }
    await unfollow(services, local, movedFrom);
    moved.push(local);
  }
  return moved;
}
