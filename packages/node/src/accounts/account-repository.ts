import { and, asc, count, eq, isNull } from "drizzle-orm";
import type { NodeDatabase } from "../db/database.ts";
import type { webAccounts } from "../db/schema.postgres.ts";
import type { WebRole } from "../vocabulary/account-roles.ts";

export type WebAccount = typeof webAccounts.$inferSelect;

/** Web accounts as stored; passwords arrive here already hashed. */
export class AccountRepository {
  readonly #db: NodeDatabase;

  constructor(db: NodeDatabase) {
    this.#db = db;
  }

  async isEmpty(): Promise<boolean> {
    const { webAccounts } = this.#db.tables;
    const some = await this.#db.select({ id: webAccounts.id }).from(webAccounts).limit(1);
    return some.length === 0;
  }

  async all(): Promise<WebAccount[]> {
    const { webAccounts } = this.#db.tables;
    return await this.#db.select().from(webAccounts).orderBy(asc(webAccounts.username));
  }

  async byUsername(username: string): Promise<WebAccount | undefined> {
    const { webAccounts } = this.#db.tables;
    const [account] = await this.#db
      .select()
      .from(webAccounts)
      .where(eq(webAccounts.username, username))
      .limit(1);
    return account;
  }

  async byId(id: number): Promise<WebAccount | undefined> {
    const { webAccounts } = this.#db.tables;
    const [account] = await this.#db
      .select()
      .from(webAccounts)
      .where(eq(webAccounts.id, id))
      .limit(1);
    return account;
  }

  /** The account single sign-on opened for this subject of this provider, if any. */
  async byOidcSubject(issuer: string, subject: string): Promise<WebAccount | undefined> {
    const { webAccounts } = this.#db.tables;
    const [account] = await this.#db
      .select()
      .from(webAccounts)
      .where(and(eq(webAccounts.oidcIssuer, issuer), eq(webAccounts.oidcSubject, subject)))
      .limit(1);
    return account;
  }

  async create(account: {
    username: string;
    displayName: string;
    role: WebRole;
    actorId: number;
    passwordHash: string;
  }): Promise<WebAccount> {
    const { webAccounts } = this.#db.tables;
    const now = Date.now();
    const [created] = await this.#db
      .insert(webAccounts)
      .values({ ...account, createdAt: now, passwordChangedAt: now })
      .returning();
    return created as WebAccount;
  }

  /**
   * Makes an account linked to a provider's subject, or nothing (undefined) when the
   * username or the link is taken meanwhile: several processes may be signing in at once.
   */
  async createLinked(account: {
    username: string;
    displayName: string;
    role: WebRole;
    actorId: number;
    passwordHash: string;
    oidcIssuer: string;
    oidcSubject: string;
  }): Promise<WebAccount | undefined> {
    const { webAccounts } = this.#db.tables;
    const now = Date.now();
    const [created] = await this.#db
      .insert(webAccounts)
      .values({ ...account, createdAt: now, passwordChangedAt: now })
      .onConflictDoNothing()
      .returning();
    return created;
  }

  /** A new password also ends every session of the account. */
  async setPasswordHash(id: number, passwordHash: string): Promise<void> {
    const { webAccounts, webSessions } = this.#db.tables;
    await this.#db.transaction(async (tx) => {
      await tx
        .update(webAccounts)
        .set({ passwordHash, passwordChangedAt: Date.now() })
        .where(eq(webAccounts.id, id));
      await tx.delete(webSessions).where(eq(webSessions.accountId, id));
    });
  }

  /** A new role may come with a new actor (a teacher acts as their own). */
  async setRole(id: number, role: WebRole, actorId: number): Promise<void> {
    const { webAccounts } = this.#db.tables;
    await this.#db.update(webAccounts).set({ role, actorId }).where(eq(webAccounts.id, id));
  }

  /** Deletes the account; its sessions go with it. */
  async remove(id: number): Promise<void> {
    const { webAccounts } = this.#db.tables;
    await this.#db.delete(webAccounts).where(eq(webAccounts.id, id));
  }

  /** Disabling also ends every session of the account; enabling lets it sign in again. */
  async setDisabled(id: number, disabled: boolean): Promise<void> {
    const { webAccounts, webSessions } = this.#db.tables;
    await this.#db.transaction(async (tx) => {
      await tx
        .update(webAccounts)
        .set({ disabledAt: disabled ? Date.now() : null })
        .where(eq(webAccounts.id, id));
      if (disabled) await tx.delete(webSessions).where(eq(webSessions.accountId, id));
    });
  }

  async endSessions(id: number): Promise<void> {
    const { webSessions } = this.#db.tables;
    await this.#db.delete(webSessions).where(eq(webSessions.accountId, id));
  }

  /** Accounts of this role that can sign in (disabled ones are not counted). */
  async countEnabledWithRole(role: WebRole): Promise<number> {
    const { webAccounts } = this.#db.tables;
    const [row] = await this.#db
      .select({ total: count() })
      .from(webAccounts)
      .where(and(eq(webAccounts.role, role), isNull(webAccounts.disabledAt)));
    return row?.total ?? 0;
  }

  async recordLogin(id: number): Promise<void> {
    const { webAccounts } = this.#db.tables;
    await this.#db
      .update(webAccounts)
      .set({ lastLoginAt: Date.now() })
      .where(eq(webAccounts.id, id));
  }
}
