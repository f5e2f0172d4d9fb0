import { asc, count, eq } from "drizzle-orm";
import type { NodeDatabase } from "../db/database.ts";
import { type WebRole, webAccounts, webSessions } from "../db/schema.ts";

export type WebAccount = typeof webAccounts.$inferSelect;

/** Web accounts as stored; passwords arrive here already hashed. */
export class AccountRepository {
  readonly #db: NodeDatabase;

  constructor(db: NodeDatabase) {
    this.#db = db;
  }

  isEmpty(): boolean {
    return this.#db.select({ id: webAccounts.id }).from(webAccounts).limit(1).all().length === 0;
  }

  all(): WebAccount[] {
    return this.#db.select().from(webAccounts).orderBy(asc(webAccounts.username)).all();
  }

  byUsername(username: string): WebAccount | undefined {
    return this.#db.select().from(webAccounts).where(eq(webAccounts.username, username)).get();
  }

  byId(id: number): WebAccount | undefined {
    return this.#db.select().from(webAccounts).where(eq(webAccounts.id, id)).get();
  }

  create(account: {
    username: string;
    displayName: string;
    role: WebRole;
    actorId: number;
    passwordHash: string;
  }): WebAccount {
    const now = Date.now();
    return this.#db
      .insert(webAccounts)
      .values({ ...account, createdAt: now, passwordChangedAt: now })
      .returning()
      .get();
  }

  /** A new password also ends every session of the account. */
  setPasswordHash(id: number, passwordHash: string): void {
    this.#db.transaction((tx) => {
      tx.update(webAccounts)
        .set({ passwordHash, passwordChangedAt: Date.now() })
        .where(eq(webAccounts.id, id))
        .run();
      tx.delete(webSessions).where(eq(webSessions.accountId, id)).run();
    });
  }

  /** A new role may come with a new actor (a teacher acts as their own). */
  setRole(id: number, role: WebRole, actorId: number): void {
    this.#db.update(webAccounts).set({ role, actorId }).where(eq(webAccounts.id, id)).run();
  }

  /** Deletes the account; its sessions go with it. */
  remove(id: number): void {
    this.#db.delete(webAccounts).where(eq(webAccounts.id, id)).run();
  }

  countWithRole(role: WebRole): number {
    const [row] = this.#db
      .select({ total: count() })
      .from(webAccounts)
      .where(eq(webAccounts.role, role))
      .all();
    return row?.total ?? 0;
  }

  recordLogin(id: number): void {
    this.#db
      .update(webAccounts)
      .set({ lastLoginAt: Date.now() })
      .where(eq(webAccounts.id, id))
      .run();
  }
}
