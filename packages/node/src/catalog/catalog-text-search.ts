import { type SQL, sql } from "drizzle-orm";
import type { NodeDatabase } from "../db/database.ts";
import type { SqliteWord } from "./sqlite-word-terms.ts";

/**
 * The catalog's full-text search, one index per engine: SQLite's FTS5 table
 * `catalog_search`, keyed by search_key and holding the facets too; PostgreSQL's tsvector
 * columns `search` (title, summary, tags) and `title_search` (title, tags) under one GIN
 * index with the facets (see the catalog_search and catalog_search_order migrations). In
 * both, each word is the start of a word of the title, summary or tags, accents ignored,
 * and every word is required.
 *
 * Matches are listed in two tiers, each newest first: courses whose title or tags hold
 * every word, then those that need the summary for some word. Both tiers are read from
 * the index in the catalog's order and stop at a page; ranking every match by a score
 * (bm25, ts_rank) read all of them for each page, 0.3 to 0.7 s at 100,000 courses.
 */
export type CatalogTier = "title" | "summary";

/** The user's words, each a prefix; none when the text has no words. */
export function catalogWords(text: string): string[] {
  // NUL separates words too: FTS5 ends its query there, and PostgreSQL text cannot hold it.
  return text.split(/[\s\0]+/).filter(Boolean);
}

/**
 * An FTS5 query (SQLite) for the courses of `tier` that have every word: a word's terms
 * (sqlite-word-terms.ts) each quoted, or the word a quoted prefix, so that FTS5 operators
 * in the text are only words.
 */
export function sqliteWordsMatch(words: readonly SqliteWord[], tier: CatalogTier | "any"): string {
  const quoted = (text: string) => `"${text.replaceAll('"', '""')}"`;
  // Every word here has a token (sqliteWords leaves out those without): an explicit AND,
  // which an OR of terms needs, cannot meet a phrase left with none.
  const all = `(${words
    .map((word) =>
      "terms" in word ? `(${word.terms.map(quoted).join(" OR ")})` : `${quoted(word.prefix)}*`,
    )
    .join(" AND ")})`;
  const inTitle = `({title tags} : ${all})`;
  if (tier === "title") return inTitle;
  const anywhere = `({title summary tags} : ${all})`;
  return tier === "any" ? anywhere : `(${anywhere} NOT ${inTitle})`;
}

/** An FTS5 query for the courses having one of `terms` (catalog-facets.ts) among their facets. */
export function sqliteFacetMatch(terms: readonly string[]): string {
  return `(facets : (${terms.map((term) => `"${term}"`).join(" OR ")}))`;
}

/**
 * The PostgreSQL condition for the courses of `tier` that have every word. The columns
 * hold each text's lexemes in three configurations (English and French stems, and the
 * words as written), so a word matches when its prefix is found in any of them:
 * "courses" finds "course" by its English stem, "alge" finds "algèbre" as written.
 */
export function postgresWordsMatch(
  db: NodeDatabase,
  words: readonly string[],
  tier: CatalogTier | "any",
): SQL {
  const table = db.tables.catalogEntries;
  const search = sql`${table}.${sql.identifier("search")}`;
  const titleSearch = sql`${table}.${sql.identifier("title_search")}`;
  const query = sql.join(
    words.map((word) => {
      const operand = tsqueryPrefix(word);
      return sql`(to_tsquery('coursefed_english', ${operand}) || to_tsquery('coursefed_french', ${operand}) || to_tsquery('coursefed_simple', ${operand}))`;
    }),
    sql` && `,
  );
  if (tier === "title") return sql`${titleSearch} @@ (${query})`;
  if (tier === "any") return sql`${search} @@ (${query})`;
  return sql`(${search} @@ (${query}) and not (${titleSearch} @@ (${query})))`;
}

/**
 * A word as a quoted tsquery operand matching every word it starts. tsquery syntax
 * becomes spaces, which split the word as the parser would ("l'école" is "l" then
 * "école"). A word left with no letters matches nothing alone and is ignored beside
 * others, as in FTS5.
 */
export function tsqueryPrefix(word: string): string {
  return `'${word.replace(/[&|!():*<>'\\]/g, " ")}':*`;
}
