import {
  and,
  count,
  desc,
  eq,
  getTableColumns,
  inArray,
  isNull,
  lte,
  or,
  type SQL,
  sql,
} from "drizzle-orm";
import type { NodeDatabase } from "../db/database.ts";
import type { catalogEntries, catalogRevisions } from "../db/schema.postgres.ts";
import { jsonArrayHas, jsonArrayLength } from "../db/sql-dialect.ts";
import type { CourseManifest } from "../manifests/course-manifest.ts";
import { moodleBranchNumber, type RestoreSite, restorableOn } from "./catalog-restorable.ts";
import { catalogTextMatch } from "./catalog-text-search.ts";

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
  /**
   * Courses published by a teacher (a Person; not an institution) whose handle or name
   * holds this text, case aside: "marie", "marie@univ.example", "Curie".
   */
  readonly teacher?: string | undefined;
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
  /** Only courses one of these sites can restore faithfully (none when the list is empty). */
  readonly restorableOn?: readonly RestoreSite[] | undefined;
  readonly limit: number;
  readonly offset: number;
}

/** A remote actor as the catalog names it. */
export interface PublisherActor {
  readonly uri: string;
  readonly name: string | null;
  /** user@host, when known. */
  readonly handle: string | null;
  readonly type: string;
}

/** Who published a catalog course: its actor, and the institution on the actor's server. */
export interface CatalogPublisher {
  readonly author: PublisherActor | undefined;
  readonly institution: PublisherActor | undefined;
}

/** The catalog: the courses received from the actors this node follows, with their revisions. */
export class CatalogRepository {
  readonly #db: NodeDatabase;

  constructor(db: NodeDatabase) {
    this.#db = db;
  }
  /** Whether an archive is one of a course received from a peer (any revision, even withdrawn). */
  async catalogHoldsArchive(sha256: string): Promise<boolean> {
    const { catalogRevisions } = this.#db.tables;
    const [row] = await this.#db
      .select({ objectUri: catalogRevisions.objectUri })
      .from(catalogRevisions)
      .where(eq(catalogRevisions.sha256, sha256))
      .limit(1);
    return row !== undefined;
  }
  /**
   * Records a received revision, and makes it the course's current one unless a newer
   * one is held. Refused (false) when another actor published the course first, or when
   * a revision already held comes back with another archive: revisions do not change.
   * A revision held that comes back with its archive (a publisher's edit of the course's
   * details) brings its metadata and its manifest, signed again, up to date.
   */
  async receive(course: ReceivedCourse): Promise<boolean> {
    const { catalogEntries, catalogRevisions } = this.#db.tables;
    const { manifest } = course;
    return await this.#db.transaction(async (tx) => {
      const [held] = await tx
        .select({ actorUri: catalogEntries.actorUri, revision: catalogEntries.revision })
        .from(catalogEntries)
        .where(eq(catalogEntries.objectUri, course.objectUri))
        .limit(1);
      if (held && held.actorUri !== course.actorUri) return false;
      const [heldRevision] = await tx
        .select({ sha256: catalogRevisions.sha256 })
        .from(catalogRevisions)
        .where(
          and(
            eq(catalogRevisions.objectUri, course.objectUri),
            eq(catalogRevisions.revision, manifest.revision),
          ),
        )
        .limit(1);
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
        await tx
          .insert(catalogEntries)
          .values(entry)
          .onConflictDoUpdate({ target: catalogEntries.objectUri, set: entry });
      }
      // On conflict the archive is the same (checked above): only the manifest may change.
      await tx
        .insert(catalogRevisions)
        .values(revision)
        .onConflictDoUpdate({
          target: [catalogRevisions.objectUri, catalogRevisions.revision],
          set: { manifest: revision.manifest, manifestJws: revision.manifestJws },
        });
      return true;
    });
  }
  /**
   * Received courses not withdrawn that meet every criterion given. With `q`, best
   * matches first; otherwise newest first.
   */
  async searchCatalog(query: CatalogQuery): Promise<{ total: number; entries: CatalogEntry[] }> {
    const { catalogEntries } = this.#db.tables;
    const conditions: SQL[] = [isNull(catalogEntries.deletedAt)];
    if (query.actor) conditions.push(eq(catalogEntries.actorUri, query.actor));
    if (query.teacher) conditions.push(this.#byTeacher(query.teacher));
    if (query.institution) {
      const host = escapeLike(query.institution.toLowerCase());
      conditions.push(
        or(
          sql`${catalogEntries.actorUri} like ${`https://${host}/%`} escape '\\'`,
          sql`${catalogEntries.actorUri} like ${`http://${host}/%`} escape '\\'`,
        ) as SQL,
      );
    }
    if (query.tag) conditions.push(jsonArrayHas(this.#db, catalogEntries.tags, query.tag));
    if (query.language) {
      conditions.push(jsonArrayHas(this.#db, catalogEntries.languages, query.language));
    }
    if (query.plugin) {
      conditions.push(jsonArrayHas(this.#db, catalogEntries.requiredPlugins, query.plugin));
    }
    if (query.withoutPlugins) {
      conditions.push(eq(jsonArrayLength(this.#db, catalogEntries.requiredPlugins), 0));
    }
    if (query.moodle) {
      conditions.push(lte(catalogEntries.moodleBranch, moodleBranchNumber(query.moodle) ?? -1));
    }
    if (query.restorableOn) conditions.push(restorableOn(this.#db, query.restorableOn));
    const match = catalogTextMatch(this.#db, query.q ?? "");
    if (match) conditions.push(match.where);
    const where = and(...conditions);
    const [counted] = await this.#db.select({ total: count() }).from(catalogEntries).where(where);
    const listing = this.#db
      .select(getTableColumns(catalogEntries))
      .from(catalogEntries)
      .$dynamic();
    if (match?.join) listing.innerJoin(match.join.table, match.join.on);
    const entries = await listing
      .where(where)
      .orderBy(...(match ? [match.rank] : []), desc(catalogEntries.publishedAt))
      .limit(query.limit)
      .offset(query.offset);
    return { total: counted?.total ?? 0, entries };
  }
  /**
   * The teachers (Person actors, as this node last saw them) with courses in the catalog,
   * by name: what the catalog can be narrowed to.
   */
  async catalogTeachers(): Promise<
    Array<{ uri: string; name: string | null; handle: string | null }>
  > {
    const { catalogEntries, remoteActors } = this.#db.tables;
    return await this.#db
      .selectDistinct({
        uri: remoteActors.uri,
        name: remoteActors.name,
        handle: remoteActors.handle,
      })
      .from(remoteActors)
      .innerJoin(catalogEntries, eq(catalogEntries.actorUri, remoteActors.uri))
      .where(and(eq(remoteActors.type, "Person"), isNull(catalogEntries.deletedAt)))
      .orderBy(remoteActors.name, remoteActors.handle, remoteActors.uri);
  }
  /**
   * Who published these actors' courses, as this node last saw them: each actor, and the
   * institution (an Organization) on the same server, which a teacher's course comes
   * announced by. Actors never seen are left out.
   */
  async catalogPublishers(actorUris: readonly string[]): Promise<Map<string, CatalogPublisher>> {
    const { remoteActors } = this.#db.tables;
    const uris = [...new Set(actorUris)];
    const origins = [
      ...new Set(uris.filter((uri) => URL.canParse(uri)).map((uri) => new URL(uri).origin)),
    ];
    if (uris.length === 0) return new Map();
    const known = await this.#db
      .select({
        uri: remoteActors.uri,
        name: remoteActors.name,
        handle: remoteActors.handle,
        type: remoteActors.type,
      })
      .from(remoteActors)
      .where(
        or(
          inArray(remoteActors.uri, uris),
          ...origins.map((origin) =>
            and(
              eq(remoteActors.type, "Organization"),
              sql`${remoteActors.uri} like ${`${escapeLike(origin)}/%`} escape '\\'`,
            ),
          ),
        ),
      )
      .orderBy(remoteActors.uri);
    const institutions = new Map<string, PublisherActor>();
    for (const actor of known) {
      const origin = new URL(actor.uri).origin;
      if (actor.type === "Organization" && !institutions.has(origin)) {
        institutions.set(origin, actor);
      }
    }
    const publishers = new Map<string, CatalogPublisher>();
    for (const uri of uris) {
      const origin = URL.canParse(uri) ? new URL(uri).origin : undefined;
      publishers.set(uri, {
        author: known.find((actor) => actor.uri === uri),
        institution: origin ? institutions.get(origin) : undefined,
      });
    }
    return publishers;
  }
  /** Entries whose actor is a known Person whose handle or name holds `text`. */
  #byTeacher(text: string): SQL {
    const { catalogEntries, remoteActors } = this.#db.tables;
    // A handle is stored without its leading "@", as user@host.
    const pattern = `%${escapeLike(text.trim().replace(/^@/, "").toLowerCase())}%`;
    return sql`exists (select 1 from ${remoteActors}
      where ${remoteActors.uri} = ${catalogEntries.actorUri}
        and ${remoteActors.type} = 'Person'
        and (lower(coalesce(${remoteActors.handle}, '')) like ${pattern} escape '\\'
          or lower(coalesce(${remoteActors.name}, '')) like ${pattern} escape '\\'))`;
  }

  /** Every revision received of a catalog course, newest first. */
  async catalogRevisions(objectUri: string): Promise<CatalogRevision[]> {
    const { catalogRevisions } = this.#db.tables;
    return await this.#db
      .select()
      .from(catalogRevisions)
      .where(eq(catalogRevisions.objectUri, objectUri))
      .orderBy(desc(catalogRevisions.revision));
  }
  async catalogRevision(objectUri: string, revision: number): Promise<CatalogRevision | undefined> {
    const { catalogRevisions } = this.#db.tables;
    const [found] = await this.#db
      .select()
      .from(catalogRevisions)
      .where(
        and(eq(catalogRevisions.objectUri, objectUri), eq(catalogRevisions.revision, revision)),
      )
      .limit(1);
    return found;
  }
  async catalogEntry(objectUri: string): Promise<CatalogEntry | undefined> {
    const { catalogEntries } = this.#db.tables;
    const [entry] = await this.#db
      .select()
      .from(catalogEntries)
      .where(eq(catalogEntries.objectUri, objectUri))
      .limit(1);
    return entry;
  }
  /**
   * Marks every course an actor published as withdrawn (the actor was deleted); courses
   * restored from them stay. Returns how many were still listed.
   */
  async tombstoneAllOf(actorUri: string): Promise<number> {
    const { catalogEntries } = this.#db.tables;
    const withdrawn = await this.#db
      .update(catalogEntries)
      .set({ deletedAt: Date.now() })
      .where(and(eq(catalogEntries.actorUri, actorUri), isNull(catalogEntries.deletedAt)))
      .returning({ objectUri: catalogEntries.objectUri });
    return withdrawn.length;
  }
  /** Marks a received course as withdrawn by its publisher; courses restored from it stay. */
  async tombstone(objectUri: string, actorUri: string): Promise<boolean> {
    const { catalogEntries } = this.#db.tables;
    const withdrawn = await this.#db
      .update(catalogEntries)
      .set({ deletedAt: Date.now() })
      .where(and(eq(catalogEntries.objectUri, objectUri), eq(catalogEntries.actorUri, actorUri)))
      .returning({ objectUri: catalogEntries.objectUri });
    return withdrawn.length > 0;
  }
}

/** `text` matched literally by LIKE, with `escape '\'`: SQLite has no default escape. */
function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (character) => `\\${character}`);
}
