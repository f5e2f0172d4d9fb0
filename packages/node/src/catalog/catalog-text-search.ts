import { desc, type SQL, sql } from "drizzle-orm";
import type { NodeDatabase } from "../db/database.ts";

/** Catalog entries matching the user's words, and how to put the best matches first. */
export interface CatalogTextMatch {
  /** Holds for the entries that have every word. */
  readonly where: SQL;
  /** An ORDER BY term: the best matches first. */
  readonly rank: SQL;
  /** What the listing must join for `rank` to be read (once, not row by row). */
  readonly join?: { readonly table: SQL; readonly on: SQL };
}

/**
 * The catalog's full-text search, one index per engine: SQLite's FTS5 table
 * `catalog_search`, PostgreSQL's generated tsvector column `catalog_entries.search` (see
 * the 0001_catalog_search migrations). In both, each word is the start of a word of the
 * title, summary or tags, accents ignored, and every word is required. Undefined when
 * `text` has no words.
 */
export function catalogTextMatch(db: NodeDatabase, text: string): CatalogTextMatch | undefined {
  // NUL separates words too: FTS5 ends its query there, and PostgreSQL text cannot hold it.
  const words = text.split(/[\s\0]+/).filter(Boolean);
  if (words.length === 0) return undefined;
  return db.engine === "postgres" ? postgresMatch(db, words) : sqliteMatch(db, words);
}

function sqliteMatch(db: NodeDatabase, words: string[]): CatalogTextMatch {
  const { catalogEntries } = db.tables;
  // Each word a quoted prefix, so that FTS5 operators in the text are only words.
  const match = words.map((word) => `"${word.replaceAll('"', '""')}"*`).join(" ");
  const hits = sql`(select rowid as hit_rowid, bm25(catalog_search) as hit_score from catalog_search where catalog_search match ${match}) as hits`;
  return {
    where: sql`${catalogEntries}.rowid in (select rowid from catalog_search where catalog_search match ${match})`,
    // Joined once: a subquery per row in ORDER BY ran the match again for every row,
    // which grew with the square of the matches (17 s for 10,000 of them).
    join: { table: hits, on: sql`hits.hit_rowid = ${catalogEntries}.rowid` },
    // bm25 is lower for better matches.
    rank: sql`hits.hit_score`,
  };
}

/**
 * The column holds each text's lexemes in three configurations (English and French
 * stems, and the words as written), so a word matches when its prefix is found in any
 * of them: "courses" finds "course" by its English stem, "alge" finds "algèbre" as
 * written.
 */
function postgresMatch(db: NodeDatabase, words: string[]): CatalogTextMatch {
  const search = sql`${db.tables.catalogEntries}.${sql.identifier("search")}`;
  const query = sql.join(
    words.map((word) => {
      const operand = tsqueryPrefix(word);
      return sql`(to_tsquery('coursefed_english', ${operand}) || to_tsquery('coursefed_french', ${operand}) || to_tsquery('coursefed_simple', ${operand}))`;
    }),
    sql` && `,
  );
  return {
    where: sql`${search} @@ (${query})`,
    rank: desc(sql`ts_rank(${search}, ${query})`),
  };
}

/**
 * A word as a quoted tsquery operand matching every word it starts. tsquery syntax
 * becomes spaces, which split the word as the parser would ("l'école" is "l" then
 * "école"). A word left with no letters matches nothing alone and is ignored beside
 * others, as in FTS5.
 */
function tsqueryPrefix(word: string): string {
  return `'${word.replace(/[&|!():*<>'\\]/g, " ")}':*`;
}
