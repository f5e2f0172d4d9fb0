import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { NodeDatabase } from "../db/database.ts";
import { TEST_POSTGRES_ENVIRONMENT, temporaryDatabases } from "../db/test-database.ts";
import type { CourseManifest } from "../manifests/course-manifest.ts";
import { CatalogRepository, type ReceivedCourse } from "./catalog-repository.ts";
import { blockSpans } from "./postgres-catalog-search.ts";
import { FIXTURE_INSTITUTION, receivedCourse } from "./test-received-course.ts";

const databases = temporaryDatabases();
afterAll(() => databases.removeAll());

const INSTITUTION = FIXTURE_INSTITUTION;
const DAY = 86_400_000;
/** Noon, so that a course a day apart is in the next day whatever the time zone. */
const START = Date.UTC(2025, 0, 1, 12);

function course(
  number: number,
  title: string,
  summary: string | null,
  day: number,
  manifest: Partial<CourseManifest> = {},
): ReceivedCourse {
  return receivedCourse({
    objectUri: `https://univ.example/courses/${number}`,
    title,
    summary,
    publishedAt: START + day * DAY,
    archiveSeed: `${number}`,
    manifest,
  });
}

describe("Catalog search across days and long words", () => {
  let catalog: CatalogRepository;
  /** Titles in the order the catalog should list them: newest first. */
  const statisticians: string[] = [];
  beforeAll(async () => {
    catalog = new CatalogRepository(await databases.open());
    // Three months of courses, a match every fourth day, so that pages and counts cross
    // from the days read one at a time to the rest of the catalog read at once.
    for (let day = 0; day < 90; day++) {
      const matching = day % 4 === 0;
      const title = matching ? `Statisticians ${day}` : `Statistiques ${day}`;
      await catalog.receive(course(day, title, "<p>Cours</p>", day));
      if (matching) statisticians.unshift(title);
    }
  });
  const titles = (page: { entries: Array<{ title: string }> }) =>
    page.entries.map((entry) => entry.title);

  it("finds a word longer than its index term by the whole word, every page once, newest first", async () => {
    const listed: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await catalog.searchCatalog({ q: "statistici", limit: 4, cursor });
      expect(page).toMatchObject({ total: statisticians.length, totalExact: true });
      listed.push(...titles(page));
      cursor = page.nextCursor;
    } while (cursor);
    expect(listed).toEqual(statisticians);
  });

  it("skips by offset into the older days as by cursor", async () => {
    const page = await catalog.searchCatalog({ q: "statistici", limit: 3, offset: 16 });
    expect(titles(page)).toEqual(statisticians.slice(16, 19));
    // The title tier holds every match: the offset runs to its oldest course.
    const past = await catalog.searchCatalog({ q: "statisti", limit: 3, offset: 89 });
    expect(titles(past)).toEqual(["Statisticians 0"]);
    expect(past.total).toBe(90);
  });

  it("counts up to its limit across the days", async () => {
    const limited = new CatalogRepository(await databases.open(), { countLimit: 10 });
    for (let day = 0; day < 40; day++) {
      await limited.receive(course(day, `Probabilités ${day}`, null, day * 2));
    }
    const page = await limited.searchCatalog({ q: "proba", limit: 5 });
    expect(page).toMatchObject({ total: 10, totalExact: false });
    const old = await limited.searchCatalog({ q: "proba", limit: 5, cursor: page.nextCursor });
    expect(titles(old)).toEqual([
      "Probabilités 34",
      "Probabilités 33",
      "Probabilités 32",
      "Probabilités 31",
      "Probabilités 30",
    ]);
  });
});

describe("Catalog totals bounded by the candidates a count reads", () => {
  /** With the default budget, and with a budget of 10 candidates. */
  let counted: CatalogRepository;
  let budgeted: CatalogRepository;
  let postgres: boolean;
  /** The courses made on 3.9, newest first: older than 30 made on 4.5 that hold the word. */
  const old: string[] = [];
  beforeAll(async () => {
    const db = await databases.open();
    postgres = db.engine === "postgres";
    counted = new CatalogRepository(db);
    budgeted = new CatalogRepository(db, { countBudget: 10 });
    const on = (release: string) => ({
      moodle: { version: "2020061500", release, backupRelease: release },
    });
    for (let day = 0; day < 5; day++) {
      await counted.receive(course(day, `Probabilités ${day}`, null, day, on("3.9")));
      old.unshift(`Probabilités ${day}`);
    }
    for (let day = 5; day < 35; day++) {
      await counted.receive(course(day, `Probabilités ${day}`, null, day, on("4.5")));
    }
  });
  const titles = (page: { entries: Array<{ title: string }> }) =>
    page.entries.map((entry) => entry.title);
  /** Every page by cursor, `limit` at a time, with the totals each said. */
  async function walk(catalog: CatalogRepository, limit: number) {
    const pages: Array<{ titles: string[]; total: string }> = [];
    let cursor: string | undefined;
    do {
      const page = await catalog.searchCatalog({ q: "proba", moodle: "3.9", limit, cursor });
      pages.push({ titles: titles(page), total: `${page.totalBound} ${page.total}` });
      cursor = page.nextCursor;
    } while (cursor);
    return pages;
  }

  it("says 'at least' what a count stopped at its budget found, the page's courses included; pages are the same", async () => {
    const full = await walk(counted, 2);
    expect(full.map((page) => page.titles)).toEqual([old.slice(0, 2), old.slice(2, 4), [old[4]]]);
    expect(full.map((page) => page.total)).toEqual(["exact 5", "exact 5", "exact 5"]);
    const bounded = await walk(budgeted, 2);
    expect(bounded.map((page) => page.titles)).toEqual(full.map((page) => page.titles));
    // PostgreSQL checks the branch on each candidate of the word: its 10 candidates are
    // the newest, made on 4.5. SQLite's index holds the branch: nothing to turn down.
    expect(bounded.map((page) => page.total)).toEqual(
      postgres ? ["atLeast 3", "atLeast 3", "atLeast 1"] : full.map((page) => page.total),
    );
  });

  it("knows the total of a first page without a next, whatever the budget", async () => {
    const page = await budgeted.searchCatalog({ q: "proba", moodle: "3.9", limit: 5 });
    expect(titles(page)).toEqual(old);
    expect(page).toMatchObject({ total: 5, totalExact: true, totalBound: "exact" });
  });

  it("counts exactly when the budget holds every candidate", async () => {
    const page = await counted.searchCatalog({ q: "proba", moodle: "3.9", limit: 1, offset: 1 });
    expect(titles(page)).toEqual([old[1]]);
    expect(page).toMatchObject({ total: 5, totalExact: true, totalBound: "exact" });
  });
});

describe("PostgreSQL's spans of days", () => {
  /** The days a block term names. */
  function daysOf(term: string): number[] {
    const [, size = "1", block] = /^d(?:(\d+)-)?(\d+)$/.exec(term) ?? [];
    const first = Number(block) * Number(size);
    return Array.from({ length: Number(size) }, (_, index) => first + index);
  }

  it("reads every day from the newest once, newest first, at most 7 terms a span, then the rest", () => {
    const DAY_KEYS = 86_400_000 * 1024;
    for (const newest of [20_000, 20_001, 20_007, 20_008, 20_479, 20_480, 20_543, 20_999]) {
      for (const restAfter of [56, undefined]) {
        const spans = blockSpans(newest, restAfter);
        const rest = spans.at(-1);
        if (!rest || !("below" in rest)) throw new Error("the last span is the rest");
        const days = spans.flatMap((span) =>
          "terms" in span ? span.terms.flatMap((term) => daysOf(term).reverse()) : [],
        );
        for (const span of spans) if ("terms" in span) expect(span.terms.length).toBeLessThan(8);
        const below = rest.below / DAY_KEYS;
        expect(days).toEqual(Array.from({ length: newest - below + 1 }, (_, i) => newest - i));
        expect(newest - below + 1).toBeGreaterThanOrEqual(restAfter ?? 7 * 512);
      }
    }
  });
});

describe.runIf(process.env[TEST_POSTGRES_ENVIRONMENT])("PostgreSQL's catalog terms", () => {
  let db: NodeDatabase;
  let catalog: CatalogRepository;
  beforeAll(async () => {
    db = await databases.open();
    catalog = new CatalogRepository(db);
  });
  /** The live courses the terms index lists under every one of `terms`. */
  async function holding(...terms: string[]): Promise<string[]> {
    return await db.transaction(async (tx) => {
      // Read from the index, as a search does, not worked out from each row.
      await tx.execute(sql`set local enable_seqscan = off`);
      const { rows } = await tx.execute<{ title: string }>(
        sql`select title from catalog_entries
          where deleted_at is null
            and catalog_search_terms(search, title_search, facets, search_key) @> array[${sql.join(
              terms.map((term) => sql`${term}`),
              sql`, `,
            )}]::text[]
          order by title`,
      );
      return rows.map((row) => row.title);
    });
  }

  it("lists a course's word prefixes, title words, facets and day; an update changes them, a withdrawal drops them", async () => {
    await catalog.receive(course(1, "Physique quantique", "<p>Ondes et particules</p>", 3));
    const dayNumber = Math.floor((START + 3 * DAY) / DAY);
    const day = `d${dayNumber}`;
    expect(await holding("wphys", "Tquant", "wonde", day, "n")).toEqual(["Physique quantique"]);
    // The blocks of 8, 64 and 512 days holding its day, each a term.
    const blocks = [8, 64, 512].map((size) => `d${size}-${Math.floor(dayNumber / size)}`);
    expect(await holding(...blocks)).toEqual(["Physique quantique"]);
    expect(await holding(`d8-${Math.floor(dayNumber / 8) + 1}`)).toEqual([]);
    // A summary's word is not a title word; a prefix stops at eight characters.
    expect(await holding("Tonde")).toEqual([]);
    expect(await holding("wparticule")).toEqual([]);
    expect(await holding("wparticul")).toEqual(["Physique quantique"]);

    await catalog.receive(
      course(1, "Chimie organique", null, 3, {
        revision: 2,
        requiredPlugins: ["qtype_stack"],
      }),
    );
    expect(await holding("wphys")).toEqual([]);
    expect(await holding("n")).toEqual([]);
    expect(await holding("Tchim", "wchimi", day)).toEqual(["Chimie organique"]);

    await catalog.tombstone("https://univ.example/courses/1", INSTITUTION);
    expect(await holding("Tchim")).toEqual([]);
  });
});
