import { sql } from "drizzle-orm";
import type { NodeDatabase } from "../db/database.ts";

/**
 * A search word as SQLite's full-text index is asked for it: the terms of the catalog it
 * starts, listed in catalog_terms (migration 0017), or the word itself as a prefix.
 *
 * FTS5 answers a prefix longer than its prefix indexes (2 and 3 characters) by merging
 * the whole doclist of every term it starts before giving the first row: 5 to 20 ms of
 * CPU per word and statement at a million courses ("quiz", "stat"), and a search runs a
 * few statements. The same terms asked for by name are read lazily in the catalog's
 * order, as one term is (0.1 to 0.5 ms), and a page stops the reading.
 */
export type SqliteWord =
  | { readonly terms: readonly string[] }
  /** Looked up as an FTS5 prefix phrase (`"word"*`): its tokens could not be told here. */
  | { readonly prefix: string };

/**
 * How many terms a word may stand for: past it ("intro" in a large catalog), FTS5's own
 * prefix search, whose cost no longer grows with the number of terms, is asked instead.
 */
export const WORD_TERMS_MAX = 64;

/** The longest prefix FTS5 indexes ahead (the catalog_search table's `prefix='2 3'`). */
const INDEXED_PREFIX = 3;

/**
 * The word as the tokenizer (`unicode61 remove_diacritics 2`) makes it, when that can be
 * told for sure: ASCII letters and digits, and the accented Latin letters that are one
 * of them plus combining accents ("é", "Ç", "ő"), folded to it. Undefined otherwise
 * (punctuation makes several tokens, other letters fold by tables of SQLite's own).
 */
export function foldedToken(word: string): string | undefined {
  let token = "";
  for (const character of word.toLowerCase()) {
    if (/^[a-z0-9]$/.test(character)) {
      token += character;
      continue;
    }
    const code = character.codePointAt(0) as number;
    const decomposed = /^([a-z])[\u0300-\u036f]+$/.exec(character.normalize("NFD"));
    if (code < 0xc0 || code > 0x17f || !decomposed) return undefined;
    token += decomposed[1];
  }
  return token || undefined;
}

/**
 * Each word as the index is asked for it; undefined when a word starts no term of the
 * catalog, so that nothing can match. Words with no letter or digit are left out, as
 * FTS5 ignores a phrase with no token beside others.
 */
export async function sqliteWords(
  db: NodeDatabase,
  words: readonly string[],
): Promise<SqliteWord[] | undefined> {
  const looked: SqliteWord[] = [];
  for (const word of words) {
    if (!/[\p{L}\p{N}\p{Co}]/u.test(word)) continue;
    const token = foldedToken(word);
    if (token === undefined || token.length <= INDEXED_PREFIX) {
      looked.push({ prefix: word });
      continue;
    }
    const terms = await termsStartingWith(db, token);
    if (terms.length === 0) return undefined;
    looked.push(terms.length > WORD_TERMS_MAX ? { prefix: word } : { terms });
  }
  return looked;
}

/** Up to one more than WORD_TERMS_MAX terms of the catalog that start with `token`. */
async function termsStartingWith(db: NodeDatabase, token: string): Promise<string[]> {
  // Every term starting with an ASCII token sorts below the token with its last
  // character raised by one ("qui{" for "quiz"), whatever follows in it.
  const above = token.slice(0, -1) + String.fromCharCode(token.charCodeAt(token.length - 1) + 1);
  const rows = await db
    .select({ term: sql<string>`term` })
    .from(sql`catalog_terms`)
    .where(sql`term >= ${token} and term < ${above}`)
    .orderBy(sql`term`)
    .limit(WORD_TERMS_MAX + 1);
  return rows.map((row) => row.term);
}
