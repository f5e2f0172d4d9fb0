import {
  and,
  count,
  desc,
  eq,
  getTableColumns,
  gte,
  inArray,
  isNull,
  lt,
  lte,
  max,
  or,
  type SQL,
  sql,
} from "drizzle-orm";
import { CodedError } from "../coded-error.ts";
import type { NodeDatabase } from "../db/database.ts";
import type { catalogEntries, catalogRevisions } from "../db/schema.postgres.ts";
import type { CourseManifest } from "../manifests/course-manifest.ts";
import {
  actorTerm,
  branchTermsUpTo,
  catalogFacets,
  hostTerm,
  languageTerm,
  pluginTerm,
  tagTerm,
  WITHOUT_PLUGINS_TERM,
} from "./catalog-facets.ts";
import {
  ensureJudged,
  judgeRestorable,
  moodleBranchNumber,
  probedSites,
  type RestoreSite,
  restorableOn,
} from "./catalog-restorable.ts";
import {
  type CatalogTier,
  catalogWords,
  sqliteFacetMatch,
  sqliteWordsMatch,
} from "./catalog-text-search.ts";
import {
  type PostgresTermSearch,
  postgresBoundedCount,
  postgresTermSearch,
  postgresTierKeys,
} from "./postgres-catalog-search.ts";
import { type SqliteWord, sqliteWords } from "./sqlite-word-terms.ts";

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
  /** What the publisher's Update said this revision changed, by language; null if nothing. */
  readonly changes?: Readonly<Record<string, string>> | null;
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
  /** How many to skip; or, better on large catalogs, the `cursor` of the page before. */
  readonly offset?: number | undefined;
  /** The `nextCursor` of the page before: the page after it. */
  readonly cursor?: string | undefined;
}

/**
 * How many matches a search counts at most: past it, the catalog says "more than" that
 * (a count is read match by match, and a million courses cannot be within a page's time).
 */
export const CATALOG_COUNT_LIMIT = 1000;

/**
 * How many candidates a total reads at most on PostgreSQL, where the row turns some down
 * (postgresBoundedCount): past it, the total says "at least" what it found. Twice the
 * count limit: a count whose candidates mostly match ends at its limit first. A row read
 * costs 5 to 20 µs from the operating system's cache: 2,000 of them 10 to 40 ms.
 */
export const CATALOG_COUNT_BUDGET = 2000;

/** How many teachers a teacher filter looks up by index term, at most (see #plan). */
const TEACHER_TERMS_MAX = 32;

/** A page of a catalog search. */
export interface CatalogPage {
  /**
   * How many courses match; CATALOG_COUNT_LIMIT when more do, or those found before the
   * count's budget ran out (then `totalExact` is false, and `totalBound` says which).
   */
  readonly total: number;
  readonly totalExact: boolean;
  /**
   * What `total` says: "exact"; "moreThan", more courses match than the count limit,
   * `total`; "atLeast", the count stopped at its budget of candidates read (PostgreSQL:
   * see CATALOG_COUNT_BUDGET), `total` match and more may.
   */
  readonly totalBound: "exact" | "moreThan" | "atLeast";
  readonly entries: CatalogEntry[];
  /** What asks for the next page; undefined on the last one. */
  readonly nextCursor: string | undefined;
}

export class CatalogSearchError extends CodedError<"INVALID_CURSOR"> {}

/** A search's criteria as the index reads them (see CatalogRepository.#plan). */
interface SearchPlan {
  readonly words: readonly string[];
  /** Each group: a course has one of its facet terms. */
  readonly terms: ReadonlyArray<readonly string[]>;
  readonly conditions: readonly SQL[];
  readonly restorableOn: readonly RestoreSite[] | undefined;
  /** On SQLite: the words as its full-text index is asked for them (sqlite-word-terms.ts). */
  readonly sqliteWords?: readonly SqliteWord[] | undefined;
  /** On PostgreSQL, with any criterion: what its terms index is asked (postgres-catalog-search.ts). */
  readonly postgres?: PostgresTermSearch | undefined;
}

/** Where a page ended: the tier of words and the search key of its last course. */
interface CatalogCursor {
  readonly tier: number;
  readonly key: number;
}

function catalogCursor(cursor: CatalogCursor): string {
  return Buffer.from(`${cursor.tier}.${cursor.key}`).toString("base64url");
}

function parseCatalogCursor(text: string): CatalogCursor {
  const match = /^([01])\.(\d{1,16})$/.exec(Buffer.from(text, "base64url").toString());
  const key = Number(match?.[2]);
  if (!match || !Number.isSafeInteger(key)) {
    throw new CatalogSearchError(
      "INVALID_CURSOR",
      "This page cursor is not one the catalog gave: ask for the first page again, then follow its nextCursor.",
    );
  }
  return { tier: Number(match[1]), key };
}

/**
 * A search key for a course published at `publishedAt` that no other course has:
 * publishedAt × 1024, plus one for each course already published the same millisecond.
 */
async function freeSearchKey(
  tx: Pick<NodeDatabase, "select">,
  catalogEntries: NodeDatabase["tables"]["catalogEntries"],
  publishedAt: number,
): Promise<number> {
  const base = publishedAt * 1024;
  const [taken] = await tx
    .select({ last: max(catalogEntries.searchKey) })
    .from(catalogEntries)
    .where(and(gte(catalogEntries.searchKey, base), lt(catalogEntries.searchKey, base + 1024)));
  return taken?.last == null ? base : Number(taken.last) + 1;
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
  readonly #countLimit: number;
  readonly #countBudget: number;
  /** The targets whose judgements are known complete (see ensureJudged). */
  readonly #judged = new Set<number>();

  /**
   * `countLimit`: how many matches a search counts at most (CATALOG_COUNT_LIMIT);
   * `countBudget`: how many candidates a count reads at most on PostgreSQL
   * (CATALOG_COUNT_BUDGET).
   */
  constructor(
    db: NodeDatabase,
    { countLimit = CATALOG_COUNT_LIMIT, countBudget = CATALOG_COUNT_BUDGET } = {},
  ) {
    this.#db = db;
    this.#countLimit = countLimit;
    this.#countBudget = countBudget;
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
    let current: { before: number | null; after: number } | undefined;
    const kept = await this.#db.transaction(async (tx) => {
      const [held] = await tx
        .select({
          actorUri: catalogEntries.actorUri,
          revision: catalogEntries.revision,
          publishedAt: catalogEntries.publishedAt,
          searchKey: catalogEntries.searchKey,
        })
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
        const facts = {
          actorUri: course.actorUri,
          tags: [...course.tags],
          moodleBranch: moodleBranchNumber(manifest.moodle?.backupRelease ?? ""),
          languages: [...(manifest.languages ?? [])],
          requiredPlugins: [...(manifest.requiredPlugins ?? [])],
        };
        const searchKey =
          held?.searchKey != null && held.publishedAt === revision.publishedAt
            ? held.searchKey
            : await freeSearchKey(tx, catalogEntries, revision.publishedAt);
        const entry = {
          ...revision,
          ...facts,
          title: course.title,
          summary: course.summary,
          searchKey,
          facets: catalogFacets(this.#db, facts),
          deletedAt: null,
        };
        await tx
          .insert(catalogEntries)
          .values(entry)
          .onConflictDoUpdate({ target: catalogEntries.objectUri, set: entry });
        current = { before: held?.searchKey ?? null, after: searchKey };
      }
      // On conflict the archive is the same (checked above): only the manifest may change.
      const changes = course.changes ? { ...course.changes } : undefined;
      await tx
        .insert(catalogRevisions)
        .values({ ...revision, ...(changes ? { changes } : {}) })
        .onConflictDoUpdate({
          target: [catalogRevisions.objectUri, catalogRevisions.revision],
          set: {
            manifest: revision.manifest,
            manifestJws: revision.manifestJws,
            // A revision that comes again by catch-up or an edit keeps what its Update said.
            ...(changes ? { changes } : {}),
          },
        });
      return true;
    });
    if (current) await this.#judgeArrival(course.objectUri, current);
    return kept;
  }
  /** Whether each probed target can restore the course that arrived (its current revision). */
  async #judgeArrival(
    objectUri: string,
    keys: { before: number | null; after: number },
  ): Promise<void> {
    const { catalogRestorable, moodleTargets } = this.#db.tables;
    const stale = keys.before === null ? [keys.after] : [keys.before, keys.after];
    await this.#db.delete(catalogRestorable).where(inArray(catalogRestorable.searchKey, stale));
    for (const site of probedSites(await this.#db.select().from(moodleTargets))) {
      await judgeRestorable(this.#db, site, objectUri);
    }
  }
  /**
   * Received courses not withdrawn that meet every criterion given, a page at a time.
   * With `q`, the courses whose title or tags hold every word first, then the others;
   * newest first within each (catalog-text-search.ts). The total is counted up to the
   * count limit: past it, `totalExact` is false and `total` is that limit; on PostgreSQL
   * also up to its budget of candidates read, past which `total` is a lower bound.
   */
  async searchCatalog(query: CatalogQuery): Promise<CatalogPage> {
    const after = query.cursor === undefined ? undefined : parseCatalogCursor(query.cursor);
    if (after && query.offset) {
      throw new CatalogSearchError(
        "INVALID_CURSOR",
        "A page is asked for by its cursor or by an offset, not both: leave the offset out.",
      );
    }
    const plan = await this.#plan(query);
    if (!plan) {
      return {
        total: 0,
        totalExact: true,
        totalBound: "exact",
        entries: [],
        nextCursor: undefined,
      };
    }
    if (plan.restorableOn) {
      // Judgements once complete stay so (a probe judges the whole catalog again before
      // it answers): asked once per target and process.
      const unjudged = plan.restorableOn.filter((site) => !this.#judged.has(site.targetId));
      await ensureJudged(this.#db, unjudged);
      for (const site of unjudged) this.#judged.add(site.targetId);
    }
    return await this.#db.transaction(async (tx) => {
      const reader = tx as unknown as NodeDatabase;
      await this.#configureSearch(reader, plan);
      const entries: Array<CatalogEntry & { tier: number }> = [];
      let offset = query.offset ?? 0;
      const tiers =
        plan.words.length > 0 ? (["title", "summary"] as const) : ([undefined] as const);
      for (let tier = after?.tier ?? 0; tier < tiers.length; tier++) {
        const wanted = query.limit + 1 - entries.length;
        if (wanted <= 0) break;
        const before = after && tier === after.tier ? after.key : undefined;
        const found = await this.#tierPage(reader, plan, tiers[tier], before, wanted, offset);
        entries.push(...found.map((entry) => ({ ...entry, tier })));
        if (offset > 0) {
          // Rows skipped in this tier are not skipped again in the next.
          offset =
            found.length > 0
              ? 0
              : offset - (await this.#tierCount(reader, plan, tiers[tier], offset));
        }
      }
      const counted = await this.#total(reader, plan, query, after !== undefined, entries.length);
      const page = entries.slice(0, query.limit);
      const last = page.at(-1);
      return {
        total: counted.total,
        totalExact: counted.bound === "exact",
        totalBound: counted.bound,
        entries: page.map(({ tier: _tier, ...entry }) => entry),
        nextCursor:
          entries.length > query.limit && last?.searchKey != null
            ? catalogCursor({ tier: last.tier, key: last.searchKey })
            : undefined,
      };
    });
  }
  /**
   * The query's criteria as the index reads them: facet terms, the words, what stays a
   * column condition. Undefined when nothing can match (a teacher no one is, a branch
   * that is not one).
   */
  async #plan(query: CatalogQuery): Promise<SearchPlan | undefined> {
    const db = this.#db;
    const { catalogEntries } = db.tables;
    const terms: string[][] = [];
    const conditions: SQL[] = [];
    if (query.actor) terms.push([actorTerm(query.actor)]);
    if (query.teacher) {
      const actors = await this.#teachersMatching(query.teacher);
      if (actors.length === 0) return undefined;
      // Each term is a lookup in the index: past a few dozen teachers ("marie"), each
      // candidate course's actor is checked instead.
      if (actors.length <= TEACHER_TERMS_MAX) terms.push(actors.map(actorTerm));
      else conditions.push(inArray(catalogEntries.actorUri, actors));
    }
    if (query.institution) terms.push([hostTerm(db, query.institution)]);
    if (query.tag) terms.push([tagTerm(db, query.tag)]);
    if (query.language) terms.push([languageTerm(db, query.language)]);
    if (query.plugin) terms.push([pluginTerm(db, query.plugin)]);
    if (query.withoutPlugins) terms.push([WITHOUT_PLUGINS_TERM]);
    if (query.moodle) {
      const branch = moodleBranchNumber(query.moodle);
      if (branch === null) return undefined;
      // SQLite reads the branch from its full-text index; PostgreSQL checks the column
      // on each candidate, as a dozen terms, one of which a course has, would be a union
      // of long lists for GIN to intersect (a second at a million courses).
      if (db.engine === "postgres") conditions.push(lte(catalogEntries.moodleBranch, branch));
      else terms.push(branchTermsUpTo(branch));
    }
    if (query.restorableOn?.length === 0) return undefined;
    const words = catalogWords(query.q ?? "");
    const plan = { words, terms, conditions, restorableOn: query.restorableOn };
    if (db.engine === "sqlite") {
      const looked = await sqliteWords(db, words);
      // A word no course has, or words that are all punctuation: nothing matches.
      if (!looked || (words.length > 0 && looked.length === 0)) return undefined;
      return { ...plan, sqliteWords: looked };
    }
    // Without words or facets, a teacher's or a branch's courses are read by their own
    // index (catalog_entries_actor holds the search key), or the index of live courses
    // walked; restorability alone is checked on each course of the newest days.
    const spans =
      words.length + terms.length > 0 || (query.restorableOn && conditions.length === 0);
    if (db.engine !== "postgres" || !spans) return plan;
    const postgres = await postgresTermSearch(db, words, terms, [
      ...conditions.map(notIndexed),
      ...(query.restorableOn
        ? [notIndexed(restorableOn(db, query.restorableOn, sql`${catalogEntries.searchKey}`))]
        : []),
    ]);
    // Words that give no lexeme at all (stop words, punctuation) match nothing.
    return postgres && { ...plan, postgres };
  }
  /** The Person actors whose handle or name holds `text`, case aside. */
  async #teachersMatching(text: string): Promise<string[]> {
    const { remoteActors } = this.#db.tables;
    // A handle is stored without its leading "@", as user@host.
    const pattern = `%${escapeLike(text.trim().replace(/^@/, "").toLowerCase())}%`;
    const found = await this.#db
      .select({ uri: remoteActors.uri })
      .from(remoteActors)
      .where(
        and(
          eq(remoteActors.type, "Person"),
          sql`(lower(coalesce(${remoteActors.handle}, '')) like ${pattern} escape '\\'
            or lower(coalesce(${remoteActors.name}, '')) like ${pattern} escape '\\')`,
        ),
      );
    return found.map((actor) => actor.uri);
  }
  /**
   * The search's total, given the page found (`found` courses: the page and one more
   * when there is a next). On PostgreSQL a first page without a next holds every match,
   * and is the total without a count; a count stopped at its budget is raised to what
   * the page shows (its offset and its courses).
   */
  async #total(
    db: NodeDatabase,
    plan: SearchPlan,
    query: CatalogQuery,
    byCursor: boolean,
    found: number,
  ): Promise<{ total: number; bound: CatalogPage["totalBound"] }> {
    const skipped = query.offset ?? 0;
    if (this.#db.engine === "postgres" && !byCursor && skipped === 0 && found <= query.limit) {
      return { total: found, bound: "exact" };
    }
    const counted = await this.#count(db, plan);
    if (counted.bound !== "atLeast" || found === 0) return counted;
    const shown = skipped + found;
    if (shown > this.#countLimit) return { total: this.#countLimit, bound: "moreThan" };
    return { total: Math.max(counted.total, shown), bound: "atLeast" };
  }
  /**
   * How many courses match, read up to one more than the count limit (and on PostgreSQL,
   * up to the count's budget of candidates).
   */
  async #count(
    db: NodeDatabase,
    plan: SearchPlan,
  ): Promise<{ total: number; bound: CatalogPage["totalBound"] }> {
    let total: number;
    if (plan.postgres) {
      const counted = await postgresBoundedCount(
        this.#db,
        db,
        plan.postgres,
        "any",
        this.#countLimit + 1,
        this.#countBudget,
      );
      if (!counted.complete) return { total: counted.counted, bound: "atLeast" };
      total = counted.counted;
    } else {
      const matching = this.#matching(plan, "any", undefined);
      const rows = await db
        .select({ total: count() })
        .from(sql`(${matching} limit ${this.#countLimit + 1}) as matching`);
      total = Number(rows[0]?.total ?? 0);
    }
    return total > this.#countLimit
      ? { total: this.#countLimit, bound: "moreThan" }
      : { total, bound: "exact" };
  }
  /** How many courses a tier holds, counted up to `upTo`. */
  async #tierCount(
    db: NodeDatabase,
    plan: SearchPlan,
    tier: CatalogTier | undefined,
    upTo: number,
  ): Promise<number> {
    if (plan.postgres) {
      const counted = await postgresBoundedCount(
        this.#db,
        db,
        plan.postgres,
        tier ?? "any",
        upTo,
        undefined,
      );
      return counted.counted;
    }
    const matching = this.#matching(plan, tier ?? "any", undefined);
    const rows = await db
      .select({ total: count() })
      .from(sql`(${matching} limit ${upTo}) as matching`);
    return Number(rows[0]?.total ?? 0);
  }
  /**
   * Sets PostgreSQL's planner for the rest of the search's transaction. Matches are read
   * through an index rather than by scanning the table: the planner prices a row's terms
   * as a comparison, where they are a function of the row's words (a third of a
   * millisecond), and scanning a day's courses for them would cost a second; a teacher
   * set and a branch without terms were counted by scanning the table (tens of thousands
   * of rows where the index by actor holds a few thousand). With terms, work_mem keeps a
   * bitmap of matches exact, as a lossy page has its rows' terms worked out again. No JIT
   * and no parallel workers: the planner's row estimates for the terms are far off (the
   * statistics of a partial index's expression are not used), and statements it priced
   * high were compiled (17 to 36 ms each at a million courses) or given workers (20 to
   * 200 ms to start on 2 busy cores) for a few rows.
   */
  async #configureSearch(db: NodeDatabase, plan: SearchPlan): Promise<void> {
    if (this.#db.engine !== "postgres") return;
    const throughIndex = plan.postgres ? sql`, set_config('work_mem', '64MB', true)` : sql``;
    await db.execute(
      sql`select set_config('enable_seqscan', 'off', true), set_config('jit', 'off', true),
        set_config('max_parallel_workers_per_gather', '0', true)${throughIndex}`,
    );
  }
  /** A tier's courses, newest first, older than `before` when given. */
  async #tierPage(
    db: NodeDatabase,
    plan: SearchPlan,
    tier: CatalogTier | undefined,
    before: number | undefined,
    limit: number,
    offset: number,
  ): Promise<CatalogEntry[]> {
    const { catalogEntries } = this.#db.tables;
    if (plan.postgres) {
      const keys = await postgresTierKeys(
        this.#db,
        db,
        plan.postgres,
        tier ?? "any",
        before,
        limit,
        offset,
      );
      if (keys.length === 0) return [];
      return await db
        .select(getTableColumns(catalogEntries))
        .from(catalogEntries)
        .where(inArray(catalogEntries.searchKey, keys))
        .orderBy(desc(catalogEntries.searchKey));
    }
    const keys = this.#matching(plan, tier ?? "any", before);
    return await db
      .select(getTableColumns(catalogEntries))
      .from(catalogEntries)
      .where(
        sql`${catalogEntries.searchKey} in (${keys} order by key desc limit ${limit} offset ${offset})`,
      )
      .orderBy(desc(catalogEntries.searchKey));
  }
  /**
   * The search keys of the courses matching `plan` (in `tier` when it has words), as a
   * subquery the index answers in the catalog's order: SQLite's full-text index, which
   * holds the live courses' words and facets; without criteria, on either engine, the
   * index of live courses by search_key (PostgreSQL's criteria: postgres-catalog-search.ts).
   */
  #matching(plan: SearchPlan, tier: CatalogTier | "any", before: number | undefined): SQL {
    const db = this.#db;
    const { catalogEntries } = db.tables;
    const match = [
      ...(plan.sqliteWords?.length ? [sqliteWordsMatch(plan.sqliteWords, tier)] : []),
      ...plan.terms.map(sqliteFacetMatch),
    ];
    const restorable = plan.restorableOn
      ? restorableOn(db, plan.restorableOn, sql`${sql.identifier("catalog_search")}.rowid`)
      : undefined;
    // The courses of many teachers, as one set of keys read from the index by actor
    // (catalog_entries_actor holds the key): a check of each candidate's row instead read
    // a row of several KB per candidate, 0.2 to 2 s for a common word at a million
    // courses. "+" keeps the set a filter: FTS5 asked once per key would read each word's
    // terms again for each.
    const columns =
      plan.conditions.length > 0
        ? sql`+${sql.identifier("catalog_search")}.rowid in (select ${catalogEntries.searchKey} from ${catalogEntries} where ${and(
            isNull(catalogEntries.deletedAt),
            ...plan.conditions,
          )})`
        : undefined;
    if (match.length === 0) {
      // Nothing for the full-text index: the live courses' index by search_key.
      return sql`select ${catalogEntries.searchKey} as key from ${catalogEntries} where ${and(
        isNull(catalogEntries.deletedAt),
        ...plan.conditions,
        ...(before === undefined ? [] : [lt(catalogEntries.searchKey, before)]),
        ...(plan.restorableOn
          ? [restorableOn(db, plan.restorableOn, sql`${catalogEntries.searchKey}`)]
          : []),
      )}`;
    }
    return sql`select rowid as key from catalog_search where ${and(
      sql`catalog_search match ${match.join(" AND ")}`,
      before === undefined ? undefined : sql`rowid < ${before}`,
      restorable,
      columns,
    )}`;
  }
  /**
   * The teachers (Person actors, as this node last saw them) with courses in the catalog,
   * by name: what the catalog can be narrowed to.
   */
  async catalogTeachers(): Promise<
    Array<{ uri: string; name: string | null; handle: string | null }>
  > {
    const { catalogEntries, remoteActors } = this.#db.tables;
    // One lookup per teacher in the index by actor, rather than a join of every course
    // (the catalog page asks at each search).
    return await this.#db
      .select({
        uri: remoteActors.uri,
        name: remoteActors.name,
        handle: remoteActors.handle,
      })
      .from(remoteActors)
      .where(
        and(
          eq(remoteActors.type, "Person"),
          sql`exists (select 1 from ${catalogEntries} where ${and(
            eq(catalogEntries.actorUri, remoteActors.uri),
            isNull(catalogEntries.deletedAt),
          )})`,
        ),
      )
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
   * The courses still listed that `actorUri` published, or with `sameServer` any actor
   * of its server (an institution announces its teachers'): what a catch-up that read the
   * actor's whole outbox looks for there. At most `limit`.
   */
  async liveCoursesFrom(
    actorUri: string,
    options: { readonly sameServer: boolean; readonly limit: number },
  ): Promise<Array<{ objectUri: string; actorUri: string }>> {
    const { catalogEntries } = this.#db.tables;
    const origin = new URL(actorUri).origin;
    return await this.#db
      .select({ objectUri: catalogEntries.objectUri, actorUri: catalogEntries.actorUri })
      .from(catalogEntries)
      .where(
        and(
          isNull(catalogEntries.deletedAt),
          options.sameServer
            ? sql`${catalogEntries.actorUri} like ${`${escapeLike(origin)}/%`} escape '\\'`
            : eq(catalogEntries.actorUri, actorUri),
        ),
      )
      .limit(options.limit);
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

/**
 * A condition PostgreSQL checks on each candidate of its terms index, never an index to
 * read instead nor a join to start from: its planner, pricing a course's terms (a
 * function of its words) too low, read a teacher's or a branch's courses by their own
 * index, or the restorable ones from catalog_restorable, and worked out the terms of
 * each (6 to 8 s at a million courses, 3 s at 5,000).
 */
function notIndexed(condition: SQL): SQL {
  return sql`(${condition}) is true`;
}

/** `text` matched literally by LIKE, with `escape '\'`: SQLite has no default escape. */
function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (character) => `\\${character}`);
}
