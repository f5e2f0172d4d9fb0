import { asc, eq, sql } from "drizzle-orm";
import type { NodeDatabase } from "../db/database.ts";
import { peers } from "../db/schema.ts";

export type PeerRecord = typeof peers.$inferSelect;

/** How deliveries to each peer server went. */
export class PeerRepository {
  readonly #db: NodeDatabase;

  constructor(db: NodeDatabase) {
    this.#db = db;
  }

  recordDelivery(host: string): void {
    const now = Date.now();
    this.#db
      .insert(peers)
      .values({ host, deliveries: 1, lastDeliveredAt: now })
      .onConflictDoUpdate({
        target: peers.host,
        set: {
          deliveries: sql`${peers.deliveries} + 1`,
          consecutiveFailures: 0,
          lastDeliveredAt: now,
        },
      })
      .run();
  }

  recordFailure(host: string, error: string): void {
    const now = Date.now();
    const lastError = error.slice(0, 500);
    this.#db
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
      })
      .run();
  }

  peer(host: string): PeerRecord | undefined {
    return this.#db.select().from(peers).where(eq(peers.host, host)).get();
  }

  all(): PeerRecord[] {
    return this.#db.select().from(peers).orderBy(asc(peers.host)).all();
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
