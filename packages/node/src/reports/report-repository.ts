import { and, count, desc, eq, gte } from "drizzle-orm";
import type { NodeDatabase } from "../db/database.ts";
import type { reports } from "../db/schema.postgres.ts";
import type { ReportDirection } from "../vocabulary/report-kinds.ts";

export type Report = typeof reports.$inferSelect;
export type NewReport = Omit<
  Report,
  "answer" | "answeredAt" | "resolution" | "resolvedBy" | "resolvedAt" | "state"
>;

/** Reports sent about other nodes' courses and received about ours, for the admins' queue. */
export class ReportRepository {
  readonly #db: NodeDatabase;

  constructor(db: NodeDatabase) {
    this.#db = db;
  }

  /** Keeps a report; false when one with its activity id is already kept (a Flag delivered twice). */
  async add(report: NewReport): Promise<boolean> {
    const { reports } = this.#db.tables;
    const added = await this.#db
      .insert(reports)
      .values({ ...report, state: "open" })
      .onConflictDoNothing({ target: reports.activityId })
      .returning({ id: reports.id });
    return added.length > 0;
  }

  async report(id: string): Promise<Report | undefined> {
    const { reports } = this.#db.tables;
    const [found] = await this.#db.select().from(reports).where(eq(reports.id, id)).limit(1);
    return found;
  }

  async byActivity(activityId: string): Promise<Report | undefined> {
    const { reports } = this.#db.tables;
    const [found] = await this.#db
      .select()
      .from(reports)
      .where(eq(reports.activityId, activityId))
      .limit(1);
    return found;
  }

  /** The queue, newest first: one direction, or both. */
  async list(direction?: ReportDirection, limit = 200): Promise<Report[]> {
    const { reports } = this.#db.tables;
    return await this.#db
      .select()
      .from(reports)
      .where(direction ? eq(reports.direction, direction) : undefined)
      .orderBy(desc(reports.createdAt))
      .limit(limit);
  }

  /** How many reports one reporter (an account sending, a server's actor receiving) made since. */
  async countByReporter(
    direction: ReportDirection,
    reporter: { readonly reporter: string } | { readonly server: string },
    since: number,
  ): Promise<number> {
    const { reports } = this.#db.tables;
    const [row] = await this.#db
      .select({ n: count() })
      .from(reports)
      .where(
        and(
          eq(reports.direction, direction),
          "reporter" in reporter
            ? eq(reports.reporter, reporter.reporter)
            : eq(reports.reporterServer, reporter.server),
          gte(reports.createdAt, since),
        ),
      );
    return row?.n ?? 0;
  }

  /** Records an answer, written here or received; the report is then `answered`. */
  async answer(id: string, text: string, at: number): Promise<Report | undefined> {
    const { reports } = this.#db.tables;
    const [updated] = await this.#db
      .update(reports)
      .set({ answer: text, answeredAt: at, state: "answered" })
      .where(eq(reports.id, id))
      .returning();
    return updated;
  }

  /** Closes a report, saying how and by whom. */
  async resolve(
    id: string,
    resolution: string,
    by: string,
    at: number,
  ): Promise<Report | undefined> {
    const { reports } = this.#db.tables;
    const [updated] = await this.#db
      .update(reports)
      .set({ state: "resolved", resolution, resolvedBy: by, resolvedAt: at })
      .where(eq(reports.id, id))
      .returning();
    return updated;
  }
}
