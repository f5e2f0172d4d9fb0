import type { NodeDatabase } from "../db/database.ts";

/**
 * The index terms a catalog course's filters look up, made when it arrives and kept in
 * catalog_entries.facets: each is a letter saying what it is and the value's UTF-8 in hex,
 * so that any text (spaces, quotes, accents) is one word to SQLite's full-text tokenizer
 * and the same string in PostgreSQL's jsonb. The 0014 (SQLite) and 0008 (PostgreSQL)
 * catalog_search_order migrations make the same terms in SQL for the courses received
 * before them: keep both in step with this module.
 */
export interface FacetSource {
  readonly actorUri: string;
  readonly tags: readonly string[];
  readonly languages: readonly string[];
  readonly requiredPlugins: readonly string[];
  readonly moodleBranch: number | null;
}

/** What a term says, as its first letter. */
const KIND = {
  tag: "t",
  language: "l",
  plugin: "p",
  withoutPlugins: "n",
  host: "h",
  actor: "a",
  branch: "m",
  major: "j",
} as const;

/**
 * Tags, languages and plugins are matched case aside, as the database's lower() folds
 * them: SQLite's folds ASCII letters only, PostgreSQL's every letter. Terms made here and
 * in the migrations must agree, so each engine keeps its own folding.
 */
function fold(db: Pick<NodeDatabase, "engine">, text: string): string {
  return db.engine === "postgres"
    ? text.toLowerCase()
    : text.replace(/[A-Z]+/g, (letters) => letters.toLowerCase());
}

function hex(text: string): string {
  return Buffer.from(text, "utf8").toString("hex");
}

export function tagTerm(db: Pick<NodeDatabase, "engine">, tag: string): string {
  return KIND.tag + hex(fold(db, tag));
}

export function languageTerm(db: Pick<NodeDatabase, "engine">, language: string): string {
  return KIND.language + hex(fold(db, language));
}

export function pluginTerm(db: Pick<NodeDatabase, "engine">, plugin: string): string {
  return KIND.plugin + hex(fold(db, plugin));
}

export const WITHOUT_PLUGINS_TERM = KIND.withoutPlugins;

/** A server's host (with its port if not the default), as the institution filter names it. */
export function hostTerm(db: Pick<NodeDatabase, "engine">, host: string): string {
  return KIND.host + hex(fold(db, host));
}

export function actorTerm(actorUri: string): string {
  return KIND.actor + hex(actorUri);
}

export function branchTerm(branch: number): string {
  return `${KIND.branch}${branch}`;
}

/** Its major version alone (4.5 → 4): "made on 4.x". */
function majorTerm(major: number): string {
  return `${KIND.major}${major}`;
}

/** The host of an http(s) actor URI as written, up to its path; none for another URI. */
function actorHost(actorUri: string): string | undefined {
  return /^https?:\/\/([^/]+)\//i.exec(actorUri)?.[1];
}

/** Every term of a course, once each. */
export function catalogFacets(db: Pick<NodeDatabase, "engine">, course: FacetSource): string[] {
  const host = actorHost(course.actorUri);
  const terms = [
    ...course.tags.map((tag) => tagTerm(db, tag)),
    ...course.languages.map((language) => languageTerm(db, language)),
    ...course.requiredPlugins.map((plugin) => pluginTerm(db, plugin)),
    ...(course.requiredPlugins.length === 0 ? [WITHOUT_PLUGINS_TERM] : []),
    ...(host === undefined ? [] : [hostTerm(db, host)]),
    actorTerm(course.actorUri),
    ...(course.moodleBranch === null
      ? []
      : [branchTerm(course.moodleBranch), majorTerm(Math.floor(course.moodleBranch / 100))]),
  ];
  return [...new Set(terms)].sort();
}

/**
 * The terms a "made on this branch or an older one" filter accepts, one of which a
 * course must have: each older major version (1 to 4 for 5.1), then each branch of the
 * same major up to it (5.0, 5.1). A handful of terms, where one per branch would be
 * dozens, each a lookup.
 */
export function branchTermsUpTo(branch: number): string[] {
  const major = Math.floor(branch / 100);
  return [
    ...Array.from({ length: Math.max(0, major - 1) }, (_, index) => majorTerm(index + 1)),
    ...Array.from({ length: (branch % 100) + 1 }, (_, minor) => branchTerm(major * 100 + minor)),
  ];
}
