import { and, count, desc, eq, isNull, lt, type SQL, sql } from "drizzle-orm";
import type { NodeDatabase } from "../db/database.ts";
import { catalogEntries, courseRevisions, courses } from "../db/schema.ts";

export type Course = typeof courses.$inferSelect;
export type CourseRevision = typeof courseRevisions.$inferSelect;
export type CatalogEntry = typeof catalogEntries.$inferSelect;

/** Courses published here, with their revisions; and the catalog of courses received. */
export class CourseRepository {
  readonly #db: NodeDatabase;

  constructor(db: NodeDatabase) {
    this.#db = db;
  }

  course(id: string): Course | undefined {
    return this.#db.select().from(courses).where(eq(courses.id, id)).get();
  }

  latestRevision(courseId: string): CourseRevision | undefined {
    return this.#db
      .select()
      .from(courseRevisions)
      .where(eq(courseRevisions.courseId, courseId))
      .orderBy(desc(courseRevisions.revision))
      .limit(1)
      .get();
  }

  revision(courseId: string, revision: number): CourseRevision | undefined {
    return this.#db
      .select()
      .from(courseRevisions)
      .where(and(eq(courseRevisions.courseId, courseId), eq(courseRevisions.revision, revision)))
      .get();
  }

  /** An actor's public courses still published, newest first, after `before` (ms) if given. */
  publicCoursesOf(actorId: number, before: number | null, limit: number): Course[] {
    return this.#db
      .select()
      .from(courses)
      .where(
        and(
          eq(courses.actorId, actorId),
          eq(courses.visibility, "public"),
          isNull(courses.deletedAt),
          before === null ? undefined : lt(courses.createdAt, before),
        ),
      )
      .orderBy(desc(courses.createdAt))
      .limit(limit)
      .all();
  }

  countPublicCourses(actorId: number): number {
    const [row] = this.#db
      .select({ total: count() })
      .from(courses)
      .where(
        and(
          eq(courses.actorId, actorId),
          eq(courses.visibility, "public"),
          isNull(courses.deletedAt),
        ),
      )
      .all();
    return row?.total ?? 0;
  }

  /** The published, not withdrawn, course revisions whose archive has this digest. */
  revisionsWithArchive(sha256: string): Array<{ course: Course; revision: CourseRevision }> {
    return this.#db
      .select()
      .from(courseRevisions)
      .innerJoin(courses, eq(courseRevisions.courseId, courses.id))
      .where(and(eq(courseRevisions.sha256, sha256), isNull(courses.deletedAt)))
      .all()
      .map((row) => ({ course: row.courses, revision: row.course_revisions }));
  }

  /** Records a course's new revision (and the course itself on its first). */
  publish(
    course: Omit<Course, "createdAt" | "updatedAt" | "deletedAt">,
    revision: Omit<CourseRevision, "courseId">,
  ): { course: Course; revision: CourseRevision } {
    return this.#db.transaction((tx) => {
      const now = revision.publishedAt;
      const saved = tx
        .insert(courses)
        .values({ ...course, createdAt: now, updatedAt: now })
        .onConflictDoUpdate({
          target: courses.id,
          set: {
            title: course.title,
            summary: course.summary,
            tags: course.tags,
            license: course.license,
            visibility: course.visibility,
            updatedAt: now,
          },
        })
        .returning()
        .get();
      const savedRevision = tx
        .insert(courseRevisions)
        .values({ ...revision, courseId: course.id })
        .returning()
        .get();
      return { course: saved, revision: savedRevision };
    });
  }

  withdraw(id: string): Course | undefined {
    return this.#db
      .update(courses)
      .set({ deletedAt: Date.now() })
      .where(eq(courses.id, id))
      .returning()
      .get();
  }

  /** Adds or updates a received course; an older revision than the one held is ignored. */
  receive(entry: Omit<CatalogEntry, "receivedAt" | "deletedAt">): boolean {
    const held = this.catalogEntry(entry.objectUri);
    if (held && held.revision > entry.revision) return false;
    const row = { ...entry, receivedAt: Date.now(), deletedAt: null };
    this.#db
      .insert(catalogEntries)
      .values(row)
      .onConflictDoUpdate({ target: catalogEntries.objectUri, set: row })
      .run();
    return true;
  }

  /**
   * Received courses not withdrawn. With `q`, every word must start a word of the title,
   * summary or tags (accents ignored), best matches first; otherwise newest first.
   */
  searchCatalog(query: {
    q?: string | undefined;
    actor?: string | undefined;
    tag?: string | undefined;
    limit: number;
    offset: number;
  }): { total: number; entries: CatalogEntry[] } {
    const conditions: SQL[] = [isNull(catalogEntries.deletedAt)];
    if (query.actor) conditions.push(eq(catalogEntries.actorUri, query.actor));
    if (query.tag) {
      conditions.push(
        sql`exists (select 1 from json_each(${catalogEntries.tags}) where lower(value) = lower(${query.tag}))`,
      );
    }
    const match = ftsQuery(query.q ?? "");
    if (match) {
      conditions.push(
        sql`${catalogEntries}.rowid in (select rowid from catalog_search where catalog_search match ${match})`,
      );
    }
    const where = and(...conditions);
    const [counted] = this.#db.select({ total: count() }).from(catalogEntries).where(where).all();
    const entries = this.#db
      .select()
      .from(catalogEntries)
      .where(where)
      .orderBy(
        ...(match
          ? [
              sql`(select bm25(catalog_search) from catalog_search where catalog_search match ${match} and rowid = ${catalogEntries}.rowid)`,
            ]
          : []),
        desc(catalogEntries.publishedAt),
      )
      .limit(query.limit)
      .offset(query.offset)
      .all();
    return { total: counted?.total ?? 0, entries };
  }

  catalogEntry(objectUri: string): CatalogEntry | undefined {
    return this.#db
      .select()
      .from(catalogEntries)
      .where(eq(catalogEntries.objectUri, objectUri))
      .get();
  }

  /** Marks a received course as withdrawn by its publisher; courses restored from it stay. */
  tombstone(objectUri: string, actorUri: string): boolean {
    const result = this.#db
      .update(catalogEntries)
      .set({ deletedAt: Date.now() })
      .where(and(eq(catalogEntries.objectUri, objectUri), eq(catalogEntries.actorUri, actorUri)))
      .run();
    return result.changes > 0;
  }
}

/** The user's words as an FTS5 query: each a quoted prefix, all required. */
function ftsQuery(text: string): string | undefined {
  const words = text.split(/\s+/).filter(Boolean);
  if (words.length === 0) return undefined;
  return words.map((word) => `"${word.replaceAll('"', '""')}"*`).join(" ");
}
