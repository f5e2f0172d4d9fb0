import { and, asc, count, desc, eq, gt, isNotNull, lte, type SQL, sql } from "drizzle-orm";
import type { RemoteActor } from "../actors/remote-actors.ts";
import type { NodeDatabase } from "../db/database.ts";
import type { followers, followings } from "../db/schema.postgres.ts";
import type { FollowState } from "../vocabulary/follow-states.ts";

export type Follower = typeof followers.$inferSelect;
export type Following = typeof followings.$inferSelect;

/**
 * followers (who follows our actors) and followings (whom our actors follow) keep a follow
 * in the same columns: one is found, and the accepted ones are listed, alike both ways.
 */
type FollowTable = typeof followers | typeof followings;

/** The follow between a local actor and a remote one. */
function followBetween(
  table: FollowTable,
  localActorId: number,
  actorUri: string,
): SQL | undefined {
  return and(eq(table.localActorId, localActorId), eq(table.actorUri, actorUri));
}

/** A local actor's accepted follows. */
function acceptedOf(table: FollowTable, localActorId: number): SQL | undefined {
  return and(eq(table.localActorId, localActorId), eq(table.state, "accepted"));
}

/** A followed actor whose outbox a catch-up may read, and the follow it reads it through. */
export interface CatchUpCandidate {
  readonly actorUri: string;
  /** The local actor that reads it: its follow lets it read followers-only courses. */
  readonly localActorId: number;
  /** When the earliest of our follows of it was accepted. */
  readonly followedSince: number | null;
  readonly behindSince: number | null;
  readonly caughtUpAt: number | null;
  /** When a catch-up last read its outbox through (not stopped at a page it held). */
  readonly readThroughAt: number | null;
  /** How the last catch-up went, in one line. */
  readonly result: string | null;
  readonly notBefore: number | null;
}

/** Who follows whom, both ways, and the remote actors involved. */
export class FollowRepository {
  readonly #db: NodeDatabase;

  constructor(db: NodeDatabase) {
    this.#db = db;
  }

  async rememberActor(actor: Omit<RemoteActor, "fetchedAt">): Promise<void> {
    const { remoteActors } = this.#db.tables;
    const row = { ...actor, fetchedAt: Date.now() };
    await this.#db
      .insert(remoteActors)
      .values(row)
      .onConflictDoUpdate({ target: remoteActors.uri, set: row });
  }

  async remoteActor(uri: string): Promise<RemoteActor | undefined> {
    const { remoteActors } = this.#db.tables;
    const [actor] = await this.#db
      .select()
      .from(remoteActors)
      .where(eq(remoteActors.uri, uri))
      .limit(1);
    return actor;
  }

  /** Records a follow request; a repeated request keeps an earlier decision to accept. */
  async requestFollow(
    localActorId: number,
    actorUri: string,
    followId: string,
    state: FollowState,
  ): Promise<Follower> {
    const { followers } = this.#db.tables;
    const now = Date.now();
    const decidedAt = state === "pending" ? null : now;
    const [follower] = await this.#db
      .insert(followers)
      .values({ localActorId, actorUri, followId, state, requestedAt: now, decidedAt })
      .onConflictDoUpdate({
        target: [followers.localActorId, followers.actorUri],
        set: { followId, state, decidedAt },
      })
      .returning();
    return follower as Follower;
  }

  async follower(localActorId: number, actorUri: string): Promise<Follower | undefined> {
    const { followers } = this.#db.tables;
    const [follower] = await this.#db
      .select()
      .from(followers)
      .where(followBetween(followers, localActorId, actorUri))
      .limit(1);
    return follower;
  }

  async decideFollower(
    localActorId: number,
    actorUri: string,
    state: Exclude<FollowState, "pending">,
  ): Promise<Follower | undefined> {
    const { followers } = this.#db.tables;
    const [follower] = await this.#db
      .update(followers)
      .set({ state, decidedAt: Date.now() })
      .where(followBetween(followers, localActorId, actorUri))
      .returning();
    return follower;
  }

  async removeFollower(localActorId: number, actorUri: string): Promise<void> {
    const { followers } = this.#db.tables;
    await this.#db.delete(followers).where(followBetween(followers, localActorId, actorUri));
  }

  async followers(
    localActorId: number,
    state: FollowState,
  ): Promise<Array<Follower & { actor: RemoteActor }>> {
    const { followers, remoteActors } = this.#db.tables;
    const rows = await this.#db
      .select()
      .from(followers)
      .innerJoin(remoteActors, eq(followers.actorUri, remoteActors.uri))
      .where(and(eq(followers.localActorId, localActorId), eq(followers.state, state)))
      .orderBy(asc(followers.actorUri));
    return rows.map((row) => ({ ...row.followers, actor: row.remote_actors }));
  }

  /** One page of accepted followers, by actor URI after `after`. */
  async acceptedFollowersPage(
    localActorId: number,
    after: string | null,
    limit: number,
  ): Promise<Array<Follower & { actor: RemoteActor }>> {
    const { followers, remoteActors } = this.#db.tables;
    const rows = await this.#db
      .select()
      .from(followers)
      .innerJoin(remoteActors, eq(followers.actorUri, remoteActors.uri))
      .where(
        and(
          acceptedOf(followers, localActorId),
          after === null ? undefined : gt(followers.actorUri, after),
        ),
      )
      .orderBy(asc(followers.actorUri))
      .limit(limit);
    return rows.map((row) => ({ ...row.followers, actor: row.remote_actors }));
  }

  async countAcceptedFollowers(localActorId: number): Promise<number> {
    const { followers } = this.#db.tables;
    const [row] = await this.#db
      .select({ total: count() })
      .from(followers)
      .where(acceptedOf(followers, localActorId));
    return row?.total ?? 0;
  }

  async startFollowing(
    localActorId: number,
    actorUri: string,
    followId: string,
  ): Promise<Following> {
    const { followings } = this.#db.tables;
    const [following] = await this.#db
      .insert(followings)
      .values({ localActorId, actorUri, followId, state: "pending", requestedAt: Date.now() })
      .onConflictDoUpdate({
        target: [followings.localActorId, followings.actorUri],
        set: { followId, state: "pending", decidedAt: null },
      })
      .returning();
    return following as Following;
  }

  /** Applies the remote side's answer to our Follow; undefined when it names no Follow of ours. */
  async answerFollowing(
    followId: string,
    by: string,
    state: Exclude<FollowState, "pending">,
  ): Promise<Following | undefined> {
    const { followings } = this.#db.tables;
    const [following] = await this.#db
      .update(followings)
      .set({ state, decidedAt: Date.now() })
      .where(and(eq(followings.followId, followId), eq(followings.actorUri, by)))
      .returning();
    return following;
  }

  async following(localActorId: number, actorUri: string): Promise<Following | undefined> {
    const { followings } = this.#db.tables;
    const [following] = await this.#db
      .select()
      .from(followings)
      .where(followBetween(followings, localActorId, actorUri))
      .limit(1);
    return following;
  }

  /**
   * Whether any local actor follows `actorUri` with a follow it accepted: the one test of
   * whether courses from (or announced by) that actor may enter the catalog.
   */
  async followedByAnyLocalActor(actorUri: string): Promise<boolean> {
    const { followings } = this.#db.tables;
    const [row] = await this.#db
      .select({ actorUri: followings.actorUri })
      .from(followings)
      .where(and(eq(followings.actorUri, actorUri), eq(followings.state, "accepted")))
      .limit(1);
    return row !== undefined;
  }

  /**
   * The remote actors some local actor follows with an accepted follow, each once: whose
   * servers a network search asks.
   */
  async acceptedFollowingUris(): Promise<string[]> {
    const { followings } = this.#db.tables;
    const rows = await this.#db
      .selectDistinct({ actorUri: followings.actorUri })
      .from(followings)
      .where(eq(followings.state, "accepted"))
      .orderBy(asc(followings.actorUri));
    return rows.map((row) => row.actorUri);
  }

  /**
   * The local actors that an actor of the server at `origin` (scheme, host and port)
   * follows with an accepted follow: whose followers-only courses that server may see.
   */
  async localActorsFollowedFrom(origin: string): Promise<Set<number>> {
    const { followers } = this.#db.tables;
    const pattern = `${origin.replace(/[\\%_]/g, (character) => `\\${character}`)}/%`;
    const rows = await this.#db
      .selectDistinct({ localActorId: followers.localActorId })
      .from(followers)
      .where(
        and(
          eq(followers.state, "accepted"),
          sql`${followers.actorUri} like ${pattern} escape '\\'`,
        ),
      );
    return new Set(rows.map((row) => row.localActorId));
  }

  /** Whom a local actor follows or asked to follow, newest request first. */
  async followings(localActorId: number): Promise<Array<Following & { actor: RemoteActor }>> {
    const { followings, remoteActors } = this.#db.tables;
    const rows = await this.#db
      .select()
      .from(followings)
      .innerJoin(remoteActors, eq(followings.actorUri, remoteActors.uri))
      .where(eq(followings.localActorId, localActorId))
      .orderBy(desc(followings.requestedAt));
    return rows.map((row) => ({ ...row.followings, actor: row.remote_actors }));
  }

  /** One page of the actors a local actor follows (accepted follows), by actor URI after `after`. */
  async acceptedFollowingsPage(
    localActorId: number,
    after: string | null,
    limit: number,
  ): Promise<string[]> {
    const { followings } = this.#db.tables;
    const rows = await this.#db
      .select({ actorUri: followings.actorUri })
      .from(followings)
      .where(
        and(
          acceptedOf(followings, localActorId),
          after === null ? undefined : gt(followings.actorUri, after),
        ),
      )
      .orderBy(asc(followings.actorUri))
      .limit(limit);
    return rows.map((row) => row.actorUri);
  }

  async countAcceptedFollowings(localActorId: number): Promise<number> {
    const { followings } = this.#db.tables;
    const [row] = await this.#db
      .select({ total: count() })
      .from(followings)
      .where(acceptedOf(followings, localActorId));
    return row?.total ?? 0;
  }

  /** Every local actor's follow of `actorUri`, whatever its state (an actor deleted or moved). */
  async followsOf(actorUri: string): Promise<Following[]> {
    const { followings } = this.#db.tables;
    return await this.#db.select().from(followings).where(eq(followings.actorUri, actorUri));
  }

  /** Forgets every follow of and by a remote actor, both ways; returns how many there were. */
  async forgetActorFollows(actorUri: string): Promise<number> {
    const { followers, followings } = this.#db.tables;
    return await this.#db.transaction(async (tx) => {
      const lost = await tx
        .delete(followings)
        .where(eq(followings.actorUri, actorUri))
        .returning({ actorUri: followings.actorUri });
      const gone = await tx
        .delete(followers)
        .where(eq(followers.actorUri, actorUri))
        .returning({ actorUri: followers.actorUri });
      return lost.length + gone.length;
    });
  }

  /** Marks a pending follow of ours as accepted without an Accept (one FEP-8fcf showed was lost). */
  async acceptFollowing(localActorId: number, actorUri: string): Promise<void> {
    const { followings } = this.#db.tables;
    await this.#db
      .update(followings)
      .set({ state: "accepted", decidedAt: Date.now() })
      .where(
        and(
          eq(followings.localActorId, localActorId),
          eq(followings.actorUri, actorUri),
          eq(followings.state, "pending"),
        ),
      );
  }

  /**
   * The actors followed with an accepted follow, each once: the behind ones first (the
   * longest behind first), then the least recently caught up. With `behindOnly`, only
   * those whose activity failed after their last catch-up began: one a catch-up could not
   * bring up to date waits for the next period, not the next few minutes. Only `actorUri`
   * if given.
   */
  async catchUpCandidates(
    options: { readonly behindOnly?: boolean; readonly actorUri?: string } = {},
  ): Promise<CatchUpCandidate[]> {
    const { followings } = this.#db.tables;
    const rows = await this.#db
      .select({
        actorUri: followings.actorUri,
        localActorId: followings.localActorId,
        decidedAt: followings.decidedAt,
        behindSince: followings.behindSince,
        caughtUpAt: followings.caughtUpAt,
        readThroughAt: followings.readThroughAt,
        result: followings.catchUpResult,
        notBefore: followings.catchUpNotBefore,
      })
      .from(followings)
      .where(
        and(
          eq(followings.state, "accepted"),
          options.actorUri === undefined ? undefined : eq(followings.actorUri, options.actorUri),
          options.behindOnly ? isNotNull(followings.behindSince) : undefined,
        ),
      );
    const byActor = new Map<string, CatchUpCandidate>();
    for (const row of rows) {
      const held = byActor.get(row.actorUri);
      const followedSince =
        held?.followedSince == null || row.decidedAt === null
          ? (held?.followedSince ?? row.decidedAt)
          : Math.min(held.followedSince, row.decidedAt);
      byActor.set(row.actorUri, {
        actorUri: row.actorUri,
        localActorId: held?.localActorId ?? row.localActorId,
        followedSince,
        behindSince: row.behindSince ?? held?.behindSince ?? null,
        caughtUpAt: row.caughtUpAt ?? held?.caughtUpAt ?? null,
        readThroughAt: row.readThroughAt ?? held?.readThroughAt ?? null,
        result: row.result ?? held?.result ?? null,
        notBefore: row.notBefore ?? held?.notBefore ?? null,
      });
    }
    const behind = (candidate: CatchUpCandidate) =>
      candidate.behindSince ?? Number.POSITIVE_INFINITY;
    const due = (candidate: CatchUpCandidate) =>
      !options.behindOnly ||
      (candidate.behindSince !== null &&
        (candidate.caughtUpAt === null || candidate.caughtUpAt < candidate.behindSince));
    return [...byActor.values()]
      .filter(due)
      .sort(
        (a, b) =>
          behind(a) - behind(b) ||
          (a.caughtUpAt ?? 0) - (b.caughtUpAt ?? 0) ||
          a.actorUri.localeCompare(b.actorUri),
      );
  }

  /**
   * Marks a followed actor behind (an activity of it failed for good, `at`), so that the
   * next catch-up reads it first; behindSince is its latest such failure.
   */
  async markBehind(actorUri: string, at: number): Promise<void> {
    const { followings } = this.#db.tables;
    await this.#db
      .update(followings)
      .set({ behindSince: at })
      .where(eq(followings.actorUri, actorUri));
  }

  /**
   * Records how a catch-up of `actorUri` went, on each of our follows of it, as of when it
   * began (`startedAt`: what it read is what the outbox listed then). One that read the
   * outbox through is no longer behind for what failed before it began. One that read
   * it through (`readThrough`) is not due to again for a while.
   */
  async recordCatchUp(
    actorUri: string,
    outcome: {
      readonly startedAt: number;
      readonly result: string;
      readonly caughtUp: boolean;
      readonly readThrough?: boolean;
      readonly notBefore: number | null;
    },
  ): Promise<void> {
    const { followings } = this.#db.tables;
    await this.#db
      .update(followings)
      .set({
        caughtUpAt: outcome.startedAt,
        catchUpResult: outcome.result,
        catchUpNotBefore: outcome.notBefore,
        ...(outcome.readThrough ? { readThroughAt: outcome.startedAt } : {}),
      })
      .where(eq(followings.actorUri, actorUri));
    if (!outcome.caughtUp) return;
    await this.#db
      .update(followings)
      .set({ behindSince: null })
      .where(
        and(eq(followings.actorUri, actorUri), lte(followings.behindSince, outcome.startedAt)),
      );
  }

  async forgetFollowing(localActorId: number, actorUri: string): Promise<void> {
    const { followings } = this.#db.tables;
    await this.#db.delete(followings).where(followBetween(followings, localActorId, actorUri));
  }
}
