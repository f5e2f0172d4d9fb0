import { checkCompatibility, type MoodleSiteInfo } from "@coursefed/moodle";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TEST_POSTGRES_ENVIRONMENT, temporaryDatabases } from "../db/test-database.ts";
import { FollowRepository } from "../follows/follow-repository.ts";
import type { CourseManifest } from "../manifests/course-manifest.ts";
import { MoodleTargetRepository } from "../moodle-targets/target-repository.ts";
import {
  CatalogRepository,
  CatalogSearchError,
  type ReceivedCourse,
} from "./catalog-repository.ts";
import { probedSites, type RestoreSite } from "./catalog-restorable.ts";
import { FIXTURE_INSTITUTION, receivedCourse } from "./test-received-course.ts";

const databases = temporaryDatabases();
afterAll(() => databases.removeAll());

/** A database of its own, so that each group of tests sees only its courses. */
const freshDatabase = databases.open;

const INSTITUTION = FIXTURE_INSTITUTION;

function entry(
  objectUri: string,
  title: string,
  summary: string | null,
  tags: string[],
  publishedAt: number,
  manifest: Partial<CourseManifest> = {},
): ReceivedCourse {
  return receivedCourse({ objectUri, title, summary, tags, publishedAt, manifest });
}

describe("CatalogRepository.searchCatalog", () => {
  let courses: CatalogRepository;
  beforeAll(async () => {
    courses = new CatalogRepository(await freshDatabase());
    await courses.receive(
      entry(
        "https://univ.example/courses/1",
        "Histoire du théâtre",
        "<p>Molière et Racine</p>",
        ["lettres"],
        1,
      ),
    );
    await courses.receive(
      entry(
        "https://univ.example/courses/2",
        "Algèbre linéaire",
        "<p>Matrices, espaces vectoriels</p>",
        ["maths"],
        2,
      ),
    );
    await courses.receive(
      entry(
        "https://univ.example/courses/3",
        "Théorie des graphes",
        null,
        ["maths", "informatique"],
        3,
      ),
    );
  });
  const search = async (q?: string, tag?: string) =>
    (await courses.searchCatalog({ q, tag, limit: 10, offset: 0 })).entries.map(
      (found) => found.title,
    );

  it("finds words regardless of accents and case, by prefix, all words required", async () => {
    expect(await search("theatre")).toEqual(["Histoire du théâtre"]);
    expect(await search("ALGE")).toEqual(["Algèbre linéaire"]);
    expect(await search("matrices vectoriels")).toEqual(["Algèbre linéaire"]);
    expect(await search("matrices graphes")).toEqual([]);
  });

  it("searches tags, filters by tag, and lists newest first without words", async () => {
    expect(await search("informatique")).toEqual(["Théorie des graphes"]);
    expect(await search(undefined, "MATHS")).toEqual(["Théorie des graphes", "Algèbre linéaire"]);
    expect(await search()).toEqual([
      "Théorie des graphes",
      "Algèbre linéaire",
      "Histoire du théâtre",
    ]);
  });

  it("keeps the index in step with updates and withdrawals, and takes any text safely", async () => {
    await courses.receive(
      entry("https://univ.example/courses/1", "Histoire du cinéma", null, [], 4, { revision: 2 }),
    );
    expect(await search("theatre")).toEqual([]);
    expect(await search("cinema")).toEqual(["Histoire du cinéma"]);
    await courses.tombstone("https://univ.example/courses/1", INSTITUTION);
    expect(await search("cinema")).toEqual([]);
    expect(await search('" OR * NEAR( -')).toEqual([]);
  });
});

describe("CatalogRepository.searchCatalog words", () => {
  let courses: CatalogRepository;
  beforeAll(async () => {
    courses = new CatalogRepository(await freshDatabase());
    await courses.receive(
      entry(
        "https://univ.example/courses/theatre",
        "Théâtre classique",
        "<p>Molière, Racine : l'âge d'or</p>",
        ["Lettres", "e-learning"],
        1,
      ),
    );
    await courses.receive(
      entry("https://univ.example/courses/intro", "Introduction course", null, [], 2),
    );
    await courses.receive(entry("https://univ.example/courses/graphs", "Graphes", null, [], 3));
    await courses.receive(
      entry(
        "https://univ.example/courses/algorithms",
        "Algorithmique",
        "<p>Parcours de graphes, arbres, tris et recherche dans des tableaux</p>",
        [],
        4,
      ),
    );
  });
  const search = async (q: string, tag?: string) =>
    (await courses.searchCatalog({ q, tag, limit: 10, offset: 0 })).entries.map(
      (found) => found.title,
    );

  it("finds a capitalised accented word by the start of it written without accents", async () => {
    expect(await search("theatre")).toEqual(["Théâtre classique"]);
    expect(await search("THEA clas")).toEqual(["Théâtre classique"]);
    expect(await search("âge")).toEqual(["Théâtre classique"]);
  });

  it("finds words of tags, and filters by tag without case", async () => {
    expect(await search("lettres")).toEqual(["Théâtre classique"]);
    expect(await search("e-learn")).toEqual(["Théâtre classique"]);
    expect(await search("classique", "LETTRES")).toEqual(["Théâtre classique"]);
    expect(await search("course", "lettres")).toEqual([]);
  });

  it("takes quotes, parentheses, colons and other query syntax as words", async () => {
    expect(await search(`"Racine" (Molière):`)).toEqual(["Théâtre classique"]);
    expect(await search("l'âge")).toEqual(["Théâtre classique"]);
    expect(await search("racine:*")).toEqual(["Théâtre classique"]);
    expect(await search("() théâtre")).toEqual(["Théâtre classique"]);
    for (const text of ["()", "'", "\\", "a&b|!c", "<-> <2>", "x:A", "NOT", "\0"]) {
      await expect(search(text), text).resolves.toBeInstanceOf(Array);
    }
  });

  it("puts the best matches first, not the newest", async () => {
    expect(await search("graphes")).toEqual(["Graphes", "Algorithmique"]);
  });

  it("finds the word course", async () => {
    expect(await search("course")).toEqual(["Introduction course"]);
  });

  it.runIf(process.env[TEST_POSTGRES_ENVIRONMENT])(
    "finds an English plural by its stem on PostgreSQL",
    async () => {
      expect(await search("courses")).toEqual(["Introduction course"]);
    },
  );
});

describe("CatalogRepository.receive", () => {
  let courses: CatalogRepository;
  beforeAll(async () => {
    courses = new CatalogRepository(await freshDatabase());
  });
  const uri = "https://univ.example/courses/history";

  it("keeps every revision, the newest current, whatever order they arrive in", async () => {
    expect(await courses.receive(entry(uri, "Histoire v2", null, [], 20, { revision: 2 }))).toBe(
      true,
    );
    expect(await courses.receive(entry(uri, "Histoire v1", null, [], 10, { revision: 1 }))).toBe(
      true,
    );
    expect(await courses.catalogEntry(uri)).toMatchObject({ title: "Histoire v2", revision: 2 });
    expect((await courses.catalogRevisions(uri)).map((held) => held.revision)).toEqual([2, 1]);
    expect((await courses.catalogRevision(uri, 1))?.sha256).toBe("1".padStart(64, "0"));
  });

  it("refuses a revision of another actor's course, and a changed archive for a held revision", async () => {
    const hijack = { ...entry(uri, "Mine now", null, [], 30, { revision: 3 }) };
    expect(await courses.receive({ ...hijack, actorUri: "https://evil.example/actors/x" })).toBe(
      false,
    );
    const altered = entry(uri, "Histoire v2", null, [], 20, { revision: 2 });
    const archive = { ...altered.manifest.archive, sha256: "f".repeat(64) };
    expect(await courses.receive({ ...altered, manifest: { ...altered.manifest, archive } })).toBe(
      false,
    );
    expect(await courses.catalogEntry(uri)).toMatchObject({ title: "Histoire v2", revision: 2 });
    expect(await courses.catalogRevisions(uri)).toHaveLength(2);
  });
});

describe("CatalogRepository.searchCatalog filters", () => {
  let courses: CatalogRepository;
  const moodle = (backupRelease: string) => ({ version: "", release: "", backupRelease });
  const fromA = "https://a.example/actors/institution";
  beforeAll(async () => {
    courses = new CatalogRepository(await freshDatabase());
    await courses.receive({
      ...entry("https://a.example/courses/1", "Old maths", null, [], 1, {
        moodle: moodle("3.9"),
        languages: ["en"],
      }),
      actorUri: fromA,
    });
    await courses.receive({
      ...entry("https://b.example:8443/courses/2", "Stack maths", null, [], 2, {
        moodle: moodle("4.5"),
        languages: ["fr", "en"],
        requiredPlugins: ["qtype_stack"],
      }),
      actorUri: "https://b.example:8443/actors/teacher",
    });
    await courses.receive({
      ...entry("https://a.example/courses/3", "New maths", null, [], 3, {
        moodle: moodle("5.0"),
        languages: ["fr"],
      }),
      actorUri: fromA,
    });
  });
  const find = async (query: Record<string, string | boolean>) => {
    const { total, entries } = await courses.searchCatalog({
      q: "maths",
      ...query,
      limit: 10,
      offset: 0,
    });
    expect(total).toBe(entries.length);
    return entries.map((found) => found.title);
  };

  it("filters by Moodle branch, language, plugins and institution", async () => {
    expect(await find({ moodle: "4.5" })).toEqual(["Stack maths", "Old maths"]);
    expect(await find({ moodle: "3.10" })).toEqual(["Old maths"]);
    expect(await find({ moodle: "not a branch" })).toEqual([]);
    expect(await find({ language: "FR" })).toEqual(["New maths", "Stack maths"]);
    expect(await find({ plugin: "qtype_stack" })).toEqual(["Stack maths"]);
    expect(await find({ withoutPlugins: true })).toEqual(["New maths", "Old maths"]);
    expect(await find({ institution: "b.example:8443" })).toEqual(["Stack maths"]);
    expect(await find({ institution: "A.example" })).toEqual(["New maths", "Old maths"]);
    expect(await find({ institution: "%" })).toEqual([]);
    expect(await find({ institution: "a_example" })).toEqual([]);
  });
});

describe("CatalogRepository.searchCatalog by teacher and restorable", () => {
  let courses: CatalogRepository;
  const teacher = "https://a.example/actors/8d1c";
  const institution = "https://a.example/actors/institution";
  const moodle = (backupRelease: string) => ({ version: "", release: "", backupRelease });
  const sites: Record<string, MoodleSiteInfo> = {
    older: {
      version: "2022112800",
      release: "4.1 (Build: 20221128)",
      branch: "4.1",
      plugins: { qtype_stack: 2023010100, mod_quiz: 2022112800 },
      maxRestoreBytes: 1000,
    },
    newer: {
      version: "2024100700",
      release: "4.5 (Build: 20241007)",
      branch: "4.5",
      plugins: { mod_quiz: 2024100700 },
      maxRestoreBytes: null,
    },
  };
  /** Each site as a probed target; "older" probed before the courses came, "newer" after. */
  const restoreSites: Record<string, RestoreSite> = {};
  const restoreSite = (info: MoodleSiteInfo): RestoreSite =>
    restoreSites[info === sites.older ? "older" : "newer"] as RestoreSite;
  /** Each course, and what makes it restorable or not on the two sites. */
  const received: ReceivedCourse[] = [
    entry("https://a.example/courses/1", "Plain 3.9", null, [], 1, { moodle: moodle("3.9") }),
    entry("https://a.example/courses/2", "Stack made on 4.1", null, [], 2, {
      moodle: moodle("4.1"),
      requiredPlugins: ["qtype_stack"],
      pluginVersions: { qtype_stack: 2022060100 },
    }),
    entry("https://a.example/courses/3", "Stack too recent", null, [], 3, {
      moodle: moodle("4.1"),
      requiredPlugins: ["qtype_stack"],
      pluginVersions: { qtype_stack: 2024010100 },
    }),
    entry("https://a.example/courses/4", "Plain 4.5", null, [], 4, { moodle: moodle("4.5") }),
    entry("https://a.example/courses/5", "Plain 5.0", null, [], 5, { moodle: moodle("5.0") }),
    entry("https://a.example/courses/6", "Stack too large", null, [], 6, {
      moodle: moodle("4.1"),
      requiredPlugins: ["qtype_stack"],
      archive: { sha256: "6".repeat(64), size: 5000, format: "zip" },
    }),
    entry("https://a.example/courses/7", "Plugin named oddly", null, [], 7, {
      moodle: moodle("3.9"),
      requiredPlugins: ['qtype_"odd\\'],
    }),
    entry("https://a.example/courses/8", "Stack without versions", null, [], 8, {
      moodle: moodle("4.1"),
      requiredPlugins: ["qtype_stack", "qtype_stack"],
    }),
    entry("https://a.example/courses/9", "Branch unknown", null, [], 9, {
      moodle: moodle("unknown"),
    }),
  ].map((course, index) => ({ ...course, actorUri: index % 2 ? teacher : institution }));

  beforeAll(async () => {
    const db = await freshDatabase();
    courses = new CatalogRepository(db);
    const follows = new FollowRepository(db);
    const actor = { inbox: "https://a.example/inbox", sharedInbox: null };
    await follows.rememberActor({
      ...actor,
      uri: teacher,
      type: "Person",
      name: "Marie Curie",
      handle: "marie@a.example",
    });
    // An institution is no teacher, whatever its name.
    await follows.rememberActor({
      ...actor,
      uri: institution,
      type: "Organization",
      name: "Marie's university",
      handle: "institution@a.example",
    });
    const targets = new MoodleTargetRepository(db);
    const probe = async (name: string) => {
      const target = await targets.add({
        name,
        driver: "ws",
        url: `https://${name}.example`,
        token: "token",
      });
      const [site] = probedSites([await targets.saveProbe(target, sites[name] as MoodleSiteInfo)]);
      restoreSites[name] = site as RestoreSite;
    };
    // Judged as each course arrives, then all at once when the second site is probed.
    await probe("older");
    for (const course of received) expect(await courses.receive(course)).toBe(true);
    await probe("newer");
  });
  const titles = async (query: Partial<Parameters<CatalogRepository["searchCatalog"]>[0]>) => {
    const { total, entries } = await courses.searchCatalog({ limit: 20, offset: 0, ...query });
    expect(total).toBe(entries.length);
    return entries.map((found) => found.title).sort();
  };

  it("filters by a teacher's handle or name, never an institution's", async () => {
    const theirs = received.filter((course) => course.actorUri === teacher).map((c) => c.title);
    for (const text of ["marie", "@Marie@a.example", "CURIE", "marie curie"]) {
      expect(await titles({ teacher: text }), text).toEqual(theirs.sort());
    }
    expect(await titles({ teacher: "university" })).toEqual([]);
    expect(await titles({ teacher: "%" })).toEqual([]);
    expect(await courses.catalogTeachers()).toEqual([
      { uri: teacher, name: "Marie Curie", handle: "marie@a.example" },
    ]);
  });

  it("keeps the courses one site can restore, as the compatibility check judges them", async () => {
    for (const chosen of [["older"], ["newer"], ["older", "newer"]]) {
      const infos = chosen.map((name) => sites[name] as MoodleSiteInfo);
      const expected = received
        .filter((course) =>
          infos.some((info) => checkCompatibility(course.manifest, info).restorable),
        )
        .map((course) => course.title)
        .sort();
      expect(await titles({ restorableOn: infos.map(restoreSite) }), chosen.join(" and ")).toEqual(
        expected,
      );
    }
    expect(await titles({ restorableOn: [restoreSite(sites.older as MoodleSiteInfo)] })).toEqual([
      "Branch unknown",
      "Plain 3.9",
      "Stack made on 4.1",
      "Stack without versions",
    ]);
    expect(await titles({ restorableOn: [] })).toEqual([]);
  });

  it("counts every match while paging, with the other filters", async () => {
    const restorableOn = Object.values(sites).map(restoreSite);
    const page = await courses.searchCatalog({ restorableOn, limit: 2, offset: 2 });
    expect(page.total).toBe(5);
    expect(page.entries).toHaveLength(2);
    expect(await titles({ restorableOn, teacher: "marie" })).toEqual([
      "Plain 4.5",
      "Stack made on 4.1",
      "Stack without versions",
    ]);
  });
});

describe("CatalogRepository.searchCatalog pages and counts", () => {
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  let courses: CatalogRepository;
  /** Titles holding "graphes" newest first, then the courses that hold it in their summary only. */
  const inTitles = ["Graphes et arbres", "Graphes graphes graphes", "Théorie des graphes"];
  const inSummaries = ["Algorithmique", "Combinatoire"];
  beforeAll(async () => {
    db = await freshDatabase();
    courses = new CatalogRepository(db, { countLimit: 4 });
    const received = [
      entry("https://univ.example/courses/t1", "Théorie des graphes", null, [], 1),
      entry("https://univ.example/courses/s1", "Combinatoire", "<p>graphes</p>", [], 2),
      entry("https://univ.example/courses/t2", "Graphes graphes graphes", null, [], 3),
      entry("https://univ.example/courses/s2", "Algorithmique", "<p>Des graphes</p>", [], 4),
      entry("https://univ.example/courses/t3", "Graphes et arbres", null, [], 5),
      entry("https://univ.example/courses/other", "Histoire", null, ["lettres"], 6),
    ];
    for (const course of received) expect(await courses.receive(course)).toBe(true);
  });
  /** Every page of a search by its cursor, `limit` at a time. */
  const byCursor = async (query: { q?: string; tag?: string }, limit: number) => {
    const pages: string[][] = [];
    let cursor: string | undefined;
    do {
      const page = await courses.searchCatalog({ ...query, limit, cursor });
      pages.push(page.entries.map((found) => found.title));
      cursor = page.nextCursor;
    } while (cursor !== undefined && pages.length < 10);
    return pages;
  };

  it("lists title matches newest first, then summary matches, whatever their scores", async () => {
    const page = await courses.searchCatalog({ q: "graphes", limit: 10 });
    expect(page.entries.map((found) => found.title)).toEqual([...inTitles, ...inSummaries]);
    expect(page.nextCursor).toBeUndefined();
  });

  it("pages by cursor across both tiers, each course once, in the same order", async () => {
    expect(await byCursor({ q: "graphes" }, 2)).toEqual([
      inTitles.slice(0, 2),
      [inTitles[2], inSummaries[0]],
      [inSummaries[1]],
    ]);
    expect((await byCursor({}, 4)).flat()).toEqual([
      "Histoire",
      "Graphes et arbres",
      "Algorithmique",
      "Graphes graphes graphes",
      "Combinatoire",
      "Théorie des graphes",
    ]);
  });

  it("pages by offset as by cursor, skipping into the second tier", async () => {
    const byOffset: string[] = [];
    for (let offset = 0; offset < 6; offset++) {
      const page = await courses.searchCatalog({ q: "graphes", limit: 1, offset });
      byOffset.push(...page.entries.map((found) => found.title));
    }
    expect(byOffset).toEqual([...inTitles, ...inSummaries]);
  });

  it("counts up to its limit, and says when more match", async () => {
    expect(await courses.searchCatalog({ q: "graphes", limit: 1 })).toMatchObject({
      total: 4,
      totalExact: false,
    });
    expect(await courses.searchCatalog({ q: "graphes", tag: "lettres", limit: 1 })).toMatchObject({
      total: 0,
      totalExact: true,
    });
    expect(await courses.searchCatalog({ q: "arbres", limit: 1 })).toMatchObject({
      total: 1,
      totalExact: true,
      nextCursor: undefined,
    });
  });

  it("refuses a cursor it did not give, and a cursor with an offset", async () => {
    for (const cursor of ["", "not a cursor", Buffer.from("2.5").toString("base64url")]) {
      await expect(courses.searchCatalog({ limit: 2, cursor }), cursor).rejects.toMatchObject({
        code: "INVALID_CURSOR",
      });
    }
    const { nextCursor } = await courses.searchCatalog({ limit: 2 });
    await expect(
      courses.searchCatalog({ limit: 2, cursor: nextCursor, offset: 2 }),
    ).rejects.toBeInstanceOf(CatalogSearchError);
  });

  it("keeps a course's place when a revision moves it, and drops withdrawn ones from pages", async () => {
    await courses.receive(
      entry("https://univ.example/courses/t1", "Théorie des graphes", null, [], 7, { revision: 2 }),
    );
    expect((await byCursor({ q: "graphes" }, 2)).flat()).toEqual([
      "Théorie des graphes",
      "Graphes et arbres",
      "Graphes graphes graphes",
      ...inSummaries,
    ]);
    await courses.tombstone("https://univ.example/courses/t2", INSTITUTION);
    expect((await byCursor({ q: "graphes" }, 2)).flat()).toEqual([
      "Théorie des graphes",
      "Graphes et arbres",
      ...inSummaries,
    ]);
  });
});

describe("CatalogRepository.searchCatalog filters kept on arrival and probe", () => {
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  let courses: CatalogRepository;
  let targets: MoodleTargetRepository;
  const site = (plugins: Record<string, number>): MoodleSiteInfo => ({
    version: "2024100700",
    release: "4.5 (Build: 20241007)",
    branch: "4.5",
    plugins,
    maxRestoreBytes: null,
  });
  beforeAll(async () => {
    db = await freshDatabase();
    courses = new CatalogRepository(db);
    targets = new MoodleTargetRepository(db);
    const follows = new FollowRepository(db);
    // More teachers named Marie than the filter looks up one by one.
    for (let index = 0; index < 40; index++) {
      const actorUri = `https://a.example/actors/marie-${index}`;
      await follows.rememberActor({
        uri: actorUri,
        type: "Person",
        name: `Marie ${index}`,
        handle: `marie${index}@a.example`,
        inbox: "https://a.example/inbox",
        sharedInbox: null,
      });
      await courses.receive({
        ...entry(
          `https://a.example/courses/${index}`,
          `Cours ${index}`,
          null,
          ["Économie"],
          index,
          {
            requiredPlugins: index % 2 ? ["qtype_stack"] : [],
            moodle: { version: "", release: "", backupRelease: index < 20 ? "3.11" : "4.2" },
          },
        ),
        actorUri,
      });
    }
  });
  const titles = async (query: Partial<Parameters<CatalogRepository["searchCatalog"]>[0]>) => {
    const page = await courses.searchCatalog({ limit: 50, ...query });
    expect(page.totalExact).toBe(true);
    expect(page.total).toBe(page.entries.length);
    return page.entries.map((found) => found.title);
  };

  it("finds the courses of many teachers by name, with the other filters", async () => {
    expect(await titles({ teacher: "marie" })).toHaveLength(40);
    expect(await titles({ teacher: "Marie 3" })).toEqual([
      "Cours 39",
      "Cours 38",
      "Cours 37",
      "Cours 36",
      "Cours 35",
      "Cours 34",
      "Cours 33",
      "Cours 32",
      "Cours 31",
      "Cours 30",
      "Cours 3",
    ]);
    expect(await titles({ teacher: "marie", moodle: "3.11", plugin: "QTYPE_STACK" })).toEqual([
      "Cours 19",
      "Cours 17",
      "Cours 15",
      "Cours 13",
      "Cours 11",
      "Cours 9",
      "Cours 7",
      "Cours 5",
      "Cours 3",
      "Cours 1",
    ]);
    expect(await titles({ moodle: "4.1", withoutPlugins: true, tag: "ÉCONOMIE" })).toEqual(
      await titles({ moodle: "3.11", withoutPlugins: true }),
    );
    expect(await titles({ moodle: "5.0", teacher: "marie 2" })).toHaveLength(11);
  });

  it("judges restorability again when a target is probed with other plugins", async () => {
    const target = await targets.add({
      name: "site",
      driver: "ws",
      url: "https://site.example",
      token: "token",
    });
    const restorable = async () =>
      (await titles({ restorableOn: probedSites(await targets.all()) })).length;
    await targets.saveProbe(target, site({ mod_quiz: 2024100700 }));
    expect(await restorable()).toBe(20);
    await targets.saveProbe(target, site({ mod_quiz: 2024100700, qtype_stack: 2024100700 }));
    expect(await restorable()).toBe(40);
    // A course arriving after the probe is judged as it arrives.
    await courses.receive(
      entry("https://a.example/courses/new", "Nouveau", null, [], 100, {
        requiredPlugins: ["mod_unknown"],
      }),
    );
    expect(await restorable()).toBe(40);
    expect(await titles({ q: "nouveau" })).toEqual(["Nouveau"]);
  });
});
