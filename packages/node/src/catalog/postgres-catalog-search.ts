import { type SQL, sql } from "drizzle-orm";
import type { NodeDatabase } from "../db/database.ts";
import { type CatalogTier, postgresWordsMatch, tsqueryPrefix } from "./catalog-text-search.ts";

/**
 * The catalog's search on PostgreSQL, through one GIN index of terms
 * (`catalog_entries_terms`, migration 0012_catalog_search_terms): each course's word prefixes up
 * to PREFIX_MAX characters ("w" for the title, summary and tags, "T" for the title and
 * tags alone), its facets (catalog-facets.ts) and the day it was published ("d").
 *
 * GIN answers in no order: the tsvector index it replaces gathered every match of a
 * common word, and for a prefix every word it starts, before a page could be sorted out
 * of them (0.8 s at a million courses, 1.8 s for words alone). Here a prefix is one exact
 * term, and a search reads the catalog by spans of days, newest first (blockSpans): each
 * span one lookup of the search's terms with the span's blocks of days, which GIN answers
 * by skipping through the long lists of common terms along the short ones of the days. It stops at
 * its page, or its count's limit: a common word fills it in the newest day.
 */

/** The longest prefix kept as a term: a longer word is looked up by its first characters, then checked. */
const PREFIX_MAX = 8;

/** Search keys are publishedAt × 1024: the keys of a day. */
const DAY_KEYS = 86_400_000 * 1024;

/** What a search looks up in catalog_entries_terms, and what each candidate is checked for. */
export interface PostgresTermSearch {
  readonly words: readonly string[];
  /** Per tier of words: each group, a course has one of its terms (the words' first). */
  readonly wordGroups: { readonly title: string[][]; readonly any: string[][] };
  /** Whether the words' terms say all (no word longer than a term, nor split in two). */
  readonly wordsExact: boolean;
  /** Facet terms, each group one of which a course has (catalog-facets.ts). */
  readonly facetGroups: ReadonlyArray<readonly string[]>;
  /** What the index cannot say (restorability, many teachers, a branch), checked on each candidate. */
  readonly conditions: readonly SQL[];
}

/**
 * The terms of the user's words, as the tsvector columns hold them: each word goes through
 * the three configurations as the words condition does (postgresWordsMatch), and each
 * lexeme it gives is a prefix term. Undefined when no word gives a lexeme (only stop words
 * or punctuation), which matches nothing, as the words condition does.
 */
export async function postgresTermSearch(
  db: NodeDatabase,
  words: readonly string[],
  facetGroups: ReadonlyArray<readonly string[]>,
  conditions: readonly SQL[],
): Promise<PostgresTermSearch | undefined> {
  const title: string[][] = [];
  const any: string[][] = [];
  let wordsExact = true;
  if (words.length > 0) {
    const operands = words.map(tsqueryPrefix);
    const { rows } = await db.execute<{ english: string; french: string; simple: string }>(
      sql`select to_tsquery('coursefed_english', operand)::text as english,
          to_tsquery('coursefed_french', operand)::text as french,
          to_tsquery('coursefed_simple', operand)::text as simple
        from unnest(${sql`array[${sql.join(
          operands.map((operand) => sql`${operand}`),
          sql`, `,
        )}]::text[]`}) with ordinality as word(operand, position) order by position`,
    );
    for (const row of rows) {
      const lexemes = [row.english, row.french, row.simple].map(queryLexemes);
      const given = lexemes.filter((list) => list.length > 0);
      if (given.length === 0) continue;
      // A word split in two ("l'école") must have both, next to each other: the index
      // finds its longest lexeme, the words condition checks the rest.
      const chosen = given.map(
        (list) => [...list].sort((a, b) => characters(b) - characters(a))[0] as string,
      );
      if (given.some((list) => list.length > 1)) wordsExact = false;
      if (chosen.some((lexeme) => characters(lexeme) > PREFIX_MAX)) wordsExact = false;
      const prefixes = leastPrefixes(
        chosen.map((lexeme) => Array.from(lexeme).slice(0, PREFIX_MAX).join("")),
      );
      title.push(prefixes.map((prefix) => `T${prefix}`));
      any.push(prefixes.map((prefix) => `w${prefix}`));
    }
    if (any.length === 0) return undefined;
  }
  return { words, wordGroups: { title, any }, wordsExact, facetGroups, conditions };
}

/** A text's length as PostgreSQL's length() counts it: in characters, not UTF-16 units. */
function characters(text: string): number {
  return Array.from(text).length;
}

/** The lexemes of a tsquery's text ('stat':* & 'ecol':*), quotes undone. */
function queryLexemes(query: string): string[] {
  return [...query.matchAll(/'((?:[^']|'')*)'/g)].map((match) =>
    (match[1] as string).replaceAll("''", "'"),
  );
}

/** Prefixes without those another one starts: "physiqu" finds every "physique". */
function leastPrefixes(prefixes: readonly string[]): string[] {
  const unique = [...new Set(prefixes)];
  return unique.filter(
    (prefix) => !unique.some((other) => other !== prefix && prefix.startsWith(other)),
  );
}

/** The index's expression, as migration 0012 made it: the planner matches it as written. */
function termsOf(db: NodeDatabase): SQL {
  const table = db.tables.catalogEntries;
  const column = (name: string) => sql`${table}.${sql.identifier(name)}`;
  return sql`catalog_search_terms(${column("search")}, ${column("title_search")}, ${column("facets")}, ${column("search_key")})`;
}

function textArray(terms: readonly SQL[]): SQL {
  return sql`array[${sql.join([...terms], sql`, `)}]::text[]`;
}

/**
 * What a course of `tier` matching the search is, in `blocks` (terms of blocks of days) when
 * given, in two parts: what the terms index reads (the terms every match has, one
 * lookup; the groups with several terms, one of which it has), and what only the row
 * can say, checked on each candidate the index gives.
 */
function matchParts(
  db: NodeDatabase,
  search: PostgresTermSearch,
  tier: CatalogTier | "any",
  blocks: readonly string[] | undefined,
  before: number | undefined,
): { readonly indexed: SQL[]; readonly checks: SQL[] } {
  const { catalogEntries } = db.tables;
  const words =
    search.words.length === 0 ? [] : search.wordGroups[tier === "title" ? "title" : "any"];
  const groups = [...words, ...search.facetGroups];
  const required: SQL[] = groups
    .filter((group) => group.length === 1)
    .map((group) => sql`${group[0]}`);
  const terms = termsOf(db);
  const checks: SQL[] = [];
  // The words condition on the row, when the terms do not say everything: a long or
  // split word, or the summary tier (the words, but not all in the title).
  if (search.words.length > 0 && (!search.wordsExact || tier === "summary")) {
    checks.push(postgresWordsMatch(db, search.words, tier));
  }
  return {
    indexed: [
      sql`${catalogEntries.deletedAt} is null`,
      ...(required.length > 0 ? [sql`${terms} @> ${textArray(required)}`] : []),
      ...groups
        .filter((group) => group.length > 1)
        .map((group) => sql`${terms} && ${textArray(group.map((term) => sql`${term}`))}`),
      ...(blocks ? [sql`${terms} && ${textArray(blocks.map((block) => sql`${block}`))}`] : []),
      // "+ 0": a range of the search key is no index for the planner to read instead.
      ...(before === undefined ? [] : [sql`${catalogEntries.searchKey} + 0 < ${before}`]),
    ],
    // The conditions first: a teacher set or a branch is a column of the row, where the
    // words' tsvector may be stored apart and read again (90 µs a row).
    checks: [...search.conditions, ...checks],
  };
}

/**
 * What runs a search's statements: the search's transaction, which has no tables of its
 * own (they come from the database).
 */
export type SearchReader = Pick<NodeDatabase, "execute">;

/**
 * The blocks of days the terms index holds a term for (migration 0017): each course's
 * day ("d" and the day's number) and the aligned blocks of 8, 64 and 512 days holding it
 * ("d8-", "d64-", "d512-" and the block's number), so that a span of days is a few
 * terms. GIN checks each term of a span at each candidate: a span of 128 day terms took
 * 25 ms for a tag's 8,000 rows at 100,000 courses, the same days as 16 blocks of 8 took 6.
 */
const BLOCKS = [1, 8, 64, 512];

/** The term of the `size`-day block numbered `block` (a day's when `size` is 1). */
function dayBlockTerm(size: number, block: number): string {
  return size === 1 ? `d${block}` : `d${size}-${block}`;
}

/** A span: terms of blocks of days (newest first), or the rest, keys below `below`. */
export type Span = { readonly terms: readonly string[] } | { readonly below: number };

/**
 * The spans a search reads, newest first, each one GIN lookup of at most 7 block terms:
 * the newest day; the rest of its block of 8 days, a day a term; the rest of that
 * block's block of 64, 8 days a term; of that one's block of 512, 64 days a term; 7
 * blocks of 512 days; then the rest of the catalog, or the rest once the spans hold
 * `restAfter` days. A span is read only when the spans before did not hold the
 * page (or the count), so its matches are a few times a page, where a common word's in
 * the whole catalog would be hundreds of thousands of rows to sort.
 */
export function blockSpans(newest: number, restAfter = Number.POSITIVE_INFINITY): Span[] {
  const found: Span[] = [{ terms: [dayBlockTerm(1, newest)] }];
  // The newest day not yet in a span: its next day starts a block of the level's size.
  let next = newest - 1;
  for (let level = 0; level < BLOCKS.length && newest - next < restAfter; level++) {
    const size = BLOCKS[level] as number;
    const parent = BLOCKS[level + 1];
    // The rest of the parent block holding `next`, or 7 blocks at the last level.
    const until =
      parent === undefined
        ? next + 1 - 7 * size
        : // A whole parent block is one term of the next level.
          (next + 1) % parent === 0
          ? next + 1
          : Math.floor(next / parent) * parent;
    const terms: string[] = [];
    for (let day = next; day >= until; day -= size) {
      terms.push(dayBlockTerm(size, Math.floor(day / size)));
    }
    if (terms.length > 0) found.push({ terms });
    next = until - 1;
  }
  found.push({ below: (next + 1) * DAY_KEYS });
  return found;
}

/**
 * The spans from the newest course older than `before` (the rest once they hold
 * `restAfter` days); none when no course is.
 */
async function spans(
  db: NodeDatabase,
  reader: SearchReader,
  before: number | undefined,
  restAfter?: number,
): Promise<Span[]> {
  const { catalogEntries } = db.tables;
  let last = before === undefined ? undefined : before - 1;
  if (last === undefined) {
    const { rows } = await reader.execute<{ key: string | null }>(
      sql`select max(${catalogEntries.searchKey}) as key from ${catalogEntries} where ${catalogEntries.deletedAt} is null`,
    );
    if (rows[0]?.key == null) return [];
    last = Number(rows[0].key);
  }
  return blockSpans(Math.floor(last / DAY_KEYS), restAfter);
}

/**
 * How many of the newest days a count reads by spans before it reads the rest at once.
 * A count needs no order, and a lookup of days costs GIN a check of each of its terms at
 * each candidate (a 30-day span of a tag: 28 ms for 2,680 rows at 100,000 courses, where
 * its whole list took 3): a count that 56 days did not fill has terms rare enough (under
 * 2% of a million courses, 20% of 100,000) to be read whole, up to its limit. Fewer days
 * read a common term whole: "without plugins" (70%) past the newest day and a half, 700,000
 * rows, 314 ms at a million.
 */
const COUNT_DAYS = 56;

/** Whether the search has terms to look up, not only conditions on the row. */
function hasTerms(search: PostgresTermSearch): boolean {
  return search.words.length > 0 || search.facetGroups.length > 0;
}

/** What a course of `tier` matching the search and in `span` is, in matchParts' two parts. */
function inSpanParts(
  db: NodeDatabase,
  search: PostgresTermSearch,
  tier: CatalogTier | "any",
  span: Span,
  before: number | undefined,
): { readonly indexed: SQL[]; readonly checks: SQL[] } {
  if ("below" in span) {
    const below = Math.min(before ?? span.below, span.below);
    if (hasTerms(search)) return matchParts(db, search, tier, undefined, below);
    const parts = matchParts(db, search, tier, undefined, undefined);
    return {
      indexed: [...parts.indexed, sql`${db.tables.catalogEntries.searchKey} < ${below}`],
      checks: parts.checks,
    };
  }
  return matchParts(db, search, tier, span.terms, before);
}

/** What a course of `tier` matching the search and in `span` is. */
function inSpan(
  db: NodeDatabase,
  search: PostgresTermSearch,
  tier: CatalogTier | "any",
  span: Span,
  before: number | undefined,
): SQL {
  const { indexed, checks } = inSpanParts(db, search, tier, span, before);
  return sql.join([...indexed, ...checks], sql` and `);
}

/**
 * A page of a tier's search keys, newest first, older than `before`: span after span
 * until they hold it (offsets read what they skip).
 */
export async function postgresTierKeys(
  db: NodeDatabase,
  reader: SearchReader,
  search: PostgresTermSearch,
  tier: CatalogTier | "any",
  before: number | undefined,
  limit: number,
  offset: number,
): Promise<number[]> {
  const { catalogEntries } = db.tables;
  const hits: number[] = [];
  for (const span of await spans(db, reader, before)) {
    // The rest, with no terms to look up (only conditions on the row): the index of live
    // courses read in order, as its matches are many when the spans did not hold them.
    const order =
      "below" in span && !hasTerms(search)
        ? sql`${catalogEntries.searchKey} desc`
        : sql`${catalogEntries.searchKey} + 0 desc`;
    const { rows } = await reader.execute<{ key: string }>(
      sql`select ${catalogEntries.searchKey} as key from ${catalogEntries}
        where ${inSpan(db, search, tier, span, before)}
        order by ${order}
        limit ${offset + limit - hits.length}`,
    );
    hits.push(...rows.map((row) => Number(row.key)));
    if (hits.length >= offset + limit) break;
  }
  return hits.slice(offset, offset + limit);
}

/**
 * How many courses of `tier` match the search, counted up to `upTo` and reading at most
 * `budget` (when given) candidates that the terms index gives and the row's checks (a
 * teacher set, a branch, restorability, a word the terms do not say all of) may turn
 * down: `complete` is false when the count stopped there, and `counted` is then only a
 * lower bound.
 *
 * Each candidate turned down costs a read of its row: a teacher set of 800 teachers (4%
 * of the catalog) over "stat" read 26,000 rows to count 520 at a million courses, 0.4 s
 * of the search's 0.45. A candidate the row need not check is a match, which `upTo`
 * bounds: such a span's count is not charged to the budget.
 */
export async function postgresBoundedCount(
  db: NodeDatabase,
  reader: SearchReader,
  search: PostgresTermSearch,
  tier: CatalogTier | "any",
  upTo: number,
  budget: number | undefined,
): Promise<{ counted: number; complete: boolean }> {
  const { catalogEntries } = db.tables;
  let counted = 0;
  let left = budget;
  for (const span of await spans(db, reader, undefined, COUNT_DAYS)) {
    const { indexed, checks } = inSpanParts(db, search, tier, span, undefined);
    const need = upTo - counted;
    if (checks.length === 0) {
      const { rows } = await reader.execute<{ total: string }>(
        sql`select count(*) as total from (
            select 1 from ${catalogEntries} where ${sql.join(indexed, sql` and `)}
            limit ${need}) as counted`,
      );
      counted += Number(rows[0]?.total ?? 0);
    } else {
      // The candidates in the index's order, each numbered as read; the count stops at
      // the `need`-th match, and the last candidate read (marked by having no next) says
      // how many were: lazily, so that a span's candidates past either are not read.
      const { rows } = await reader.execute<{ matched: string; read: string | null }>(
        sql`select count(*) filter (where ok) as matched, max(position) as read from (
            select ok, position from (
              select ok, row_number() over () as position, lead(true) over () is null as last
              from (
                select (${sql.join(checks, sql` and `)}) is true as ok from ${catalogEntries}
                where ${sql.join(indexed, sql` and `)}
                limit ${left ?? null}) as candidates
            ) as numbered
            where ok or last
            limit ${need}) as counted`,
      );
      counted += Number(rows[0]?.matched ?? 0);
      if (counted >= upTo) break;
      if (left !== undefined) {
        const read = Number(rows[0]?.read ?? 0);
        // The budget ran out in this span: it may hold more.
        if (read >= left) return { counted, complete: false };
        left -= read;
      }
    }
    if (counted >= upTo) break;
  }
  return { counted, complete: true };
}
