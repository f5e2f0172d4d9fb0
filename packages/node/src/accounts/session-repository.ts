import { eq, lt } from "drizzle-orm";
import { hashBearerSecret, newBearerSecret } from "../bearer-secrets.ts";
import type { NodeDatabase } from "../db/database.ts";
import type { WebAccount } from "./account-repository.ts";

/** A session ends after this long without a request... */
export const SESSION_IDLE_MS = 8 * 3600 * 1000;
/** ...and in any case this long after sign-in. */
export const SESSION_MAX_MS = 7 * 24 * 3600 * 1000;
/** Renewal writes at most this often per session, not on every request. */
const RENEWAL_GRANULARITY_MS = 60 * 1000;

export interface WebSession {
  readonly account: WebAccount;
  readonly csrfToken: string;
  readonly expiresAt: number;
}

/** Server-side sessions, found by the sha256 of the cookie's random id. */
export class SessionRepository {
  readonly #db: NodeDatabase;
  readonly #now: () => number;

  constructor(db: NodeDatabase, now: () => number = Date.now) {
    this.#db = db;
    this.#now = now;
  }

  /** Starts a session; the id returned goes in the cookie and is not kept in clear. */
  async create(accountId: number): Promise<{ id: string; session: WebSession }> {
    const { webAccounts, webSessions } = this.#db.tables;
    // Sign-ins are rare: a good moment to forget the sessions that ended.
    await this.#purgeExpired();
    const id = newBearerSecret();
    const now = this.#now();
    const [stored] = await this.#db
      .insert(webSessions)
      .values({
        idHash: hashBearerSecret(id),
        accountId,
        csrfToken: newBearerSecret(),
        createdAt: now,
        expiresAt: now + SESSION_IDLE_MS,
      })
      .returning();
    const [account] = await this.#db
      .select()
      .from(webAccounts)
      .where(eq(webAccounts.id, accountId))
      .limit(1);
    const { csrfToken, expiresAt } = stored as NonNullable<typeof stored>;
    return { id, session: { account: account as WebAccount, csrfToken, expiresAt } };
  }

  /**
   * The live session with this id, its expiry pushed forward; undefined once expired, or
   * once its account is disabled (disabling ends the sessions too, but a sign-in may have
   * been finishing at that moment).
   */
  async authenticate(id: string): Promise<WebSession | undefined> {
    const { webAccounts, webSessions } = this.#db.tables;
    const idHash = hashBearerSecret(id);
    const [found] = await this.#db
      .select()
      .from(webSessions)
      .innerJoin(webAccounts, eq(webSessions.accountId, webAccounts.id))
      .where(eq(webSessions.idHash, idHash))
      .limit(1);
    if (!found) return undefined;
    const now = this.#now();
    const session = found.web_sessions;
    if (session.expiresAt <= now || found.web_accounts.disabledAt !== null) {
      await this.#db.delete(webSessions).where(eq(webSessions.idHash, idHash));
      return undefined;
    }
    let expiresAt = session.expiresAt;
    const renewed = Math.min(now + SESSION_IDLE_MS, session.createdAt + SESSION_MAX_MS);
    if (renewed - expiresAt >= RENEWAL_GRANULARITY_MS) {
      await this.#db
        .update(webSessions)
        .set({ expiresAt: renewed })
        .where(eq(webSessions.idHash, idHash));
      expiresAt = renewed;
    }
    return { account: found.web_accounts, csrfToken: session.csrfToken, expiresAt };
  }

  async destroy(id: string): Promise<void> {
    const { webSessions } = this.#db.tables;
    await this.#db.delete(webSessions).where(eq(webSessions.idHash, hashBearerSecret(id)));
  }

  /** Forgets expired sessions (each is refused anyway once expired). */
  async #purgeExpired(): Promise<void> {
    const { webSessions } = this.#db.tables;
    await this.#db.delete(webSessions).where(lt(webSessions.expiresAt, this.#now()));
  }
}
