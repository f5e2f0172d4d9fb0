/**
 * How well a course's texts answer a search's words, computed the same way on every node
 * and again by the node that merges the answers: scores of different engines (SQLite's
 * bm25, PostgreSQL's ts_rank) cannot be compared, and a node's own score for its courses
 * is not to be taken on its word.
 */

/** The words of a text, lowercased and without accents ("Algèbre, L'école" → algebre, l, ecole). */
export function searchWords(text: string): string[] {
  return text
    .normalize("NFD")
    .replace(/\p{M}/gu, "")
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean);
}

/** The texts searched: title, summary (HTML, its tags ignored) and tags. */
export interface SearchedTexts {
  readonly title: string;
  readonly summary: string | null;
  readonly tags: readonly string[];
}

/** Where a word found counts most: the title says what the course is, tags what it is about. */
const WEIGHTS = { title: 3, tags: 2, summary: 1 } as const;

/**
 * The score of `texts` for the query's words (from searchWords), or undefined when one of
 * them is not the start of any word of the texts: every word is required, as in the
 * catalog's search. Each word counts by the most telling place it is found in, a whole
 * word more than a word's start.
 */
export function textRelevance(words: readonly string[], texts: SearchedTexts): number | undefined {
  if (words.length === 0) return 0;
  const fields = {
    title: searchWords(texts.title),
    tags: texts.tags.flatMap(searchWords),
    summary: searchWords((texts.summary ?? "").replace(/<[^>]*>/g, " ")),
  };
  let score = 0;
  for (const word of words) {
    let best = 0;
    for (const field of ["title", "tags", "summary"] as const) {
      const found = fields[field];
      if (found.includes(word)) best = Math.max(best, WEIGHTS[field] * 1.5);
      else if (found.some((each) => each.startsWith(word))) best = Math.max(best, WEIGHTS[field]);
    }
    if (best === 0) return undefined;
    score += best;
  }
  return score;
}
