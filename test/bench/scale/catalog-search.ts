/**
 * The catalog part of the scale benchmark (scale.bench.ts), at CATALOG courses (default
 * 100,000, built in 14 s on SQLite and 47 s on PostgreSQL here; CATALOG=1000000 for a
 * million, at least ten times that, more on a loaded machine): SEARCHES
 * (default 200) searches through CatalogRepository.searchCatalog on SQLite and on
 * PostgreSQL, a fifth words alone, a fifth each filter alone (tag, institution, teacher,
 * language, Moodle branch, plugin, without plugins, restorable on two probed targets),
 * the rest words with a filter, two filters, or words with two filters; each with its
 * total, then its next page by its cursor. Printed: p50 and p95 on each engine against
 * the budget (50 ms at 100,000, 200 ms above), p50 and p95 by kind, the resident memory
 * of `coursefed serve` holding the SQLite catalog, at rest and answering the same
 * searches through its API, against its budget, and searches per second on
 * PostgreSQL with 3 searchers at once (a pool each) against 1, over THROUGHPUT_SECONDS
 * (default 15) each. ENGINES=sqlite (or postgres) measures one engine; SQLITE_CATALOG=file
 * keeps the SQLite catalog between runs (built there when missing), POSTGRES_CATALOG=url
 * the PostgreSQL one (built in that database when it is empty). SLOWEST=n prints the n
 * slowest searches of each engine with what they asked, for a profile to start from.
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { once } from "node:events";
import { existsSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { count, isNull, type SQL, sql } from "drizzle-orm";
import { catalogFacets } from "../../../packages/node/src/catalog/catalog-facets.ts";
import {
  CATALOG_COUNT_LIMIT,
  type CatalogQuery,
  CatalogRepository,
} from "../../../packages/node/src/catalog/catalog-repository.ts";
import {
  probedSites,
  type RestoreSite,
} from "../../../packages/node/src/catalog/catalog-restorable.ts";
import type { NodeDatabase } from "../../../packages/node/src/db/database.ts";
import { openDatabase } from "../../../packages/node/src/db/open-database.ts";
import { temporaryDatabase } from "../../../packages/node/src/db/test-database.ts";
import { MoodleTargetRepository } from "../../../packages/node/src/moodle-targets/target-repository.ts";
import { launcherFlags } from "../../support/coursefed-cli.ts";
import { type ServeProcess, startServe } from "../../support/coursefed-cluster.ts";
import { residentMegabytes } from "./resident-memory.ts";

const quick = process.argv.includes("--quick") || process.env.QUICK === "1";
const catalogSize = Number(process.env.CATALOG ?? (quick ? 5000 : 100_000));
const searches = Number(process.env.SEARCHES ?? (quick ? 40 : 200));
const throughputSeconds = Number(process.env.THROUGHPUT_SECONDS ?? (quick ? 5 : 15));

const step = (text: string) => process.stderr.write(`${text}\n`);

/** The same pseudo-random sequence every run, so both engines hold the same catalog. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

const SUBJECTS = {
  fr: [
    "Mathématiques",
    "Algèbre linéaire",
    "Analyse réelle",
    "Probabilités",
    "Statistiques descriptives",
    "Physique quantique",
    "Mécanique des fluides",
    "Thermodynamique",
    "Chimie organique",
    "Biologie cellulaire",
    "Génétique",
    "Écologie",
    "Histoire contemporaine",
    "Géographie urbaine",
    "Philosophie morale",
    "Littérature française",
    "Économie politique",
    "Droit constitutionnel",
    "Programmation Python",
    "Bases de données",
    "Réseaux informatiques",
    "Électronique numérique",
    "Sciences de l'éducation",
    "Anglais de spécialité",
  ],
  en: [
    "Calculus",
    "Linear Algebra",
    "Discrete Mathematics",
    "Probability Theory",
    "Applied Statistics",
    "Quantum Physics",
    "Fluid Mechanics",
    "Organic Chemistry",
    "Cell Biology",
    "Genetics",
    "Ecology",
    "Modern History",
    "Human Geography",
    "Ethics",
    "English Literature",
    "Microeconomics",
    "Constitutional Law",
    "Python Programming",
    "Databases",
    "Computer Networks",
    "Digital Electronics",
    "Educational Psychology",
    "Academic Writing",
    "Machine Learning",
  ],
};
const LEVELS = {
  fr: ["Introduction à", "Initiation :", "Licence 1 —", "Licence 3 —", "Master 1 —", "Terminale —"],
  en: ["Introduction to", "Foundations of", "Year 1:", "Advanced", "Graduate seminar:", "A-level"],
};
const SENTENCES = {
  fr: [
    "Ce cours présente les notions fondamentales avec de nombreux exercices corrigés.",
    "Chaque séance comporte un quiz d'auto-évaluation et un forum de discussion.",
    "Les étudiants travaillent en groupes sur un projet tout au long du semestre.",
    "Des vidéos courtes accompagnent les chapitres du polycopié.",
    "L'évaluation combine un devoir maison, des tests en ligne et un examen final.",
    "Prérequis : les bases du lycée en mathématiques et en sciences.",
    "Le module s'appuie sur des études de cas issues de la recherche récente.",
    "Ressources en libre accès, sous licence Creative Commons.",
  ],
  en: [
    "This course covers the core concepts with many worked examples.",
    "Every week has a self-assessment quiz and a discussion forum.",
    "Students work in teams on a project throughout the term.",
    "Short videos accompany each chapter of the lecture notes.",
    "Assessment combines coursework, online tests and a final exam.",
    "Prerequisites: secondary school mathematics and science.",
    "The module draws on case studies from recent research.",
    "Open educational resources under a Creative Commons licence.",
  ],
};
const TAGS = [
  "maths",
  "physique",
  "physics",
  "chimie",
  "chemistry",
  "biologie",
  "biology",
  "histoire",
  "history",
  "informatique",
  "computing",
  "python",
  "statistiques",
  "statistics",
  "langues",
  "languages",
  "droit",
  "law",
  "économie",
  "economics",
  "lycée",
  "licence",
  "master",
  "mooc",
  "quiz",
  "projet",
  "project",
  "oer",
];
const PLUGINS = ["qtype_stack", "mod_hvp", "format_tiles", "mod_questionnaire", "qtype_wq"];
/** Branches as stored (4.5 → 405), older ones rarer, as in the fixtures' spread. */
const BRANCHES = [206, 208, 302, 305, 306, 309, 310, 311, 400, 401, 402, 403, 404, 405, 500];
const LANGUAGE_SETS = [["fr"], ["fr"], ["en"], ["en"], ["fr", "en"], ["de"], ["es"], ["it"]];
const HOSTS = 400;
/** Each institution's teachers who publish, named from these. */
const TEACHERS_PER_HOST = 20;
const FIRST_NAMES = [
  "Marie",
  "Jean",
  "Camille",
  "Ada",
  "Paul",
  "Léa",
  "Hugo",
  "Inès",
  "Tom",
  "Zoé",
];
const SYLLABLES = ["ber", "nard", "mar", "tin", "du", "bois", "ro", "bert", "pe", "tit"];
const ENDINGS = ["le", "roux", "mo", "rel", "fa", "vre", "gi", "rard", "bon", "net"];

/** A teacher's surname: 100 of them among the 8,000 teachers. */
function surname(host: number, teacher: number): string {
  const word = `${SYLLABLES[(host * 7 + teacher) % SYLLABLES.length]}${ENDINGS[(host + teacher * 3) % ENDINGS.length]}`;
  return `${word[0]?.toUpperCase()}${word.slice(1)}`;
}

function pick<T>(next: () => number, items: readonly T[]): T {
  return items[Math.floor(next() * items.length)] as T;
}

function teacherUri(host: number, teacher: number): string {
  return `https://univ-${host}.example/actors/t${teacher}`;
}

/** `count` catalog entries from 400 institutions' nodes, in the shape a receiver stores. */
export function* catalogRows(count: number) {
  const next = random(7);
  const now = Date.now();
  for (let index = 0; index < count; index++) {
    const languages = pick(next, LANGUAGE_SETS);
    const lang = languages[0] === "fr" || next() < 0.3 ? "fr" : "en";
    const title = `${pick(next, LEVELS[lang])} ${pick(next, SUBJECTS[lang])}`;
    const summary = Array.from({ length: 2 + Math.floor(next() * 3) }, () =>
      pick(next, SENTENCES[lang]),
    ).join(" ");
    const tags = [
      ...new Set(Array.from({ length: 1 + Math.floor(next() * 4) }, () => pick(next, TAGS))),
    ];
    const requiredPlugins = next() < 0.7 ? [] : [pick(next, PLUGINS)];
    const moodleBranch = pick(next, BRANCHES);
    const hostNumber = Math.floor(next() * HOSTS);
    const host = `univ-${hostNumber}.example`;
    const actorUri =
      next() < 0.6
        ? `https://${host}/actors/institution`
        : teacherUri(hostNumber, Math.floor(next() * TEACHERS_PER_HOST));
    const objectUri = `https://${host}/courses/${index.toString(16).padStart(8, "0")}`;
    const sha256 = createHash("sha256").update(objectUri).digest("hex");
    const size = 10_000 + Math.floor(next() * 50_000_000);
    const publishedAt = now - Math.floor(next() * 3 * 365 * 86_400_000);
    const manifest = {
      object: objectUri,
      revision: 1,
      archive: { sha256, size, format: "tar.gz" },
      moodle: {
        version: "2024100705",
        release: `${Math.floor(moodleBranch / 100)}.${moodleBranch % 100}.2`,
        backupRelease: `${Math.floor(moodleBranch / 100)}.${moodleBranch % 100}`,
      },
      course: { fullname: title, shortname: `C${index}`, format: "topics" },
      type: "course",
      sections: 4 + Math.floor(next() * 12),
      activities: { quiz: Math.floor(next() * 6), forum: 1, page: Math.floor(next() * 10) },
      questionTypes: {},
      languages,
      requiredPlugins,
      pluginVersions: Object.fromEntries(requiredPlugins.map((plugin) => [plugin, 2023010100])),
      license: "cc-by-sa",
      personalData: "clean",
      derivedFrom: null,
      publishedAt: new Date(publishedAt).toISOString(),
    };
    yield {
      objectUri,
      actorUri,
      title,
      summary: `<p>${summary}</p>`,
      tags,
      revision: 1,
      sha256,
      size,
      archiveUrl: `https://${host}/blobs/${sha256}`,
      manifest,
      // A compact JWS of the manifest is about this long.
      manifestJws: `eyJhbGciOiJFZERTQSJ9.${Buffer.from(JSON.stringify(manifest)).toString("base64url")}.${"s".repeat(86)}`,
      moodleBranch,
      languages,
      requiredPlugins,
      publishedAt,
      receivedAt: publishedAt + 1000,
    };
  }
}

/**
 * Fills the catalog as receive() would leave it (search keys and facets included), with
 * the institutions and teachers as remote actors, in batches: receive() one course at a
 * time would take an hour at a million.
 */
export async function fillCatalog(db: NodeDatabase, count: number): Promise<number> {
  const started = performance.now();
  await withSearchIndexBuiltAfter(db, () => insertCatalog(db, count));
  return (performance.now() - started) / 1000;
}

/**
 * Runs `fill` without the search index, then builds the index once, as a bulk load
 * would: maintained row by row (as arrivals do), a million rows took over half an hour.
 * The index's definition is read from the database, so that it is the migrations' own;
 * on SQLite the words' terms (catalog_terms) are then listed as the 0017 migration lists
 * those of the courses it finds.
 */
async function withSearchIndexBuiltAfter(db: NodeDatabase, fill: () => Promise<void>) {
  if (db.engine === "postgres") {
    const { rows } = await db.execute<{ indexdef: string }>(
      sql`select indexdef from pg_indexes where indexname = 'catalog_entries_terms'`,
    );
    await db.execute(sql`drop index catalog_entries_terms`);
    await fill();
    await db.transaction(async (tx) => {
      // About 190 terms a course: sorted in memory rather than in many runs on disk.
      await tx.execute(sql`set local maintenance_work_mem = '512MB'`);
      for (const { indexdef } of rows) await tx.execute(sql.raw(indexdef));
    });
    return;
  }
  const sqlite = db as unknown as {
    all<Row>(query: SQL): Promise<Row[]>;
    run(query: SQL): Promise<unknown>;
  };
  // The SQLite driver gives rows as arrays of values.
  const triggers = await sqlite.all<[string]>(
    sql`select sql from sqlite_master
      where name in ('catalog_search_insert', 'catalog_terms_insert') order by name`,
  );
  await sqlite.run(sql`drop trigger catalog_search_insert`);
  await sqlite.run(sql`drop trigger catalog_terms_insert`);
  await fill();
  await sqlite.run(sql`insert into catalog_search(catalog_search) values ('rebuild')`);
  await sqlite.run(
    sql`create virtual table catalog_search_vocab using fts5vocab(catalog_search, 'col')`,
  );
  await sqlite.run(
    sql`insert or ignore into catalog_terms
      select distinct term from catalog_search_vocab where col <> 'facets'`,
  );
  await sqlite.run(sql`drop table catalog_search_vocab`);
  for (const [trigger] of triggers) await sqlite.run(sql.raw(trigger));
}

async function insertCatalog(db: NodeDatabase, count: number): Promise<void> {
  const rows = catalogRows(count);
  const keys = new Set<number>();
  const batch = 500;
  const perTransaction = 10_000;
  for (let done = 0; done < count; ) {
    await db.transaction(async (tx) => {
      for (let inTransaction = 0; inTransaction < perTransaction && done < count; ) {
        const values = [];
        for (let row = rows.next(); !row.done; row = rows.next()) {
          let searchKey = row.value.publishedAt * 1024;
          while (keys.has(searchKey)) searchKey++;
          keys.add(searchKey);
          values.push({ ...row.value, searchKey, facets: catalogFacets(db, row.value) });
          if (values.length === batch) break;
        }
        await tx.insert(db.tables.catalogEntries).values(values);
        done += values.length;
        inTransaction += values.length;
      }
    });
  }
  const actors = [];
  for (let host = 0; host < HOSTS; host++) {
    const base = { inbox: `https://univ-${host}.example/inbox`, sharedInbox: null, fetchedAt: 0 };
    actors.push({
      ...base,
      uri: `https://univ-${host}.example/actors/institution`,
      type: "Organization",
      name: `Université ${host}`,
      handle: `institution@univ-${host}.example`,
    });
    for (let teacher = 0; teacher < TEACHERS_PER_HOST; teacher++) {
      actors.push({
        ...base,
        uri: teacherUri(host, teacher),
        type: "Person",
        name: `${FIRST_NAMES[teacher % FIRST_NAMES.length]} ${surname(host, teacher)}`,
        handle: `t${teacher}@univ-${host}.example`,
      });
    }
  }
  for (let from = 0; from < actors.length; from += 500) {
    await db.insert(db.tables.remoteActors).values(actors.slice(from, from + 500));
  }
}

/**
 * Two Moodle targets, probed: a recent site with two of the plugins, and an old one with
 * none. Their probe judges the whole catalog for the restorable filter; returns how long.
 */
export async function probeTargets(db: NodeDatabase): Promise<number> {
  const targets = new MoodleTargetRepository(db);
  const started = performance.now();
  for (const [name, branch, plugins] of [
    ["recent", "4.5", { qtype_stack: 2024010100, mod_hvp: 2024010100 }],
    ["old", "3.9", {}],
  ] as const) {
    const target = await targets.add({
      name,
      driver: "ws",
      url: `https://${name}.example`,
      token: "bench",
    });
    await targets.saveProbe(target, {
      version: "2024100700",
      release: `${branch} (Build: 20241007)`,
      branch,
      plugins: { mod_quiz: 2024100700, ...plugins },
      maxRestoreBytes: 40_000_000,
    });
  }
  return (performance.now() - started) / 1000;
}

/** A search as the bench asks it: what it is (for the figures) and its criteria. */
interface BenchSearch {
  readonly kind: "words" | "filter" | "combination";
  readonly query: Omit<CatalogQuery, "restorableOn"> & { readonly restorable?: boolean };
}

const WORDS = [
  "algèbre",
  "alg",
  "chimie",
  "physique",
  "physics",
  "statistics",
  "stat",
  "histoire",
  "python",
  "introduction",
  "quiz",
  "projet",
  "licence",
  "réseaux",
  "genetics",
  "écologie",
  "ecology",
  "learning",
  "examen",
  "fluid",
];

/** Each filter, as the catalog's users give it, with a value the catalog holds. */
const FILTERS: ReadonlyArray<(next: () => number) => Partial<BenchSearch["query"]>> = [
  (next) => ({ tag: pick(next, TAGS) }),
  (next) => ({ institution: `univ-${Math.floor(next() * HOSTS)}.example` }),
  (next) =>
    next() < 0.5
      ? // A surname (dozens of teachers), or a first name (hundreds: not one term each).
        {
          teacher:
            next() < 0.7
              ? surname(Math.floor(next() * HOSTS), Math.floor(next() * TEACHERS_PER_HOST))
              : pick(next, FIRST_NAMES),
        }
      : {
          teacher: `t${Math.floor(next() * TEACHERS_PER_HOST)}@univ-${Math.floor(next() * HOSTS)}.example`,
        },
  (next) => ({ language: pick(next, ["fr", "en", "de"]) }),
  (next) => ({ moodle: pick(next, ["3.9", "4.1", "4.5"]) }),
  (next) => ({ plugin: pick(next, PLUGINS) }),
  () => ({ withoutPlugins: true }),
  () => ({ restorable: true }),
];

/**
 * Searches as people type them: a word or two (often cut short), every filter alone and
 * with words, and two filters together, with or without words.
 */
export function searchQueries(count: number): BenchSearch[] {
  const next = random(11);
  return Array.from({ length: count }, (_, index) => {
    const words = Array.from({ length: next() < 0.7 ? 1 : 2 }, () => pick(next, WORDS)).join(" ");
    const filter = FILTERS[index % FILTERS.length] as (typeof FILTERS)[number];
    const shape = index % 5;
    const base = { limit: 20 };
    if (shape === 0) return { kind: "words", query: { ...base, q: words } };
    if (shape === 1) return { kind: "filter", query: { ...base, ...filter(next) } };
    if (shape === 2) return { kind: "combination", query: { ...base, q: words, ...filter(next) } };
    const other = pick(next, FILTERS);
    return {
      kind: "combination",
      query: { ...base, ...(shape === 3 ? { q: words } : {}), ...filter(next), ...other(next) },
    };
  });
}

/** The sites the restorable filter names, as the API finds them. */
async function restoreSites(db: NodeDatabase): Promise<RestoreSite[]> {
  return probedSites(await new MoodleTargetRepository(db).all());
}

/** A search's first page, then its next page (by its cursor) when there is one: ms each. */
async function timeSearch(
  catalog: CatalogRepository,
  sites: readonly RestoreSite[],
  { query }: BenchSearch,
): Promise<{ first: number; next: number | undefined }> {
  const { restorable, ...criteria } = query;
  const asked = { ...criteria, restorableOn: restorable ? sites : undefined };
  let started = performance.now();
  const page = await catalog.searchCatalog(asked);
  const first = performance.now() - started;
  if (!page.nextCursor) return { first, next: undefined };
  started = performance.now();
  await catalog.searchCatalog({ ...asked, cursor: page.nextCursor });
  return { first, next: performance.now() - started };
}

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

/** Latencies (ms) of one series of searches, by what was asked. */
interface Timings {
  readonly words: number[];
  readonly filter: number[];
  readonly combination: number[];
  /** The next page of any of the others, by its cursor. */
  readonly nextPage: number[];
}

/** Each search, one after the other: its first page, then its next. */
async function timeSearches(db: NodeDatabase, queries: readonly BenchSearch[]): Promise<Timings> {
  const catalog = new CatalogRepository(db);
  const sites = await restoreSites(db);
  const timings: Timings = { words: [], filter: [], combination: [], nextPage: [] };
  const timed: Array<{ search: BenchSearch; first: number; next: number | undefined }> = [];
  for (const search of queries) {
    const { first, next } = await timeSearch(catalog, sites, search);
    timings[search.kind].push(first);
    if (next !== undefined) timings.nextPage.push(next);
    timed.push({ search, first, next });
  }
  if (queries.length > WARM_UP) reportSlowest(db.engine, timed);
  return timings;
}

/**
 * SLOWEST=n: the n slowest searches of a series (first page or next), with what they
 * asked, on stderr, so that a profile (EXPLAIN) can start from them.
 */
const slowest = Number(process.env.SLOWEST ?? 0);

function reportSlowest(
  engine: string,
  timed: ReadonlyArray<{ search: BenchSearch; first: number; next: number | undefined }>,
): void {
  if (!slowest) return;
  const worst = [...timed]
    .sort((a, b) => Math.max(b.first, b.next ?? 0) - Math.max(a.first, a.next ?? 0))
    .slice(0, slowest);
  step(`the ${worst.length} slowest searches on ${engine} (first page / next page):`);
  for (const { search, first, next } of worst) {
    const nextPage = next === undefined ? "-" : milliseconds(next);
    step(`  ${milliseconds(first)} / ${nextPage} ${search.kind} ${JSON.stringify(search.query)}`);
  }
}

/**
 * The child's side of timeSqliteSearches: the process that holds the SQLite catalog runs
 * the searches and says how long they took and how much memory it holds after them.
 */
async function searchAsChild(file: string): Promise<void> {
  const db = await openDatabase(file);
  const queries = searchQueries(searches);
  // Compiled and cached once, as in a node that has been up a while: not timed.
  await timeSearches(db, queries.slice(0, WARM_UP));
  const timings = await timeSearches(db, queries);
  await db.close();
  process.stdout.write(`${JSON.stringify(timings)}\n`);
}

/** Searches run before the timed ones, as a node that has been up a while has. */
const WARM_UP = 8;

/** SQLite's latencies, in a process of its own, as a node holds its catalog. */
async function timeSqliteSearches(file: string): Promise<Timings> {
  const child = spawn(
    process.execPath,
    // The child makes the same list of searches: same sizes.
    [import.meta.filename, "--search-as-child", file, ...(quick ? ["--quick"] : [])],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  const [code] = await once(child, "exit");
  if (code !== 0) throw new Error(`the SQLite searches exited with ${code}`);
  return JSON.parse(output) as Timings;
}

function milliseconds(value: number): string {
  return `${value.toFixed(1)} ms`;
}

/** p50 and p95 of every search and next page, and p95 by kind, against the budget. */
function describeTimings(engine: string, timings: Timings, budgetMs: number): string[] {
  const all = [...timings.words, ...timings.filter, ...timings.combination, ...timings.nextPage];
  const p95 = percentile(all, 95);
  const kind = (name: string, values: number[]) =>
    `${name} (${values.length}) ${values.length ? `${milliseconds(percentile(values, 50))} / ${milliseconds(percentile(values, 95))}` : "-"}`;
  return [
    `  ${engine}: p50 ${milliseconds(percentile(all, 50))}, p95 ${milliseconds(p95)} = ${(p95 / budgetMs).toFixed(2)}x the ${budgetMs} ms budget; max ${milliseconds(Math.max(...all))}`,
    `    p50 / p95 by kind: ${kind("words", timings.words)}, ${kind("one filter", timings.filter)}, ${kind("combinations", timings.combination)}, ${kind("next pages", timings.nextPage)}`,
  ];
}

/**
 * Searches per second with `searchers` searching at once for `throughputSeconds`, each on
 * its own pool and starting at its own place in the list.
 */
async function searchThroughput(
  location: string,
  queries: readonly BenchSearch[],
  searchers: number,
): Promise<number> {
  const pools = await Promise.all(Array.from({ length: searchers }, () => openDatabase(location)));
  try {
    const sites = await restoreSites(pools[0] as NodeDatabase);
    const started = performance.now();
    const until = started + throughputSeconds * 1000;
    const done = await Promise.all(
      pools.map(async (db, index) => {
        const catalog = new CatalogRepository(db);
        let next = Math.floor((index * queries.length) / searchers);
        let count = 0;
        while (performance.now() < until) {
          await timeSearch(catalog, sites, queries[next++ % queries.length] as BenchSearch);
          count++;
        }
        return count;
      }),
    );
    const total = done.reduce((sum, count) => sum + count, 0);
    return total / ((performance.now() - started) / 1000);
  } finally {
    await Promise.all(pools.map((db) => db.close()));
  }
}

/**
 * The most `coursefed serve` may hold (MB, resident) with a SQLite catalog of any size,
 * while searching it: the node at rest (256 MB, docs/performance.md) and 64 MB for the
 * searches, as a download or a fan-out has over rest. A search holds one page of rows
 * (20 here, each with its manifest), its statements (kept, 512 at most) and SQLite's page
 * cache (2 MB by default). The catalog's pages stay in the operating system's cache, not
 * in the process: a node whose memory grew with its catalog (a search reading whole
 * tables or indexes into memory, a cache of terms or results without a bound) would pass
 * it at a million courses.
 */
const CATALOG_RSS_BUDGET_MB = 256 + 64;

/**
 * The node's own resident memory holding the SQLite catalog: `coursefed serve` (one
 * process, the deployments' Node flags) on the catalog's file, after WARM_UP searches
 * through its API (and as it started), and at its peak while it answers every search of the list with its
 * next page.
 */
async function serveCatalogMemory(
  file: string,
  queries: readonly BenchSearch[],
): Promise<{ startedMb: number; restingMb: number; peakMb: number }> {
  // A start prints the admin token it makes, which it makes only when there is none.
  const db = await openDatabase(file);
  try {
    await db.delete(db.tables.apiTokens);
  } finally {
    await db.close();
  }
  const dataDir = mkdtempSync(join(tmpdir(), "coursefed-bench-catalog-"));
  symlinkSync(resolve(file), join(dataDir, "node.sqlite"));
  let serve: ServeProcess | undefined;
  try {
    serve = await startServe({ dataDir, nodeFlags: launcherFlags() });
    const node = serve;
    const search = async ({ query }: BenchSearch) => {
      const { restorable, withoutPlugins, limit, ...criteria } = query;
      const parameters = new URLSearchParams({
        ...(criteria as Record<string, string>),
        limit: String(limit),
        ...(restorable ? { restorable: "true" } : {}),
        ...(withoutPlugins ? { withoutPlugins: "true" } : {}),
      });
      const page = await node.api(`/catalog?${parameters}`);
      if (page.status !== 200) throw new Error(`catalog search: ${JSON.stringify(page.body)}`);
      const cursor = page.body.nextCursor;
      if (typeof cursor === "string") {
        parameters.set("cursor", cursor);
        await node.api(`/catalog?${parameters}`);
      }
    };
    const startedMb = residentMegabytes([node.pid]);
    for (const query of queries.slice(0, WARM_UP)) await search(query);
    const restingMb = residentMegabytes([node.pid]);
    let peakMb = restingMb;
    const sampling = setInterval(() => {
      peakMb = Math.max(peakMb, residentMegabytes([node.pid]));
    }, 50);
    for (const query of queries) await search(query);
    clearInterval(sampling);
    return { startedMb, restingMb, peakMb: Math.max(peakMb, residentMegabytes([node.pid])) };
  } finally {
    // Thrown away after: no need to wait for a graceful stop.
    await serve?.stop(1000);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/**
 * The catalog figures, on a PostgreSQL server named by COURSEFED_TEST_POSTGRES_URL and
 * SQLite files in `scratch`.
 */
export async function catalogSearchFigures(scratch: string): Promise<string[]> {
  const lines: string[] = [];
  const budgetMs = catalogSize > 100_000 ? 200 : 50;
  const queries = searchQueries(searches);
  if (engines.has("sqlite")) lines.push(...(await sqliteFigures(scratch, queries, budgetMs)));
  if (engines.has("postgres")) lines.push(...(await postgresFigures(queries, budgetMs)));
  return lines;
}

/** Which engines the catalog part measures (ENGINES=sqlite or postgres: one alone). */
const engines = new Set((process.env.ENGINES ?? "sqlite,postgres").split(","));

/**
 * A SQLite catalog kept between runs (SQLITE_CATALOG=file): built there when the file is
 * missing, searched as it is when it holds CATALOG live courses. A million took minutes
 * to build; the searches alone take one.
 */
const keptSqliteCatalog = process.env.SQLITE_CATALOG;

/** The SQLite catalog's file, built (filled and judged for two targets) unless kept. */
async function sqliteCatalog(scratch: string): Promise<{ file: string; built: string }> {
  const file = keptSqliteCatalog ?? join(scratch, "catalog.sqlite");
  const kept = keptSqliteCatalog !== undefined && existsSync(file);
  const sqlite = await openDatabase(file);
  try {
    if (kept) {
      const [held] = await sqlite
        .select({ total: count() })
        .from(sqlite.tables.catalogEntries)
        .where(isNull(sqlite.tables.catalogEntries.deletedAt));
      if (held?.total !== catalogSize) {
        throw new Error(
          `SQLITE_CATALOG=${file} holds ${held?.total} courses, not CATALOG=${catalogSize}: name another file (it is built there) or set CATALOG to its size.`,
        );
      }
      step(`searching the SQLite catalog kept in ${file}`);
      return { file, built: `kept in ${file}` };
    }
    step(`filling a SQLite catalog with ${catalogSize} entries`);
    const filled = await fillCatalog(sqlite, catalogSize);
    const judged = await probeTargets(sqlite);
    step(
      `  filled in ${filled.toFixed(1)} s, two targets' probes judged it in ${judged.toFixed(1)} s`,
    );
    return {
      file,
      built: `filled in ${filled.toFixed(0)} s, two targets' probes judged it in ${judged.toFixed(1)} s`,
    };
  } finally {
    await sqlite.close();
  }
}

async function sqliteFigures(
  scratch: string,
  queries: readonly BenchSearch[],
  budgetMs: number,
): Promise<string[]> {
  const { file, built } = await sqliteCatalog(scratch);
  step(`timing ${searches} searches and their next pages on SQLite`);
  const onSqlite = await timeSqliteSearches(file);
  step("the same searches through the API of coursefed serve holding the SQLite catalog");
  const memory = await serveCatalogMemory(file, queries);
  return [
    `catalog search on SQLite, ${catalogSize} entries (${built}), ${searches} searches with their totals (counted up to ${CATALOG_COUNT_LIMIT}), and their next pages:`,
    ...describeTimings("SQLite", onSqlite, budgetMs),
    `  resident memory of coursefed serve holding the SQLite catalog: ${memory.startedMb.toFixed(0)} MB started, ${memory.restingMb.toFixed(0)} MB after ${WARM_UP} searches, ${memory.peakMb.toFixed(0)} MB at its peak answering the ${searches} searches through its API = ${(memory.peakMb / CATALOG_RSS_BUDGET_MB).toFixed(2)}x its budget of ${CATALOG_RSS_BUDGET_MB} MB${memory.peakMb > CATALOG_RSS_BUDGET_MB ? " OVER BUDGET" : ""}`,
  ];
}

async function postgresFigures(
  queries: readonly BenchSearch[],
  budgetMs: number,
): Promise<string[]> {
  const lines: string[] = [];
  const pgCatalog = await postgresCatalog();
  const pg = await pgCatalog.open();
  const built = await buildPostgresCatalog(pg, keptPostgresCatalog);

  step(`timing ${searches} searches and their next pages on PostgreSQL`);
  await timeSearches(pg, queries.slice(0, WARM_UP));
  const onPostgres = await timeSearches(pg, queries);
  await pg.close();
  lines.push(
    `catalog search on PostgreSQL, ${catalogSize} entries (${built}), ${searches} searches with their totals (counted up to ${CATALOG_COUNT_LIMIT}), and their next pages:`,
    ...describeTimings("PostgreSQL", onPostgres, budgetMs),
  );

  step(`timing 1, then 3 searchers at once on PostgreSQL, ${throughputSeconds} s each`);
  const single = await searchThroughput(pgCatalog.location, queries, 1);
  const triple = await searchThroughput(pgCatalog.location, queries, 3);
  lines.push(
    `catalog search on PostgreSQL (a search and its next page): 1 searcher ${single.toFixed(0)} searches/s, 3 searchers (a pool each) ${triple.toFixed(0)} searches/s = ${(triple / single).toFixed(2)}x`,
  );
  if (!keptPostgresCatalog) await pgCatalog.remove();
  return lines;
}

/**
 * A PostgreSQL catalog kept between runs (POSTGRES_CATALOG=url of a database): built there
 * when it holds no course, searched as it is when it holds CATALOG live courses. A
 * million took 16 minutes to fill and 20 to index here.
 */
const keptPostgresCatalog = process.env.POSTGRES_CATALOG;

async function postgresCatalog(): Promise<{
  location: string;
  open(): Promise<NodeDatabase>;
  remove(): Promise<void>;
}> {
  if (!keptPostgresCatalog) return await temporaryDatabase();
  return {
    location: keptPostgresCatalog,
    open: () => openDatabase(keptPostgresCatalog),
    remove: async () => {},
  };
}

/** Fills and judges the catalog, unless kept: says how long that took, or where it was kept. */
async function buildPostgresCatalog(pg: NodeDatabase, kept: string | undefined): Promise<string> {
  if (kept) {
    const [held] = await pg
      .select({ total: count() })
      .from(pg.tables.catalogEntries)
      .where(isNull(pg.tables.catalogEntries.deletedAt));
    if (held?.total === catalogSize) {
      step(`searching the PostgreSQL catalog kept in ${kept}`);
      return `kept in ${new URL(kept).pathname.slice(1)}`;
    }
    if (held?.total !== 0) {
      throw new Error(
        `POSTGRES_CATALOG holds ${held?.total} courses, not CATALOG=${catalogSize}: name an empty database (it is built there) or set CATALOG to its size.`,
      );
    }
  }
  step(`filling a PostgreSQL catalog with ${catalogSize} entries`);
  const filled = await fillCatalog(pg, catalogSize);
  // Fresh statistics, as autovacuum would have gathered them on a catalog filled over months.
  await pg.execute(sql`vacuum analyze catalog_entries`);
  const judged = await probeTargets(pg);
  await pg.execute(sql`vacuum analyze catalog_restorable`);
  step(
    `  filled in ${filled.toFixed(1)} s, two targets' probes judged it in ${judged.toFixed(1)} s`,
  );
  return `filled in ${filled.toFixed(0)} s, two targets' probes judged it in ${judged.toFixed(1)} s`;
}

if (process.argv[2] === "--search-as-child") {
  await searchAsChild(process.argv[3] as string);
  process.exit(0);
}
