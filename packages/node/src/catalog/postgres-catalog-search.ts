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
 * of them (0.8 s at a million courses, 1.8 s for words alone). Here a search reads the
 * catalog a day at a time, newest first, each day one exact lookup of its terms and the
 * day's term, and stops at its page: a common word fills it in the first day. Days are
 * read lazily (a nested loop under a LIMIT) for WINDOW_DAYS; a search that has not filled
 * its page by then has rare matches, and reads the rest of the catalog in one lookup.
 * Counts likewise stop at their limit.
 */

/** The longest prefix kept as a term: a longer word is looked up by its first characters, then checked. */
const PREFIX_MAX = 8;

/** Search keys are publishedAt × 1024: the keys of a day. */
const DAY_KEYS = 86_400_000 * 1024;

/** How many days, newest first, a search reads one at a time before the rest at once. */
const WINDOW_DAYS = 30;

/** What a search looks up in catalog_entries_terms, and what each candidate is checked for. */
export interface PostgresTermSearch {
  readonly words: readonly string[];
  /** Per tier of words: each group, a course has one of its terms (the words' first). */
  readonly wordGroups: { readonly title: string[][]; readonly any: string[][] };
  /** Whether the words' terms say all (no word longer than a term, nor split in two). */
  readonly wordsExact: boolean;
  /** Facet terms, each group one of which a course has (catalog-facets.ts). */
  readonly facetGroups: ReadonlyArray<readonly string[]>;
  /** What the index cannot say (restorability), checked on each candidate. */
  readonly conditions: readonly SQL[];
  /**
   * Criteria of many terms each (a teacher filter matching many teachers: one of their
   * actors' terms), as a condition checked on each of a day's candidates, and as terms
   * looked up when the rest of the catalog is read at once, where candidates must be
   * matches: hundreds of terms looked up for every day would cost more than the check.
   */
  readonly manyTerms: {
    readonly conditions: readonly SQL[];
    readonly groups: ReadonlyArray<readonly string[]>;
  };
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
  manyTerms: PostgresTermSearch["manyTerms"],
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
  return { words, wordGroups: { title, any }, wordsExact, facetGroups, conditions, manyTerms };
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
 * What a course of `tier` matching the search is, in `day` (an SQL day number) when
 * given: the terms every match has, one lookup; the groups with several terms, one of
 * which it has; then what only the row can say.
 */
function matches(
  db: NodeDatabase,
  search: PostgresTermSearch,
  tier: CatalogTier | "any",
  day: SQL | undefined,
  before: number | undefined,
): SQL {
  const { catalogEntries } = db.tables;
  const words =
    search.words.length === 0 ? [] : search.wordGroups[tier === "title" ? "title" : "any"];
  const groups = [...words, ...search.facetGroups, ...(day ? [] : search.manyTerms.groups)];
  const required: SQL[] = groups
    .filter((group) => group.length === 1)
    .map((group) => sql`${group[0]}`);
  if (day) required.push(sql`'d' || ${day}`);
  const terms = termsOf(db);
  const checks: SQL[] = [];
  // The words condition on the row, when the terms do not say everything: a long or
  // split word, or the summary tier (the words, but not all in the title).
  if (search.words.length > 0 && (!search.wordsExact || tier === "summary")) {
    checks.push(postgresWordsMatch(db, search.words, tier));
  }
  return sql.join(
    [
      sql`${catalogEntries.deletedAt} is null`,
      ...(required.length > 0 ? [sql`${terms} @> ${textArray(required)}`] : []),
      ...groups
        .filter((group) => group.length > 1)
        .map((group) => sql`${terms} && ${textArray(group.map((term) => sql`${term}`))}`),
      // "+ 0": a range of the search key is no index for the planner to read instead.
      ...(before === undefined ? [] : [sql`${catalogEntries.searchKey} + 0 < ${before}`]),
      ...checks,
      ...search.conditions,
      // In the rest, their terms say it; the condition would have the planner read the
      // index of actors and work out every candidate's terms.
      ...(day ? search.manyTerms.conditions : []),
    ],
    sql` and `,
  );
}

/**
 * What runs a search's statements: the search's transaction, which has no tables of its
 * own (they come from the database).
 */
export type SearchReader = Pick<NodeDatabase, "execute">;

/** The days a search reads one at a time: from the newest course older than `before`. */
async function window(
  db: NodeDatabase,
  reader: SearchReader,
  before: number | undefined,
): Promise<{ newest: number; oldest: number } | undefined> {
  const { catalogEntries } = db.tables;
  let last = before === undefined ? undefined : before - 1;
  if (last === undefined) {
    const { rows } = await reader.execute<{ key: string | null }>(
      sql`select max(${catalogEntries.searchKey}) as key from ${catalogEntries} where ${catalogEntries.deletedAt} is null`,
    );
    if (rows[0]?.key == null) return undefined;
    last = Number(rows[0].key);
  }
  const newest = Math.floor(last / DAY_KEYS);
  return { newest, oldest: newest - WINDOW_DAYS + 1 };
}

/**
 * A page of a tier's search keys, newest first, older than `before`: the window's days
 * one by one, then, when they did not hold the page, the rest in one lookup.
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
  const days = await window(db, reader, before);
  if (!days) return [];
  const day = sql`${sql.identifier("day")}.${sql.identifier("number")}`;
  const { rows: inWindow } = await reader.execute<{ key: string }>(
    sql`select found.key from generate_series(${days.newest}::bigint, ${days.oldest}::bigint, -1) as day(number)
      cross join lateral (
        select ${catalogEntries.searchKey} as key from ${catalogEntries}
        where ${matches(db, search, tier, day, before)}
        order by ${catalogEntries.searchKey} + 0 desc
      ) as found
      limit ${offset + limit}`,
  );
  const hits = inWindow.map((row) => Number(row.key));
  if (hits.length >= offset + limit) return hits.slice(offset, offset + limit);
  const taken = hits.slice(offset);
  const rest = Math.min(before ?? Number.MAX_SAFE_INTEGER, days.oldest * DAY_KEYS);
  const { rows } = await reader.execute<{ key: string }>(
    sql`select ${catalogEntries.searchKey} as key from ${catalogEntries}
      where ${matches(db, search, tier, undefined, rest)}
      order by ${catalogEntries.searchKey} + 0 desc
      limit ${limit - taken.length} offset ${Math.max(0, offset - hits.length)}`,
  );
  return [...taken, ...rows.map((row) => Number(row.key))];
}

/** How many courses of `tier` match, counted up to `upTo`: the window's days, then the rest. */
export async function postgresTierCount(
  db: NodeDatabase,
  reader: SearchReader,
  search: PostgresTermSearch,
  tier: CatalogTier | "any",
  upTo: number,
): Promise<number> {
  const { catalogEntries } = db.tables;
  const days = await window(db, reader, undefined);
  if (!days) return 0;
  const day = sql`${sql.identifier("day")}.${sql.identifier("number")}`;
  const { rows: inWindow } = await reader.execute<{ total: string }>(
    sql`select count(*) as total from (
        select 1 from generate_series(${days.newest}::bigint, ${days.oldest}::bigint, -1) as day(number)
        cross join lateral (
          -- "offset 0": read a day at a time, never the other way round.
          select 1 from ${catalogEntries} where ${matches(db, search, tier, day, undefined)} offset 0
        ) as found
        limit ${upTo}) as counted`,
  );
  const counted = Number(inWindow[0]?.total ?? 0);
  if (counted >= upTo) return counted;
  const { rows } = await reader.execute<{ total: string }>(
    sql`select count(*) as total from (
        select 1 from ${catalogEntries}
        where ${matches(db, search, tier, undefined, days.oldest * DAY_KEYS)}
        limit ${upTo - counted}) as counted`,
  );
  return counted + Number(rows[0]?.total ?? 0);
}
