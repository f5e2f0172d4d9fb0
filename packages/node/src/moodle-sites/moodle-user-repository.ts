import { and, asc, eq, isNotNull } from "drizzle-orm";
import type { NodeDatabase } from "../db/database.ts";
import type { moodleUsers } from "../db/schema.postgres.ts";
import type { MoodleUser } from "./acting-user.ts";

export type MoodleUserLink = typeof moodleUsers.$inferSelect;

/** Which teacher (local actor) the node acts as for each Moodle user of each target. */
export class MoodleUserRepository {
  readonly #db: NodeDatabase;

  constructor(db: NodeDatabase) {
    this.#db = db;
  }

  async find(targetId: number, moodleUserId: number): Promise<MoodleUserLink | undefined> {
    const { moodleUsers } = this.#db.tables;
    const [link] = await this.#db
      .select()
      .from(moodleUsers)
      .where(and(eq(moodleUsers.targetId, targetId), eq(moodleUsers.moodleUserId, moodleUserId)))
      .limit(1);
    return link;
  }

  /**
   * Links the user to the actor, unless another request linked them first (two first
   * requests of one user at once): returns the link that holds.
   */
  async link(targetId: number, user: MoodleUser, actorId: number): Promise<MoodleUserLink> {
    const { moodleUsers } = this.#db.tables;
    const now = Date.now();
    await this.#db
      .insert(moodleUsers)
      .values({
        targetId,
        moodleUserId: user.id,
        actorId,
        username: user.username,
        fullName: user.fullname,
        email: user.email,
        createdAt: now,
        lastSeenAt: now,
      })
      .onConflictDoNothing();
    return (await this.find(targetId, user.id)) as MoodleUserLink;
  }

  /** Notes the user's request, and their name and email as Moodle now gives them. */
  async seen(link: MoodleUserLink, user: MoodleUser): Promise<void> {
    const { moodleUsers } = this.#db.tables;
    await this.#db
      .update(moodleUsers)
      .set({
        username: user.username,
        fullName: user.fullname,
        email: user.email,
        lastSeenAt: Date.now(),
      })
      .where(
        and(
          eq(moodleUsers.targetId, link.targetId),
          eq(moodleUsers.moodleUserId, link.moodleUserId),
        ),
      );
  }

  /** Refuses the user from now on; false when the node never acted for them. */
  async revoke(targetId: number, moodleUserId: number, by: string): Promise<boolean> {
    const { moodleUsers } = this.#db.tables;
    const revoked = await this.#db
      .update(moodleUsers)
      .set({ revokedAt: Date.now(), revokedBy: by })
      .where(and(eq(moodleUsers.targetId, targetId), eq(moodleUsers.moodleUserId, moodleUserId)))
      .returning();
    return revoked.length > 0;
  }

  /** The target's Moodle users the node acted for, by Moodle user id. */
  async ofTarget(targetId: number): Promise<MoodleUserLink[]> {
    const { moodleUsers } = this.#db.tables;
    return await this.#db
      .select()
      .from(moodleUsers)
      .where(eq(moodleUsers.targetId, targetId))
      .orderBy(asc(moodleUsers.moodleUserId));
  }

  /**
   * Deletes an actor made for a Moodle user whom another request linked first, before
   * anything was published as it.
   */
  async discardActor(actorId: number): Promise<void> {
    const { localActors } = this.#db.tables;
    await this.#db.delete(localActors).where(eq(localActors.id, actorId));
  }

  /** Whether an admin disabled the web account of the actor (a teacher who may sign in too). */
  async accountDisabled(actorId: number): Promise<boolean> {
    const { webAccounts } = this.#db.tables;
    const [disabled] = await this.#db
      .select({ id: webAccounts.id })
      .from(webAccounts)
      .where(and(eq(webAccounts.actorId, actorId), isNotNull(webAccounts.disabledAt)))
      .limit(1);
    return disabled !== undefined;
  }
}
