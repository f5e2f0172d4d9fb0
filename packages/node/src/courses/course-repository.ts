import { parseMoodleBranch } from "@coursefed/mbz";
import { and, count, desc, eq, isNull, like, lt, lte, or, type SQL, sql } from "drizzle-orm";
import type { AnySQLiteColumn } from "drizzle-orm/sqlite-core";
import type { NodeDatabase } from "../db/database.ts";
import { catalogEntries, catalogRevisions, courseRevisions, courses } from "../db/schema.ts";
import type { CourseManifest } from "./manifest.ts";

export type Course = typeof courses.$inferSelect;
export type CourseRevision = typeof courseRevisions.$inferSelect;
export type CatalogEntry = typeof catalogEntries.$inferSelect;
export type CatalogRevision = typeof catalogRevisions.$inferSelect;

/** A course revision received from its publisher, its manifest verified. */
export interface ReceivedCourse {
  readonly objectUri: string;
  readonly actorUri: string;
  readonly title: string;
  /** Sanitized HTML. */
  readonly summary: string | null;
  readonly tags: readonly string[];
  readonly archiveUrl: string;
  readonly manifest: CourseManifest;
  readonly manifestJws: string;
}

/** What the catalog can be searched by; every given criterion must hold. */
export interface CatalogQuery {
  /** Words, each the start of a word of the title, summary or tags (accents ignored). */
  readonly q?: string | undefined;
  readonly actor?: string | undefined;
  /** A server's host (with its port if not the default): its institution's and teachers' courses. */
  readonly institution?: string | undefined;
  readonly tag?: string | undefined;
  readonly language?: string | undefined;
  /** Only backups made on this Moodle branch (e.g. "4.1") or an older one. */
  readonly moodle?: string | undefined;
  /** Only courses that need this non-standard plugin. */
  readonly plugin?: string | undefined;
  /** Only courses that need no plugin beyond a standard Moodle. */
  readonly withoutPlugins?: boolean | undefined;
  readonly limit: number;
  readonly offset: number;
}

/** A branch as one comparable number: 4.5 → 405, 3.10 → 310. */
export function moodleBranchNumber(text: string): number | null {
  const branch = parseMoodleBranch(text);
  return branch ? branch[0] * 100 + branch[1] : null;
}

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

  /** Courses published here and not withdrawn, newest first: one actor's, or everyone's. */
  publishedCourses(actorId?: number): Course[] {
    return this.#db
      .select()
      .from(courses)
      .where(
        and(
          isNull(courses.deletedAt),
          actorId === undefined ? undefined : eq(courses.actorId, actorId),
        ),
      )
      .orderBy(desc(courses.updatedAt))
      .all();
  }

  /** Public courses published here with this tag, newest first. */
  publicCoursesTagged(tag: string, limit: number): Course[] {
    return this.#db
      .select()
      .from(courses)
      .where(
        and(
          eq(courses.visibility, "public"),
          isNull(courses.deletedAt),
          sql`exists (select 1 from json_each(${courses.tags}) where value = ${tag})`,
        ),
      )
      .orderBy(desc(courses.updatedAt))
      .limit(limit)
      .all();
  }

  /** A course's revisions, newest first. */
  revisions(courseId: string): CourseRevision[] {
    return this.#db
      .select()
      .from(courseRevisions)
      .where(eq(courseRevisions.courseId, courseId))
      .orderBy(desc(courseRevisions.revision))
      .all();
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

  /**
   * Records a received revision, and makes it the course's current one unless a newer
   * one is held. Refused (false) when another actor published the course first, or when
   * a revision already held comes back with another archive: revisions do not change.
   */
  receive(course: ReceivedCourse): boolean {
    const { manifest } = course;
    return this.#db.transaction((tx) => {
      const held = tx
        .select({ actorUri: catalogEntries.actorUri, revision: catalogEntries.revision })
        .from(catalogEntries)
        .where(eq(catalogEntries.objectUri, course.objectUri))
        .get();
      if (held && held.actorUri !== course.actorUri) return false;
      const heldRevision = tx
        .select({ sha256: catalogRevisions.sha256 })
        .from(catalogRevisions)
        .where(
          and(
            eq(catalogRevisions.objectUri, course.objectUri),
            eq(catalogRevisions.revision, manifest.revision),
          ),
        )
        .get();
      if (heldRevision && heldRevision.sha256 !== manifest.archive.sha256) return false;
      const receivedAt = Date.now();
      const revision = {
        objectUri: course.objectUri,
        revision: manifest.revision,
        sha256: manifest.archive.sha256,
        size: manifest.archive.size,
        archiveUrl: course.archiveUrl,
        manifest: manifest as unknown as Record<string, unknown>,
        manifestJws: course.manifestJws,
        publishedAt: Date.parse(manifest.publishedAt),
        receivedAt,
      };
      if (!held || manifest.revision >= held.revision) {
        const entry = {
          ...revision,
          actorUri: course.actorUri,
          title: course.title,
          summary: course.summary,
          tags: [...course.tags],
          moodleBranch: moodleBranchNumber(manifest.moodle?.backupRelease ?? ""),
          languages: [...(manifest.languages ?? [])],
          requiredPlugins: [...(manifest.requiredPlugins ?? [])],
          deletedAt: null,
        };
        tx.insert(catalogEntries)
          .values(entry)
          .onConflictDoUpdate({ target: catalogEntries.objectUri, set: entry })
          .run();
      }
      tx.insert(catalogRevisions).values(revision).onConflictDoNothing().run();
      return true;
    });
  }

  /**
   * Received courses not withdrawn that meet every criterion given. With `q`, best
   * matches first; otherwise newest first.
   */
  searchCatalog(query: CatalogQuery): { total: number; entries: CatalogEntry[] } {
    const conditions: SQL[] = [isNull(catalogEntries.deletedAt)];
    if (query.actor) conditions.push(eq(catalogEntries.actorUri, query.actor));
    if (query.institution) {
      const host = query.institution.toLowerCase();
      conditions.push(
        or(
          like(catalogEntries.actorUri, `https://${escapeLike(host)}/%`),
          like(catalogEntries.actorUri, `http://${escapeLike(host)}/%`),
        ) as SQL,
      );
    }
    if (query.tag) conditions.push(jsonArrayHas(catalogEntries.tags, query.tag));
    if (query.language) conditions.push(jsonArrayHas(catalogEntries.languages, query.language));
    if (query.plugin) conditions.push(jsonArrayHas(catalogEntries.requiredPlugins, query.plugin));
    if (query.withoutPlugins) {
      conditions.push(sql`json_array_length(${catalogEntries.requiredPlugins}) = 0`);
    }
    if (query.moodle) {
      conditions.push(lte(catalogEntries.moodleBranch, moodleBranchNumber(query.moodle) ?? -1));
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

  /** Every revision received of a catalog course, newest first. */
  catalogRevisions(objectUri: string): CatalogRevision[] {
    return this.#db
      .select()
      .from(catalogRevisions)
      .where(eq(catalogRevisions.objectUri, objectUri))
      .orderBy(desc(catalogRevisions.revision))
      .all();
  }

  catalogRevision(objectUri: string, revision: number): CatalogRevision | undefined {
    return this.#db
      .select()
      .from(catalogRevisions)
      .where(
        and(eq(catalogRevisions.objectUri, objectUri), eq(catalogRevisions.revision, revision)),
      )
      .get();
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

/** Whether a JSON array column holds `value`, compared without case. */
function jsonArrayHas(column: AnySQLiteColumn, value: string): SQL {
  return sql`exists (select 1 from json_each(${column}) where lower(value) = lower(${value}))`;
}

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (character) => `\\${character}`);
}

/** The user's words as an FTS5 query: each a quoted prefix, all required. */
function ftsQuery(text: string): string | undefined {
  const words = text.split(/\s+/).filter(Boolean);
  if (words.length === 0) return undefined;
  return words.map((word) => `"${word.replaceAll('"', '""')}"*`).join(" ");
}
