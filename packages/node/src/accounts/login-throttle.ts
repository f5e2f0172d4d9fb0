import { and, asc, count, eq, gt, lte } from "drizzle-orm";
import type { NodeDatabase } from "../db/database.ts";

/** Failed sign-ins allowed per username and address within the window... */
export const LOGIN_FAILURES_ALLOWED = 5;
/** ...counted over this window; the next try is possible once the oldest one leaves it. */
export const LOGIN_WINDOW_MS = 15 * 60 * 1000;

/**
 * Slows password guessing: after LOGIN_FAILURES_ALLOWED failures for one username from
 * one address, that pair is refused until the window has passed. Per pair, so that
 * someone guessing at an account cannot lock its owner out from elsewhere.
 */
export class LoginThrottle {
  readonly #db: NodeDatabase;
  readonly #now: () => number;

  constructor(db: NodeDatabase, now: () => number = Date.now) {
    this.#db = db;
    this.#now = now;
  }

  /** When the pair may try again, if it may not now. */
  async blockedUntil(username: string, address: string): Promise<number | undefined> {
    const { loginFailures } = this.#db.tables;
    const key = throttleKey(username, address);
    const since = this.#now() - LOGIN_WINDOW_MS;
    const recent = and(eq(loginFailures.key, key), gt(loginFailures.failedAt, since));
    const [row] = await this.#db.select({ total: count() }).from(loginFailures).where(recent);
    if ((row?.total ?? 0) < LOGIN_FAILURES_ALLOWED) return undefined;
    const [oldest] = await this.#db
      .select({ failedAt: loginFailures.failedAt })
      .from(loginFailures)
      .where(recent)
      .orderBy(asc(loginFailures.failedAt))
      .limit(1);
    return (oldest?.failedAt ?? this.#now()) + LOGIN_WINDOW_MS;
  }

  async recordFailure(username: string, address: string): Promise<void> {
    const { loginFailures } = this.#db.tables;
    const now = this.#now();
    await this.#db.transaction(async (tx) => {
      await tx.delete(loginFailures).where(lte(loginFailures.failedAt, now - LOGIN_WINDOW_MS));
      await tx.insert(loginFailures).values({ key: throttleKey(username, address), failedAt: now });
    });
  }

  /** A successful sign-in forgets the pair's failures. */
  async clear(username: string, address: string): Promise<void> {
    const { loginFailures } = this.#db.tables;
    await this.#db
      .delete(loginFailures)
      .where(eq(loginFailures.key, throttleKey(username, address)));
  }
}

function throttleKey(username: string, address: string): string {
  return `${username.toLowerCase()}\n${address}`;
}
