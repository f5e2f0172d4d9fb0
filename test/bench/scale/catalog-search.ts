/**
 * The catalog part of the scale benchmark (scale.bench.ts): catalog search at CATALOG
 * (default 100,000) entries: p50/p95 of SEARCHES (default 200) searches (words and
 * filters, through CatalogRepository.searchCatalog) on SQLite and on PostgreSQL; and
 * searches per second on PostgreSQL with 3 searchers at once (a pool each) against 1, over
 * THROUGHPUT_SECONDS (default 15) each.
 * A SQLite search is stopped at SQLITE_CAP_MS (default 2,000) and counts as slower than
 * that; the SQLite series ends after SQLITE_MAX_CAPPED (default 12) such searches: more
 * than 5% of 200 are then known to be slower, which places its p95 without waiting
 * minutes for each.
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { once } from "node:events";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { sql } from "drizzle-orm";
import {
  type CatalogQuery,
  CatalogRepository,
} from "../../../packages/node/src/catalog/catalog-repository.ts";
import type { NodeDatabase } from "../../../packages/node/src/db/database.ts";
import { openDatabase } from "../../../packages/node/src/db/open-database.ts";
import { temporaryDatabase } from "../../../packages/node/src/db/test-database.ts";

const quick = process.argv.includes("--quick") || process.env.QUICK === "1";
const catalogSize = Number(process.env.CATALOG ?? (quick ? 5000 : 100_000));
const searches = Number(process.env.SEARCHES ?? (quick ? 40 : 200));
const throughputSeconds = Number(process.env.THROUGHPUT_SECONDS ?? (quick ? 5 : 15));
const sqliteCapMs = Number(process.env.SQLITE_CAP_MS ?? 2000);
const sqliteMaxCapped = Number(process.env.SQLITE_MAX_CAPPED ?? (quick ? 5 : 12));

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
const BRANCHES = [26, 28, 32, 35, 36, 39, 310, 311, 400, 401, 402, 403, 404, 405, 500];
const LANGUAGE_SETS = [["fr"], ["fr"], ["en"], ["en"], ["fr", "en"], ["de"], ["es"], ["it"]];

function pick<T>(next: () => number, items: readonly T[]): T {
  return items[Math.floor(next() * items.length)] as T;
}

/** `count` catalog entries from 400 institutions' nodes, in the shape a receiver stores. */
function* catalogRows(count: number) {
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
    const host = `univ-${Math.floor(next() * 400)}.example`;
    const actorUri =
      next() < 0.6
        ? `https://${host}/actors/institution`
        : `https://${host}/actors/${Math.floor(next() * 1e9).toString(16)}`;
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

async function fillCatalog(db: NodeDatabase, count: number): Promise<number> {
  const started = performance.now();
  const rows = catalogRows(count);
  const batch = 500;
  const perTransaction = 10_000;
  for (let done = 0; done < count; ) {
    await db.transaction(async (tx) => {
      for (let inTransaction = 0; inTransaction < perTransaction && done < count; ) {
        const values = [];
        for (let row = rows.next(); !row.done; row = rows.next()) {
          values.push(row.value);
          if (values.length === batch) break;
        }
        await tx.insert(db.tables.catalogEntries).values(values);
        done += values.length;
        inTransaction += values.length;
      }
    });
  }
  return (performance.now() - started) / 1000;
}

/** Searches as people type them: a word or two (often cut short) with a filter or none. */
function searchQueries(count: number): CatalogQuery[] {
  const next = random(11);
  const words = [
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
  return Array.from({ length: count }, () => {
    const q =
      next() < 0.15
        ? undefined
        : Array.from({ length: next() < 0.7 ? 1 : 2 }, () => pick(next, words)).join(" ");
    const filter = next();
    return {
      q,
      ...(filter < 0.2 ? { language: pick(next, ["fr", "en", "de"]) } : {}),
      ...(filter >= 0.2 && filter < 0.35 ? { moodle: pick(next, ["3.9", "4.1", "4.5"]) } : {}),
      ...(filter >= 0.35 && filter < 0.5 ? { tag: pick(next, TAGS) } : {}),
      ...(filter >= 0.5 && filter < 0.6 ? { withoutPlugins: true } : {}),
      ...(filter >= 0.6 && filter < 0.65
        ? { institution: `univ-${Math.floor(next() * 400)}.example` }
        : {}),
      limit: 20,
      offset: 0,
    };
  });
}

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

/** Each search's latency (ms), one after the other. */
async function timeSearches(db: NodeDatabase, queries: readonly CatalogQuery[]): Promise<number[]> {
  const catalog = new CatalogRepository(db);
  const latencies: number[] = [];
  for (const query of queries) {
    const started = performance.now();
    await catalog.searchCatalog(query);
    latencies.push(performance.now() - started);
  }
  return latencies;
}

/**
 * The child's side of timeSqliteSearches: runs the searches from `from` on, saying when
 * each starts and how long it took.
 */
async function searchAsChild(file: string, from: number): Promise<void> {
  const db = await openDatabase(file);
  const catalog = new CatalogRepository(db);
  const queries = searchQueries(searches);
  for (let index = from; index < queries.length; index++) {
    process.stdout.write(`start ${index}\n`);
    const started = performance.now();
    await catalog.searchCatalog(queries[index] as CatalogQuery);
    process.stdout.write(`done ${index} ${performance.now() - started}\n`);
  }
  await db.close();
}

/**
 * SQLite's latencies, Infinity for a search stopped at the cap. better-sqlite3 runs a
 * statement to its end in the thread that asked, so the searches run in a child process,
 * killed (and started again at the next search) when one passes the cap.
 */
async function timeSqliteSearches(file: string): Promise<number[]> {
  const latencies: number[] = [];
  let capped = 0;
  while (latencies.length < searches && capped < sqliteMaxCapped) {
    const child = spawn(
      process.execPath,
      [
        import.meta.filename,
        "--search-as-child",
        file,
        String(latencies.length),
        // The child makes the same list of searches: same sizes.
        ...(quick ? ["--quick"] : []),
      ],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    const lines = createInterface({ input: child.stdout });
    let timer: NodeJS.Timeout | undefined;
    lines.on("line", (line) => {
      const [event, , ms] = line.split(" ");
      if (event === "start") {
        timer = setTimeout(() => {
          lines.close();
          latencies.push(Number.POSITIVE_INFINITY);
          capped++;
          child.kill("SIGKILL");
        }, sqliteCapMs);
      } else {
        clearTimeout(timer);
        latencies.push(Number(ms));
      }
    });
    const [code, signal] = await once(child, "exit");
    clearTimeout(timer);
    if (code !== 0 && signal !== "SIGKILL")
      throw new Error(`the SQLite searches exited with ${code}`);
  }
  return latencies;
}

/** "12.3 ms", or "> 2000 ms" for a search stopped at the cap. */
function milliseconds(value: number): string {
  return Number.isFinite(value) ? `${value.toFixed(1)} ms` : `> ${sqliteCapMs} ms`;
}

/**
 * Searches per second with `searchers` searching at once for `throughputSeconds`, each on
 * its own pool and starting at its own place in the list.
 */
async function searchThroughput(
  location: string,
  queries: readonly CatalogQuery[],
  searchers: number,
): Promise<number> {
  const pools = await Promise.all(Array.from({ length: searchers }, () => openDatabase(location)));
  try {
    const started = performance.now();
    const until = started + throughputSeconds * 1000;
    const done = await Promise.all(
      pools.map(async (db, index) => {
        const catalog = new CatalogRepository(db);
        let next = Math.floor((index * queries.length) / searchers);
        let count = 0;
        while (performance.now() < until) {
          await catalog.searchCatalog(queries[next++ % queries.length] as CatalogQuery);
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
 * The catalog figures, on a PostgreSQL server named by COURSEFED_TEST_POSTGRES_URL and
 * SQLite files in `scratch`.
 */
export async function catalogSearchFigures(scratch: string): Promise<string[]> {
  const lines: string[] = [];
  step(`filling two catalogs with ${catalogSize} entries`);
  const sqlite = await openDatabase(join(scratch, "catalog.sqlite"));
  const pgCatalog = await temporaryDatabase();
  const pg = await pgCatalog.open();
  const sqliteFill = await fillCatalog(sqlite, catalogSize);
  const pgFill = await fillCatalog(pg, catalogSize);
  // Fresh statistics, as autovacuum would have gathered them on a catalog filled over months.
  await pg.execute(sql`analyze catalog_entries`);
  step(`  filled in ${sqliteFill.toFixed(1)} s (SQLite), ${pgFill.toFixed(1)} s (PostgreSQL)`);

  step(`timing ${searches} searches on each engine`);
  const queries = searchQueries(searches);
  await sqlite.close();
  const onSqlite = await timeSqliteSearches(join(scratch, "catalog.sqlite"));
  const onPostgres = await timeSearches(pg, queries);
  await pg.close();
  // SQLite may have run only the first searches: the ratio compares the same ones.
  const alike = onPostgres.slice(0, onSqlite.length);
  const sqliteP95 = percentile(onSqlite, 95);
  const ratio = Number.isFinite(sqliteP95)
    ? `${(percentile(alike, 95) / sqliteP95).toFixed(2)}x`
    : `< ${(percentile(alike, 95) / sqliteCapMs).toFixed(2)}x`;
  lines.push(
    `catalog search, ${catalogSize} entries, ${searches} searches: PostgreSQL p50 ${milliseconds(percentile(onPostgres, 50))}, p95 ${milliseconds(percentile(onPostgres, 95))}`,
    `  SQLite ran the first ${onSqlite.length} (${onSqlite.filter((ms) => !Number.isFinite(ms)).length} stopped at ${sqliteCapMs} ms): p50 ${milliseconds(percentile(onSqlite, 50))}, p95 ${milliseconds(sqliteP95)}; PostgreSQL on those: p50 ${milliseconds(percentile(alike, 50))}, p95 ${milliseconds(percentile(alike, 95))} = ${ratio} SQLite's p95`,
  );

  step(`timing 1, then 3 searchers at once on PostgreSQL, ${throughputSeconds} s each`);
  const single = await searchThroughput(pgCatalog.location, queries, 1);
  const triple = await searchThroughput(pgCatalog.location, queries, 3);
  lines.push(
    `catalog search on PostgreSQL: 1 searcher ${single.toFixed(0)} searches/s, 3 searchers (a pool each) ${triple.toFixed(0)} searches/s = ${(triple / single).toFixed(2)}x`,
  );
  await pgCatalog.remove();
  return lines;
}

if (process.argv[2] === "--search-as-child") {
  await searchAsChild(process.argv[3] as string, Number(process.argv[4]));
  process.exit(0);
}
