import type { RestoreDestination } from "@coursefed/moodle";
import { and, count, desc, eq, inArray, isNull, like, or } from "drizzle-orm";
import type { NodeDatabase } from "../db/database.ts";
import type { restoredCourses, restoreJobs, restoreRules } from "../db/schema.postgres.ts";
import type { RestoreJobState } from "../vocabulary/restore-job-states.ts";

export type RestoreJob = typeof restoreJobs.$inferSelect;
export type RestoreRule = typeof restoreRules.$inferSelect;
export type RestoredCourse = typeof restoredCourses.$inferSelect;

export interface RestoreRequestRecord {
  readonly objectUri: string;
  readonly revision: number;
  readonly targetId: number;
  readonly destination: RestoreDestination;
  /**
   * Whose job it is, beside its revision, target and destination: see requesterKey in
   * restore-service.ts ("" for a job into an existing course, shared).
   */
  readonly requesterKey: string;
  readonly requestedBy: string;
  /** The local actor of the person who asked; undefined for a rule. */
  readonly requestedByActorId?: number | undefined;
  readonly ruleId?: number | undefined;
  readonly overriddenBy?: string | undefined;
}

/**
 * The key that makes a restore idempotent: one job per revision, target and destination.
 * A new course's names asked for are part of it ("category:5" without, then the names as
 * JSON): the same backup restored twice under two names is two courses.
 */
export function destinationKey(destination: RestoreDestination): string {
  if (destination.kind === "existing-course") {
    return `course:${destination.courseId}:${destination.mode}`;
  }
  const { fullName, shortName } = destination;
  if (fullName === undefined && shortName === undefined) {
    return `category:${destination.categoryId}`;
  }
  return `category:${destination.categoryId}:${JSON.stringify([fullName ?? null, shortName ?? null])}`;
}

/** One Moodle course of one target. */
export interface MoodleCourseRef {
  readonly targetId: number;
  readonly moodleCourseId: number;
}

const RESTORE_MODES = ["merge", "replace"] as const satisfies ReadonlyArray<
  Extract<RestoreDestination, { kind: "existing-course" }>["mode"]
>;

function coursesByTarget(courses: readonly MoodleCourseRef[]): Map<number, number[]> {
  const byTarget = new Map<number, number[]>();
  for (const { targetId, moodleCourseId } of courses) {
    byTarget.set(targetId, [...(byTarget.get(targetId) ?? []), moodleCourseId]);
  }
  return byTarget;
}

/** Restore jobs, auto-restore rules and lineage (which Moodle course came from which object). */
export class RestoreRepository {
  readonly #db: NodeDatabase;

  constructor(db: NodeDatabase) {
    this.#db = db;
  }

  /**
   * The job for this revision, target, destination and requester key: made now, or the one
   * asked for before (a failed or refused one is queued again, with the new override if any).
   * `created` says whether it needs to be queued.
   */
  async request(record: RestoreRequestRecord): Promise<{ job: RestoreJob; created: boolean }> {
    const { restoreJobs } = this.#db.tables;
    return await this.#db.transaction(async (tx) => {
      const key = destinationKey(record.destination);
      const sameRequest = and(
        eq(restoreJobs.objectUri, record.objectUri),
        eq(restoreJobs.revision, record.revision),
        eq(restoreJobs.targetId, record.targetId),
        eq(restoreJobs.destinationKey, key),
        eq(restoreJobs.requesterKey, record.requesterKey),
      );
      const [held] = await tx.select().from(restoreJobs).where(sameRequest).limit(1);
      if (held && held.state !== "failed" && held.state !== "refused") {
        return { job: held, created: false };
      }
      if (held) {
        const [again] = await tx
          .update(restoreJobs)
          .set({
            state: "queued",
            requestedBy: record.requestedBy,
            requestedByActorId: record.requestedByActorId ?? null,
            overriddenBy: record.overriddenBy ?? null,
            attempts: 0,
            problems: [],
            changes: null,
            errorCode: null,
            errorMessage: null,
            log: null,
            startedAt: null,
            finishedAt: null,
            moodleMs: null,
          })
          .where(eq(restoreJobs.id, held.id))
          .returning();
        return { job: again as RestoreJob, created: true };
      }
      const [job] = await tx
        .insert(restoreJobs)
        .values({
          id: crypto.randomUUID(),
          objectUri: record.objectUri,
          revision: record.revision,
          targetId: record.targetId,
          destinationKey: key,
          requesterKey: record.requesterKey,
          destination: { ...record.destination },
          state: "queued",
          requestedBy: record.requestedBy,
          requestedByActorId: record.requestedByActorId ?? null,
          ruleId: record.ruleId ?? null,
          overriddenBy: record.overriddenBy ?? null,
          createdAt: Date.now(),
        })
        // The same request made at the same moment elsewhere (another process) won.
        .onConflictDoNothing()
        .returning();
      if (!job) {
        const [made] = await tx.select().from(restoreJobs).where(sameRequest).limit(1);
        return { job: made as RestoreJob, created: false };
      }
      return { job, created: true };
    });
  }

  /**
   * Whether a restore that this actor asked for made this Moodle course (as a new course):
   * a teacher may restore again into what they created.
   */
  async createdBy(targetId: number, moodleCourseId: number, actorId: number): Promise<boolean> {
    const { restoreJobs } = this.#db.tables;
    const [made] = await this.#db
      .select({ id: restoreJobs.id })
      .from(restoreJobs)
      .where(
        and(
          eq(restoreJobs.targetId, targetId),
          eq(restoreJobs.moodleCourseId, moodleCourseId),
          this.#madeBy(actorId),
        ),
      )
      .limit(1);
    return made !== undefined;
  }

  /** The jobs of this actor's that made a Moodle course: new courses restored. */
  #madeBy(actorId: number) {
    const { restoreJobs } = this.#db.tables;
    return and(
      eq(restoreJobs.requestedByActorId, actorId),
      eq(restoreJobs.state, "succeeded"),
      like(restoreJobs.destinationKey, "category:%"),
    );
  }

  /** The Moodle courses this actor's restores made (as new courses), on every target. */
  async coursesCreatedBy(actorId: number): Promise<MoodleCourseRef[]> {
    const { restoreJobs } = this.#db.tables;
    const made = await this.#db
      .selectDistinct({
        targetId: restoreJobs.targetId,
        moodleCourseId: restoreJobs.moodleCourseId,
      })
      .from(restoreJobs)
      .where(this.#madeBy(actorId));
    return made.flatMap(({ targetId, moodleCourseId }) =>
      moodleCourseId === null ? [] : [{ targetId, moodleCourseId }],
    );
  }

  async job(id: string): Promise<RestoreJob | undefined> {
    const { restoreJobs } = this.#db.tables;
    const [job] = await this.#db.select().from(restoreJobs).where(eq(restoreJobs.id, id)).limit(1);
    return job;
  }

  /** Newest first; with `states`, only jobs in one of them. */
  async jobs(options: {
    states?: readonly RestoreJobState[];
    /** Only the jobs into this target (a Moodle site's token sees its own only). */
    targetId?: number;
    /** Only the jobs this actor asked for, and those into these Moodle courses. */
    askedByOrInto?: { readonly actorId: number; readonly courses: readonly MoodleCourseRef[] };
    limit: number;
    offset: number;
  }): Promise<RestoreJob[]> {
    const { restoreJobs } = this.#db.tables;
    const scope = options.askedByOrInto;
    return await this.#db
      .select()
      .from(restoreJobs)
      .where(
        and(
          options.states ? inArray(restoreJobs.state, [...options.states]) : undefined,
          options.targetId === undefined ? undefined : eq(restoreJobs.targetId, options.targetId),
          scope
            ? or(
                eq(restoreJobs.requestedByActorId, scope.actorId),
                ...[...coursesByTarget(scope.courses)].map(([targetId, courseIds]) =>
                  and(
                    eq(restoreJobs.targetId, targetId),
                    // Done, a job names the course it restored into; before, its destination.
                    or(
                      inArray(restoreJobs.moodleCourseId, courseIds),
                      inArray(
                        restoreJobs.destinationKey,
                        courseIds.flatMap((id) =>
                          RESTORE_MODES.map((mode) =>
                            destinationKey({ kind: "existing-course", courseId: id, mode }),
                          ),
                        ),
                      ),
                    ),
                  ),
                ),
              )
            : undefined,
        ),
      )
      .orderBy(desc(restoreJobs.createdAt))
      .limit(options.limit)
      .offset(options.offset);
  }

  /** Undefined when the job is gone (its target was removed meanwhile). */
  /** How many jobs are in each state (states with none are left out). */
  async countByState(): Promise<Partial<Record<RestoreJobState, number>>> {
    const { restoreJobs } = this.#db.tables;
    const rows = await this.#db
      .select({ state: restoreJobs.state, total: count() })
      .from(restoreJobs)
      .groupBy(restoreJobs.state);
    return Object.fromEntries(rows.map((row) => [row.state, row.total]));
  }

  async update(
    id: string,
    changes: Partial<Omit<RestoreJob, "id">>,
  ): Promise<RestoreJob | undefined> {
    const { restoreJobs } = this.#db.tables;
    const [job] = await this.#db
      .update(restoreJobs)
      .set(changes)
      .where(eq(restoreJobs.id, id))
      .returning();
    return job;
  }

  /** Records that a Moodle course holds this revision of the object now. */
  async recordLineage(job: RestoreJob, moodleCourseId: number): Promise<void> {
    const { restoredCourses } = this.#db.tables;
    const row = {
      targetId: job.targetId,
      moodleCourseId,
      objectUri: job.objectUri,
      revision: job.revision,
      jobId: job.id,
      restoredAt: Date.now(),
    };
    await this.#db
      .insert(restoredCourses)
      .values(row)
      .onConflictDoUpdate({
        target: [restoredCourses.targetId, restoredCourses.moodleCourseId],
        set: row,
      });
  }

  /** Where an object was restored on a target, most recent first. */
  async restoredFrom(objectUri: string, targetId: number): Promise<RestoredCourse[]> {
    const { restoredCourses } = this.#db.tables;
    return await this.#db
      .select()
      .from(restoredCourses)
      .where(and(eq(restoredCourses.objectUri, objectUri), eq(restoredCourses.targetId, targetId)))
      .orderBy(desc(restoredCourses.restoredAt));
  }

  /** Which object a Moodle course was restored from, if it was. */
  async lineageOf(targetId: number, moodleCourseId: number): Promise<RestoredCourse | undefined> {
    const { restoredCourses } = this.#db.tables;
    const [lineage] = await this.#db
      .select()
      .from(restoredCourses)
      .where(
        and(
          eq(restoredCourses.targetId, targetId),
          eq(restoredCourses.moodleCourseId, moodleCourseId),
        ),
      )
      .limit(1);
    return lineage;
  }

  async addRule(rule: Omit<RestoreRule, "id" | "createdAt">): Promise<RestoreRule> {
    const { restoreRules } = this.#db.tables;
    const [added] = await this.#db
      .insert(restoreRules)
      .values({ ...rule, createdAt: Date.now() })
      .returning();
    return added as RestoreRule;
  }

  async rules(): Promise<RestoreRule[]> {
    const { restoreRules } = this.#db.tables;
    return await this.#db.select().from(restoreRules).orderBy(restoreRules.id);
  }

  async removeRule(id: number): Promise<boolean> {
    const { restoreRules } = this.#db.tables;
    const removed = await this.#db
      .delete(restoreRules)
      .where(eq(restoreRules.id, id))
      .returning({ id: restoreRules.id });
    return removed.length > 0;
  }

  /**
   * Rules whose actor (any of `actorUris`, or any actor) and tag (or any tag) match a
   * received course: its publisher, and the actor that announced it, if any.
   */
  async rulesMatching(
    actorUris: readonly string[],
    tags: readonly string[],
  ): Promise<RestoreRule[]> {
    const { restoreRules } = this.#db.tables;
    const lowered = new Set(tags.map((tag) => tag.toLowerCase()));
    const rules = await this.#db
      .select()
      .from(restoreRules)
      .where(or(isNull(restoreRules.actorUri), inArray(restoreRules.actorUri, [...actorUris])));
    return rules.filter((rule) => rule.tag === null || lowered.has(rule.tag.toLowerCase()));
  }

  /** The local course published from this Moodle course before, if any. */
  async publishedFrom(targetId: number, moodleCourseId: number): Promise<string | undefined> {
    const { moodlePublications } = this.#db.tables;
    const [publication] = await this.#db
      .select({ courseId: moodlePublications.courseId })
      .from(moodlePublications)
      .where(
        and(
          eq(moodlePublications.targetId, targetId),
          eq(moodlePublications.moodleCourseId, moodleCourseId),
        ),
      )
      .limit(1);
    return publication?.courseId;
  }

  async recordPublication(
    targetId: number,
    moodleCourseId: number,
    courseId: string,
  ): Promise<void> {
    const { moodlePublications } = this.#db.tables;
    await this.#db
      .insert(moodlePublications)
      .values({ targetId, moodleCourseId, courseId })
      // A course shared again after it was withdrawn is a new course: the mapping follows it.
      .onConflictDoUpdate({
        target: [moodlePublications.targetId, moodlePublications.moodleCourseId],
        set: { courseId },
      });
  }
}
