import type { RestoreDestination } from "@coursefed/moodle";
import { and, desc, eq, inArray, isNull, or } from "drizzle-orm";
import type { NodeDatabase } from "../db/database.ts";
import {
  moodlePublications,
  type RestoreJobState,
  restoredCourses,
  restoreJobs,
  restoreRules,
} from "../db/schema.ts";

export type RestoreJob = typeof restoreJobs.$inferSelect;
export type RestoreRule = typeof restoreRules.$inferSelect;
export type RestoredCourse = typeof restoredCourses.$inferSelect;

export interface RestoreRequestRecord {
  readonly objectUri: string;
  readonly revision: number;
  readonly targetId: number;
  readonly destination: RestoreDestination;
  readonly requestedBy: string;
  readonly ruleId?: number | undefined;
  readonly overriddenBy?: string | undefined;
}

/** The key that makes a restore idempotent: one job per revision, target and destination. */
export function destinationKey(destination: RestoreDestination): string {
  return destination.kind === "new-course"
    ? `category:${destination.categoryId}`
    : `course:${destination.courseId}:${destination.mode}`;
}

/** Restore jobs, auto-restore rules and lineage (which Moodle course came from which object). */
export class RestoreRepository {
  readonly #db: NodeDatabase;

  constructor(db: NodeDatabase) {
    this.#db = db;
  }

  /**
   * The job for this revision, target and destination: made now, or the one asked for
   * before (a failed or refused one is queued again, with the new override if any).
   * `created` says whether it needs to be queued.
   */
  request(record: RestoreRequestRecord): { job: RestoreJob; created: boolean } {
    return this.#db.transaction((tx) => {
      const key = destinationKey(record.destination);
      const held = tx
        .select()
        .from(restoreJobs)
        .where(
          and(
            eq(restoreJobs.objectUri, record.objectUri),
            eq(restoreJobs.revision, record.revision),
            eq(restoreJobs.targetId, record.targetId),
            eq(restoreJobs.destinationKey, key),
          ),
        )
        .get();
      if (held && held.state !== "failed" && held.state !== "refused") {
        return { job: held, created: false };
      }
      if (held) {
        const again = tx
          .update(restoreJobs)
          .set({
            state: "queued",
            requestedBy: record.requestedBy,
            overriddenBy: record.overriddenBy ?? null,
            attempts: 0,
            problems: [],
            errorCode: null,
            errorMessage: null,
            log: null,
            startedAt: null,
            finishedAt: null,
            moodleMs: null,
          })
          .where(eq(restoreJobs.id, held.id))
          .returning()
          .get();
        return { job: again, created: true };
      }
      const job = tx
        .insert(restoreJobs)
        .values({
          id: crypto.randomUUID(),
          objectUri: record.objectUri,
          revision: record.revision,
          targetId: record.targetId,
          destinationKey: key,
          destination: { ...record.destination },
          state: "queued",
          requestedBy: record.requestedBy,
          ruleId: record.ruleId ?? null,
          overriddenBy: record.overriddenBy ?? null,
          createdAt: Date.now(),
        })
        .returning()
        .get();
      return { job, created: true };
    });
  }

  job(id: string): RestoreJob | undefined {
    return this.#db.select().from(restoreJobs).where(eq(restoreJobs.id, id)).get();
  }

  /** Newest first; with `states`, only jobs in one of them. */
  jobs(options: { states?: readonly RestoreJobState[]; limit: number; offset: number }) {
    return this.#db
      .select()
      .from(restoreJobs)
      .where(options.states ? inArray(restoreJobs.state, [...options.states]) : undefined)
      .orderBy(desc(restoreJobs.createdAt))
      .limit(options.limit)
      .offset(options.offset)
      .all();
  }

  /** Undefined when the job is gone (its target was removed meanwhile). */
  update(id: string, changes: Partial<Omit<RestoreJob, "id">>): RestoreJob | undefined {
    return this.#db
      .update(restoreJobs)
      .set(changes)
      .where(eq(restoreJobs.id, id))
      .returning()
      .get();
  }

  /** Records that a Moodle course holds this revision of the object now. */
  recordLineage(job: RestoreJob, moodleCourseId: number): void {
    const row = {
      targetId: job.targetId,
      moodleCourseId,
      objectUri: job.objectUri,
      revision: job.revision,
      jobId: job.id,
      restoredAt: Date.now(),
    };
    this.#db
      .insert(restoredCourses)
      .values(row)
      .onConflictDoUpdate({
        target: [restoredCourses.targetId, restoredCourses.moodleCourseId],
        set: row,
      })
      .run();
  }

  /** Where an object was restored on a target, most recent first. */
  restoredFrom(objectUri: string, targetId: number): RestoredCourse[] {
    return this.#db
      .select()
      .from(restoredCourses)
      .where(and(eq(restoredCourses.objectUri, objectUri), eq(restoredCourses.targetId, targetId)))
      .orderBy(desc(restoredCourses.restoredAt))
      .all();
  }

  /** Which object a Moodle course was restored from, if it was. */
  lineageOf(targetId: number, moodleCourseId: number): RestoredCourse | undefined {
    return this.#db
      .select()
      .from(restoredCourses)
      .where(
        and(
          eq(restoredCourses.targetId, targetId),
          eq(restoredCourses.moodleCourseId, moodleCourseId),
        ),
      )
      .get();
  }

  addRule(rule: Omit<RestoreRule, "id" | "createdAt">): RestoreRule {
    return this.#db
      .insert(restoreRules)
      .values({ ...rule, createdAt: Date.now() })
      .returning()
      .get();
  }

  rules(): RestoreRule[] {
    return this.#db.select().from(restoreRules).orderBy(restoreRules.id).all();
  }

  removeRule(id: number): boolean {
    return this.#db.delete(restoreRules).where(eq(restoreRules.id, id)).run().changes > 0;
  }

  /**
   * Rules whose actor (any of `actorUris`, or any actor) and tag (or any tag) match a
   * received course: its publisher, and the actor that announced it, if any.
   */
  rulesMatching(actorUris: readonly string[], tags: readonly string[]): RestoreRule[] {
    const lowered = new Set(tags.map((tag) => tag.toLowerCase()));
    return this.#db
      .select()
      .from(restoreRules)
      .where(or(isNull(restoreRules.actorUri), inArray(restoreRules.actorUri, [...actorUris])))
      .all()
      .filter((rule) => rule.tag === null || lowered.has(rule.tag.toLowerCase()));
  }

  /** The local course published from this Moodle course before, if any. */
  publishedFrom(targetId: number, moodleCourseId: number): string | undefined {
    return this.#db
      .select({ courseId: moodlePublications.courseId })
      .from(moodlePublications)
      .where(
        and(
          eq(moodlePublications.targetId, targetId),
          eq(moodlePublications.moodleCourseId, moodleCourseId),
        ),
      )
      .get()?.courseId;
  }

  recordPublication(targetId: number, moodleCourseId: number, courseId: string): void {
    this.#db
      .insert(moodlePublications)
      .values({ targetId, moodleCourseId, courseId })
      .onConflictDoNothing()
      .run();
  }
}
