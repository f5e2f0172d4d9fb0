import { hostname } from "node:os";
import { and, eq, lte } from "drizzle-orm";
import type { NodeDatabase } from "../db/database.ts";

export interface ScheduledTask {
  /** Stable: the claim is kept under it in the database. */
  readonly name: string;
  readonly intervalMs: number;
  run(): Promise<void>;
}

export interface SchedulerOptions {
  /** How often each process looks for a task that is due (ms). */
  readonly checkEveryMs?: number;
  readonly now?: () => number;
  /** Told of a task that failed; it is tried again next period. */
  readonly onError?: (task: ScheduledTask, error: unknown) => void;
}

/**
 * Runs periodic tasks once per period across every node process sharing the database:
 * each process checks now and then, and the one whose conditional update moves a due
 * task's next run forward runs it. The update is one statement, so two processes cannot
 * both win, on SQLite or PostgreSQL. A process that dies mid-task loses that period's
 * run; the next period's goes ahead.
 */
export function startScheduler(
  db: NodeDatabase,
  tasks: readonly ScheduledTask[],
  options: SchedulerOptions = {},
): { stop(): Promise<void> } {
  const now = options.now ?? Date.now;
  const me = `${hostname()}:${process.pid}`;
  let running: Promise<unknown> = Promise.resolve();

  const claim = async (task: ScheduledTask): Promise<boolean> => {
    const { scheduledTasks } = db.tables;
    const at = now();
    await db
      .insert(scheduledTasks)
      .values({ name: task.name, nextRunAt: at })
      .onConflictDoNothing({ target: scheduledTasks.name });
    const won = await db
      .update(scheduledTasks)
      .set({ nextRunAt: at + task.intervalMs, lastRunBy: me, lastRunAt: at })
      .where(and(eq(scheduledTasks.name, task.name), lte(scheduledTasks.nextRunAt, at)))
      .returning({ name: scheduledTasks.name });
    return won.length > 0;
  };

  const check = () => {
    running = Promise.all(
      tasks.map(async (task) => {
        try {
          if (await claim(task)) await task.run();
        } catch (error) {
          options.onError?.(task, error);
        }
      }),
    );
  };
  const timer = setInterval(check, options.checkEveryMs ?? 60_000);
  timer.unref();
  check();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
