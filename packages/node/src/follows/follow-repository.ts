import { and, asc, count, desc, eq, gt } from "drizzle-orm";
import type { NodeDatabase } from "../db/database.ts";
import { type FollowState, followers, followings, remoteActors } from "../db/schema.ts";

export type RemoteActor = typeof remoteActors.$inferSelect;
export type Follower = typeof followers.$inferSelect;
export type Following = typeof followings.$inferSelect;

/** Who follows whom, both ways, and the remote actors involved. */
export class FollowRepository {
  readonly #db: NodeDatabase;

  constructor(db: NodeDatabase) {
    this.#db = db;
  }

  rememberActor(actor: Omit<RemoteActor, "fetchedAt">): void {
    const row = { ...actor, fetchedAt: Date.now() };
    this.#db
      .insert(remoteActors)
      .values(row)
      .onConflictDoUpdate({ target: remoteActors.uri, set: row })
      .run();
  }

  remoteActor(uri: string): RemoteActor | undefined {
    return this.#db.select().from(remoteActors).where(eq(remoteActors.uri, uri)).get();
  }

  /** Records a follow request; a repeated request keeps an earlier decision to accept. */
  requestFollow(
    localActorId: number,
    actorUri: string,
    followId: string,
    state: FollowState,
  ): Follower {
    const now = Date.now();
    const decidedAt = state === "pending" ? null : now;
    return this.#db
      .insert(followers)
      .values({ localActorId, actorUri, followId, state, requestedAt: now, decidedAt })
      .onConflictDoUpdate({
        target: [followers.localActorId, followers.actorUri],
        set: { followId, state, decidedAt },
      })
      .returning()
      .get();
  }

  follower(localActorId: number, actorUri: string): Follower | undefined {
    return this.#db
      .select()
      .from(followers)
      .where(and(eq(followers.localActorId, localActorId), eq(followers.actorUri, actorUri)))
      .get();
  }

  decideFollower(
    localActorId: number,
    actorUri: string,
    state: Exclude<FollowState, "pending">,
  ): Follower | undefined {
    return this.#db
      .update(followers)
      .set({ state, decidedAt: Date.now() })
      .where(and(eq(followers.localActorId, localActorId), eq(followers.actorUri, actorUri)))
      .returning()
      .get();
  }

  removeFollower(localActorId: number, actorUri: string): void {
    this.#db
      .delete(followers)
      .where(and(eq(followers.localActorId, localActorId), eq(followers.actorUri, actorUri)))
      .run();
  }

  followers(localActorId: number, state: FollowState): Array<Follower & { actor: RemoteActor }> {
    return this.#db
      .select()
      .from(followers)
      .innerJoin(remoteActors, eq(followers.actorUri, remoteActors.uri))
      .where(and(eq(followers.localActorId, localActorId), eq(followers.state, state)))
      .orderBy(asc(followers.actorUri))
      .all()
      .map((row) => ({ ...row.followers, actor: row.remote_actors }));
  }

  /** One page of accepted followers, by actor URI after `after`. */
  acceptedFollowersPage(
    localActorId: number,
    after: string | null,
    limit: number,
  ): Array<Follower & { actor: RemoteActor }> {
    return this.#db
      .select()
      .from(followers)
      .innerJoin(remoteActors, eq(followers.actorUri, remoteActors.uri))
      .where(
        and(
          eq(followers.localActorId, localActorId),
          eq(followers.state, "accepted"),
          after === null ? undefined : gt(followers.actorUri, after),
        ),
      )
      .orderBy(asc(followers.actorUri))
      .limit(limit)
      .all()
      .map((row) => ({ ...row.followers, actor: row.remote_actors }));
  }

  countAcceptedFollowers(localActorId: number): number {
    const [row] = this.#db
      .select({ total: count() })
      .from(followers)
      .where(and(eq(followers.localActorId, localActorId), eq(followers.state, "accepted")))
      .all();
    return row?.total ?? 0;
  }

  startFollowing(localActorId: number, actorUri: string, followId: string): Following {
    return this.#db
      .insert(followings)
      .values({ localActorId, actorUri, followId, state: "pending", requestedAt: Date.now() })
      .onConflictDoUpdate({
        target: [followings.localActorId, followings.actorUri],
        set: { followId, state: "pending", decidedAt: null },
      })
      .returning()
      .get();
  }

  /** Applies the remote side's answer to our Follow; undefined when it names no Follow of ours. */
  answerFollowing(
    followId: string,
    by: string,
    state: Exclude<FollowState, "pending">,
  ): Following | undefined {
    return this.#db
      .update(followings)
      .set({ state, decidedAt: Date.now() })
      .where(and(eq(followings.followId, followId), eq(followings.actorUri, by)))
      .returning()
      .get();
  }

  following(localActorId: number, actorUri: string): Following | undefined {
    return this.#db
      .select()
      .from(followings)
      .where(and(eq(followings.localActorId, localActorId), eq(followings.actorUri, actorUri)))
      .get();
  }

  /** Whom a local actor follows or asked to follow, newest request first. */
  followings(localActorId: number): Array<Following & { actor: RemoteActor }> {
    return this.#db
      .select()
      .from(followings)
      .innerJoin(remoteActors, eq(followings.actorUri, remoteActors.uri))
      .where(eq(followings.localActorId, localActorId))
      .orderBy(desc(followings.requestedAt))
      .all()
      .map((row) => ({ ...row.followings, actor: row.remote_actors }));
  }

  forgetFollowing(localActorId: number, actorUri: string): void {
    this.#db
      .delete(followings)
      .where(and(eq(followings.localActorId, localActorId), eq(followings.actorUri, actorUri)))
      .run();
  }
}
