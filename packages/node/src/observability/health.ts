import type { MessageQueue } from "@fedify/fedify";
import type { NodeDatabase } from "../db/database.ts";

/** Longer than this for the database to answer, and the node says it is unwell. */
const DATABASE_TIMEOUT_MS = 5000;

export interface HealthReport {
  readonly status: "ok" | "failing";
  readonly database: {
    readonly engine: string;
    readonly ok: boolean;
    readonly ms: number;
    readonly error?: string;
  };
  readonly queues: Readonly<
    Record<
      string,
      { readonly ready: number; readonly delayed: number } | { readonly error: string }
    >
  >;
}

/**
 * What /healthz answers (a load balancer or container runtime asks it): whether the
 * database answers and the queues can be read, with their depths. A queue that is long
 * is not a failure: a peer down for a day leaves retries waiting, by design.
 */
export async function checkHealth(
  db: NodeDatabase,
  queues: Readonly<Record<string, MessageQueue>>,
): Promise<HealthReport> {
  const started = performance.now();
  let databaseError: string | undefined;
  try {
    await withTimeout(
      db.select({ name: db.tables.scheduledTasks.name }).from(db.tables.scheduledTasks).limit(1),
    );
  } catch (error) {
    databaseError = (error as Error).message;
  }
  const database = {
    engine: db.engine,
    ok: databaseError === undefined,
    ms: Math.round(performance.now() - started),
    ...(databaseError === undefined ? {} : { error: databaseError }),
  };
  const depths = await Promise.all(
    Object.entries(queues).map(async ([name, queue]) => {
      try {
        const depth = await withTimeout(queue.getDepth?.() ?? Promise.resolve(undefined));
        return [name, { ready: depth?.ready ?? 0, delayed: depth?.delayed ?? 0 }] as const;
      } catch (error) {
        return [name, { error: (error as Error).message }] as const;
      }
    }),
  );
  const queuesOk = depths.every(([, depth]) => !("error" in depth));
  return {
    status: database.ok && queuesOk ? "ok" : "failing",
    database,
    queues: Object.fromEntries(depths),
  };
}

async function withTimeout<T>(work: PromiseLike<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`no answer within ${DATABASE_TIMEOUT_MS / 1000} s`)),
          DATABASE_TIMEOUT_MS,
        );
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
