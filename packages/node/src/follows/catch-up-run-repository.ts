import { and, desc, eq, lt } from "drizzle-orm";
import type { NodeDatabase } from "../db/database.ts";

/** Where an admin's background catch-up stands. */
export type CatchUpRunState = "under-way" | "ended" | "cut-short";

export interface CatchUpRun {
  readonly id: string;
  /**
   * under-way; ended (read every actor it listed, or its time was up); cut-short (the
   * node stopped, or its process died, before it ended: `error` says which).
   */
  readonly state: CatchUpRunState;
  readonly requestedBy: string;
  readonly startedAt: number;
  readonly endedAt: number | null;
  /** The actors it reads, null until listed. */
  readonly actors: number | null;
  readonly read: number;
  readonly caughtUp: number;
  readonly error: string | null;
}

/** Why a run left under way by a process that died is taken as ended. */
const DIED = "cut short: the node process running it stopped before it ended";

/**
 * The catch-ups of every followed actor that admins asked for, one under way at a time
 * per node: the unique `under_way` column is the claim, taken by one insert, so that two
 * processes asked at once cannot both start one. A run whose process died keeps its claim
 * until its lease (its time limit and a margin) has passed; the next claim then ends it.
 */
export class CatchUpRunRepository {
  readonly #db: NodeDatabase;

  constructor(db: NodeDatabase) {
    this.#db = db;
  }

  /**
   * Starts a run unless one is under way: the new run, or the one under way. A run left
   * under way past its lease is ended as cut short first.
   */
  async begin(run: {
    readonly id: string;
    readonly requestedBy: string;
    readonly startedAt: number;
    readonly leaseUntil: number;
  }): Promise<{ readonly started: boolean; readonly run: CatchUpRun }> {
    const { catchUpRuns } = this.#db.tables;
    await this.#db
      .update(catchUpRuns)
      .set({ underWay: null, endedAt: run.startedAt, error: DIED })
      .where(and(eq(catchUpRuns.underWay, 1), lt(catchUpRuns.leaseUntil, run.startedAt)));
    const inserted = await this.#db
      .insert(catchUpRuns)
      .values({ ...run, underWay: 1 })
      .onConflictDoNothing()
      .returning({ id: catchUpRuns.id });
    if (inserted.length > 0) return { started: true, run: await this.#byId(run.id, run.startedAt) };
    const [underWay] = await this.#db
      .select()
      .from(catchUpRuns)
      .where(eq(catchUpRuns.underWay, 1))
      .limit(1);
    // Ended between the insert and this read: the claim is free again.
    if (!underWay) return await this.begin(run);
    return { started: false, run: runOf(underWay, run.startedAt) };
  }

  /** How far a run under way has got. */
  async progress(
    id: string,
    progress: { readonly actors?: number; readonly read?: number; readonly caughtUp?: number },
  ): Promise<void> {
    const { catchUpRuns } = this.#db.tables;
    await this.#db.update(catchUpRuns).set(progress).where(eq(catchUpRuns.id, id));
  }

  /** Ends a run and frees the claim; `error` when it was cut short. */
  async end(id: string, ended: { readonly endedAt: number; readonly error?: string }) {
    const { catchUpRuns } = this.#db.tables;
    await this.#db
      .update(catchUpRuns)
      .set({ underWay: null, endedAt: ended.endedAt, error: ended.error ?? null })
      .where(eq(catchUpRuns.id, id));
  }

  /** The run started last, under way or not; undefined when none was ever asked for. */
  async latest(now: number = Date.now()): Promise<CatchUpRun | undefined> {
    const { catchUpRuns } = this.#db.tables;
    const [row] = await this.#db
      .select()
      .from(catchUpRuns)
      .orderBy(desc(catchUpRuns.startedAt), desc(catchUpRuns.id))
      .limit(1);
    return row ? runOf(row, now) : undefined;
  }

  async #byId(id: string, now: number): Promise<CatchUpRun> {
    const { catchUpRuns } = this.#db.tables;
    const [row] = await this.#db.select().from(catchUpRuns).where(eq(catchUpRuns.id, id));
    if (!row) throw new Error(`The catch-up run ${id} just started is not in the database.`);
    return runOf(row, now);
  }
}

type Row = {
  readonly id: string;
  readonly underWay: number | null;
  readonly requestedBy: string;
  readonly startedAt: number;
  readonly leaseUntil: number;
  readonly endedAt: number | null;
  readonly actors: number | null;
  readonly read: number;
  readonly caughtUp: number;
  readonly error: string | null;
};

function runOf(row: Row, now: number): CatchUpRun {
  const died = row.underWay !== null && row.leaseUntil < now;
  const state: CatchUpRunState =
    row.underWay !== null && !died
      ? "under-way"
      : row.error !== null || died
        ? "cut-short"
        : "ended";
  return {
    id: row.id,
    state,
    requestedBy: row.requestedBy,
    startedAt: row.startedAt,
    endedAt: died ? row.leaseUntil : row.endedAt,
    actors: row.actors,
    read: row.read,
    caughtUp: row.caughtUp,
    error: died ? DIED : row.error,
  };
}
