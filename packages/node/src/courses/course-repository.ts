import {
  and,
  count,
  desc,
  eq,
  inArray,
  isNotNull,
  isNull,
  lt,
  lte,
  max,
  or,
  type SQL,
  sql,
} from "drizzle-orm";
import type { NodeDatabase } from "../db/database.ts";
import type { courseRevisions, courses } from "../db/schema.postgres.ts";
import { jsonArrayHas } from "../db/sql-dialect.ts";
import type { Visibility } from "../vocabulary/visibility.ts";

export type Course = typeof courses.$inferSelect;
export type CourseRevision = typeof courseRevisions.$inferSelect;

/** Whose courses an outbox lists, and whether its reader may see followers-only ones. */
export interface OutboxSelection {
  readonly actorId: number;
  readonly teachers: boolean;
  readonly followersOnly: boolean;
}

/**
 * Where an outbox page ends: the last course listed. Pages cut on the latest revision's
 * publication time and, among courses published in the same millisecond, on the id, so
 * that none is skipped or listed twice at a page boundary.
 */
export interface OutboxPosition {
  readonly lastPublishedAt: number;
  readonly id: string;
}

/** One actor's own public courses: what its outbox shows to anyone. */
function publicOnly(actorId: number): OutboxSelection {
  return { actorId, teachers: false, followersOnly: false };
}

/** Courses published here, with their revisions (the catalog of others' is catalog/). */
export class CourseRepository {
  readonly #db: NodeDatabase;

  constructor(db: NodeDatabase) {
    this.#db = db;
  }

  async course(id: string): Promise<Course | undefined> {
    const { courses } = this.#db.tables;
    const [course] = await this.#db.select().from(courses).where(eq(courses.id, id)).limit(1);
    return course;
  }

  async latestRevision(courseId: string): Promise<CourseRevision | undefined> {
    const { courseRevisions } = this.#db.tables;
    const [revision] = await this.#db
      .select()
      .from(courseRevisions)
      .where(eq(courseRevisions.courseId, courseId))
      .orderBy(desc(courseRevisions.revision))
      .limit(1);
    return revision;
  }

  async revision(courseId: string, revision: number): Promise<CourseRevision | undefined> {
    const { courseRevisions } = this.#db.tables;
    const [found] = await this.#db
      .select()
      .from(courseRevisions)
      .where(and(eq(courseRevisions.courseId, courseId), eq(courseRevisions.revision, revision)))
      .limit(1);
    return found;
  }

  /** An actor's public courses still published, latest revision first, after `before`. */
  async publicCoursesOf(
    actorId: number,
    before: OutboxPosition | null,
    limit: number,
  ): Promise<Course[]> {
    return await this.outboxCourses(publicOnly(actorId), before, limit);
  }

  async countPublicCourses(actorId: number): Promise<number> {
    return await this.countOutboxCourses(publicOnly(actorId));
  }

  /**
   * The courses an actor's outbox lists, latest revision first, after `before` if given:
   * its own, and with `teachers` every teacher's too (the institution announces them). Only
   * public ones unless `followersOnly`, for a reader who is one of the actor's followers;
   * never private or withdrawn ones.
   */
  async outboxCourses(
    selection: OutboxSelection,
    before: OutboxPosition | null,
    limit: number,
  ): Promise<Course[]> {
    const { courses } = this.#db.tables;
    return await this.#db
      .select()
      .from(courses)
      .where(
        and(
          this.#outboxCondition(selection),
          before === null
            ? undefined
            : and(
                // The same bound again, alone: PostgreSQL starts its index scan only from
                // this, and would otherwise read every newer course and pass it over.
                lte(courses.lastPublishedAt, before.lastPublishedAt),
                or(
                  lt(courses.lastPublishedAt, before.lastPublishedAt),
                  and(
                    eq(courses.lastPublishedAt, before.lastPublishedAt),
                    lt(courses.id, before.id),
                  ),
                ),
              ),
        ),
      )
      .orderBy(desc(courses.lastPublishedAt), desc(courses.id))
      .limit(limit);
  }

  async countOutboxCourses(selection: OutboxSelection): Promise<number> {
    const { courses } = this.#db.tables;
    const [row] = await this.#db
      .select({ total: count() })
      .from(courses)
      .where(this.#outboxCondition(selection));
    return row?.total ?? 0;
  }

  #outboxCondition(selection: OutboxSelection): SQL | undefined {
    const { courses, localActors } = this.#db.tables;
    const teachers = this.#db
      .select({ id: localActors.id })
      .from(localActors)
      .where(eq(localActors.type, "Person"));
    return and(
      selection.teachers
        ? or(eq(courses.actorId, selection.actorId), inArray(courses.actorId, teachers))
        : eq(courses.actorId, selection.actorId),
      inArray(courses.visibility, selection.followersOnly ? ["public", "followers"] : ["public"]),
      isNull(courses.deletedAt),
    );
  }

  /** Courses published here and not withdrawn, newest first: one actor's, or everyone's. */
  async publishedCourses(actorId?: number): Promise<Course[]> {
    const { courses } = this.#db.tables;
    return await this.#db
      .select()
      .from(courses)
      .where(
        and(
          isNull(courses.deletedAt),
          actorId === undefined ? undefined : eq(courses.actorId, actorId),
        ),
      )
      .orderBy(desc(courses.updatedAt));
  }

  /**
   * Courses still published with these visibilities (never private or withdrawn ones),
   * each with its latest revision, newest first, optionally only those with `tag` (case
   * aside): what the network search answers a peer from.
   */
  async publishedWithLatestRevision(
    visibilities: readonly Visibility[],
    tag?: string,
  ): Promise<Array<{ course: Course; revision: CourseRevision }>> {
    const { courses, courseRevisions } = this.#db.tables;
    const latest = this.#db
      .select({
        courseId: courseRevisions.courseId,
        revision: max(courseRevisions.revision).as("latest"),
      })
      .from(courseRevisions)
      .groupBy(courseRevisions.courseId)
      .as("latest_revisions");
    const rows = await this.#db
      .select({ course: courses, revision: courseRevisions })
      .from(courses)
      .innerJoin(latest, eq(latest.courseId, courses.id))
      .innerJoin(
        courseRevisions,
        and(
          eq(courseRevisions.courseId, courses.id),
          eq(courseRevisions.revision, latest.revision),
        ),
      )
      .where(
        and(
          isNull(courses.deletedAt),
          inArray(
            courses.visibility,
            visibilities.filter((each) => each !== "private"),
          ),
          tag === undefined ? undefined : jsonArrayHas(this.#db, courses.tags, tag),
        ),
      )
      .orderBy(desc(courses.updatedAt), courses.id);
    return rows;
  }

  /** Public courses published here with this tag (case counts), newest first. */
  async publicCoursesTagged(tag: string, limit: number): Promise<Course[]> {
    const { courses } = this.#db.tables;
    const tagged =
      this.#db.engine === "postgres"
        ? sql`${courses.tags} @> ${JSON.stringify([tag])}::jsonb`
        : sql`exists (select 1 from json_each(${courses.tags}) where value = ${tag})`;
    return await this.#db
      .select()
      .from(courses)
      .where(and(eq(courses.visibility, "public"), isNull(courses.deletedAt), tagged))
      .orderBy(desc(courses.updatedAt))
      .limit(limit);
  }

  /** A course's revisions, newest first. */
  async revisions(courseId: string): Promise<CourseRevision[]> {
    const { courseRevisions } = this.#db.tables;
    return await this.#db
      .select()
      .from(courseRevisions)
      .where(eq(courseRevisions.courseId, courseId))
      .orderBy(desc(courseRevisions.revision));
  }

  /** The published, not withdrawn, course revisions whose archive has this digest. */
  async revisionsWithArchive(
    sha256: string,
  ): Promise<Array<{ course: Course; revision: CourseRevision }>> {
    const { courses, courseRevisions } = this.#db.tables;
    const rows = await this.#db
      .select()
      .from(courseRevisions)
      .innerJoin(courses, eq(courseRevisions.courseId, courses.id))
      .where(and(eq(courseRevisions.sha256, sha256), isNull(courses.deletedAt)));
    return rows.map((row) => ({ course: row.courses, revision: row.course_revisions }));
  }

  /**
   * Whether the archive with this digest was a revision of a course withdrawn since (and
   * of no course still published): its address answers 410 Gone.
   */
  async archiveOfWithdrawn(sha256: string): Promise<boolean> {
    const { courses, courseRevisions } = this.#db.tables;
    const [row] = await this.#db
      .select({ courseId: courses.id })
      .from(courseRevisions)
      .innerJoin(courses, eq(courseRevisions.courseId, courses.id))
      .where(and(eq(courseRevisions.sha256, sha256), isNotNull(courses.deletedAt)))
      .limit(1);
    return row !== undefined;
  }

  /** Records a course's new revision (and the course itself on its first). */
  async publish(
    course: Omit<Course, "createdAt" | "updatedAt" | "lastPublishedAt" | "deletedAt">,
    // A first revision has no changes to tell, and callers other than publishing none to give.
    revision: Omit<CourseRevision, "courseId" | "changes" | "changesByLanguage"> & {
      readonly changes?: string | null;
      readonly changesByLanguage?: Record<string, string> | null;
    },
  ): Promise<{ course: Course; revision: CourseRevision }> {
    const { courses, courseRevisions } = this.#db.tables;
    return await this.#db.transaction(async (tx) => {
      const now = revision.publishedAt;
      const [saved] = await tx
        .insert(courses)
        .values({ ...course, createdAt: now, updatedAt: now, lastPublishedAt: now })
        .onConflictDoUpdate({
          target: courses.id,
          set: {
            title: course.title,
            summary: course.summary,
            tags: course.tags,
            license: course.license,
            visibility: course.visibility,
            updatedAt: now,
            lastPublishedAt: now,
          },
        })
        .returning();
      const [savedRevision] = await tx
        .insert(courseRevisions)
        .values({ ...revision, courseId: course.id })
        .returning();
      // An insert, or an update on conflict, returns its one row.
      return { course: saved as Course, revision: savedRevision as CourseRevision };
    });
  }

  /**
   * Changes a course's metadata without a new revision; with `manifest`, the revision it
   * names gets that manifest (signed again with the new licence, same archive).
   */
  async editMetadata(
    id: string,
    metadata: Pick<Course, "title" | "summary" | "license" | "visibility"> & {
      readonly tags: readonly string[];
    },
    updatedAt: number,
    manifest?: { readonly revision: number; readonly jws: string },
  ): Promise<Course | undefined> {
    const { courses, courseRevisions } = this.#db.tables;
    return await this.#db.transaction(async (tx) => {
      const [edited] = await tx
        .update(courses)
        .set({ ...metadata, tags: [...metadata.tags], updatedAt })
        .where(eq(courses.id, id))
        .returning();
      if (edited && manifest) {
        await tx
          .update(courseRevisions)
          .set({ manifest: manifest.jws })
          .where(
            and(eq(courseRevisions.courseId, id), eq(courseRevisions.revision, manifest.revision)),
          );
      }
      return edited;
    });
  }

  async withdraw(id: string): Promise<Course | undefined> {
    const { courses } = this.#db.tables;
    const [withdrawn] = await this.#db
      .update(courses)
      .set({ deletedAt: Date.now() })
      .where(eq(courses.id, id))
      .returning();
    return withdrawn;
  }
}
