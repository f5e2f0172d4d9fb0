import { asc, eq, sql } from "drizzle-orm";
import type { NodeDatabase } from "../db/database.ts";
import type { peers } from "../db/schema.postgres.ts";

export type PeerRecord = typeof peers.$inferSelect;

/** How deliveries to each peer server went. */
export class PeerRepository {
  readonly #db: NodeDatabase;

  constructor(db: NodeDatabase) {
    this.#db = db;
  }

  async recordDelivery(host: string): Promise<void> {
    await this.recordDeliveries(new Map([[host, 1]]));
  }

  /** Successful deliveries counted together (a fan-out's), one statement for all hosts. */
  async recordDeliveries(counts: ReadonlyMap<string, number>): Promise<void> {
    if (counts.size === 0) return;
    const { peers } = this.#db.tables;
    const now = Date.now();
    await this.#db
      .insert(peers)
      .values([...counts].map(([host, deliveries]) => ({ host, deliveries, lastDeliveredAt: now })))
      .onConflictDoUpdate({
        target: peers.host,
        set: {
          deliveries: sql`${peers.deliveries} + excluded.deliveries`,
          consecutiveFailures: 0,
          lastDeliveredAt: now,
        },
      });
  }

  async recordFailure(host: string, error: string): Promise<void> {
    const { peers } = this.#db.tables;
    const now = Date.now();
    const lastError = error.slice(0, 500);
    await this.#db
      .insert(peers)
      .values({ host, failures: 1, consecutiveFailures: 1, lastFailedAt: now, lastError })
      .onConflictDoUpdate({
        target: peers.host,
        set: {
          failures: sql`${peers.failures} + 1`,
          consecutiveFailures: sql`${peers.consecutiveFailures} + 1`,
          lastFailedAt: now,
          lastError,
        },
      });
  }

  async peer(host: string): Promise<PeerRecord | undefined> {
    const { peers } = this.#db.tables;
    const [peer] = await this.#db.select().from(peers).where(eq(peers.host, host)).limit(1);
    return peer;
  }

  async all(): Promise<PeerRecord[]> {
    const { peers } = this.#db.tables;
    return await this.#db.select().from(peers).orderBy(asc(peers.host));
  }
}

/** Fedify's circuit breaker holds a peer back after this many failures in a row. */
const FAILING_AFTER = 5;

export type PeerState = "ok" | "retrying" | "failing" | "blocked";

export function peerState(peer: PeerRecord, federates: boolean): PeerState {
  if (!federates) return "blocked";
  if (peer.consecutiveFailures === 0) return "ok";
  return peer.consecutiveFailures >= FAILING_AFTER ? "failing" : "retrying";
}
