import { afterAll, describe, expect, it } from "vitest";
import { temporaryDatabase } from "../db/test-database.ts";
import { CourseRepository, type ReceivedCourse } from "./course-repository.ts";
import type { CourseManifest } from "./manifest.ts";

const databases: Array<ReturnType<typeof temporaryDatabase>> = [];
afterAll(() => {
  for (const database of databases) database.remove();
});

/** A repository on a database of its own, so each group of tests sees only its courses. */
function freshRepository(): CourseRepository {
  const database = temporaryDatabase();
  databases.push(database);
  return new CourseRepository(database.open());
}

const INSTITUTION = "https://univ.example/actors/institution";

function entry(
  objectUri: string,
  title: string,
  summary: string | null,
  tags: string[],
  publishedAt: number,
  manifest: Partial<CourseManifest> = {},
): ReceivedCourse {
  const revision = manifest.revision ?? 1;
  const sha256 = `${revision}`.padStart(64, "0");
  return {
    objectUri,
    actorUri: INSTITUTION,
    title,
    summary,
    tags,
    archiveUrl: `https://univ.example/blobs/${sha256}`,
    manifest: {
      object: objectUri,
      revision,
      archive: { sha256, size: 1, format: "zip" },
      moodle: { version: "2024100700", release: "4.5 (Build: 20241007)", backupRelease: "4.5" },
      course: { fullname: title, shortname: title, format: "topics" },
      type: "course",
      sections: 1,
      activities: {},
      questionTypes: {},
      languages: ["fr"],
      requiredPlugins: [],
      license: null,
      personalData: "clean",
      derivedFrom: null,
      publishedAt: new Date(publishedAt).toISOString(),
      ...manifest,
    },
    manifestJws: "jws",
  };
}

describe("CourseRepository.searchCatalog", () => {
  const courses = freshRepository();
  courses.receive(
    entry(
      "https://univ.example/courses/1",
      "Histoire du théâtre",
      "<p>Molière et Racine</p>",
      ["lettres"],
      1,
    ),
  );
  courses.receive(
    entry(
      "https://univ.example/courses/2",
      "Algèbre linéaire",
      "<p>Matrices, espaces vectoriels</p>",
      ["maths"],
      2,
    ),
  );
  courses.receive(
    entry(
      "https://univ.example/courses/3",
      "Théorie des graphes",
      null,
      ["maths", "informatique"],
      3,
    ),
  );
  const search = (q?: string, tag?: string) =>
    courses.searchCatalog({ q, tag, limit: 10, offset: 0 }).entries.map((found) => found.title);

  it("finds words regardless of accents and case, by prefix, all words required", () => {
    expect(search("theatre")).toEqual(["Histoire du théâtre"]);
    expect(search("ALGE")).toEqual(["Algèbre linéaire"]);
    expect(search("matrices vectoriels")).toEqual(["Algèbre linéaire"]);
    expect(search("matrices graphes")).toEqual([]);
  });

  it("searches tags, filters by tag, and lists newest first without words", () => {
    expect(search("informatique")).toEqual(["Théorie des graphes"]);
    expect(search(undefined, "MATHS")).toEqual(["Théorie des graphes", "Algèbre linéaire"]);
    expect(search()).toEqual(["Théorie des graphes", "Algèbre linéaire", "Histoire du théâtre"]);
  });

  it("keeps the index in step with updates and withdrawals, and takes any text safely", () => {
    courses.receive(
      entry("https://univ.example/courses/1", "Histoire du cinéma", null, [], 4, { revision: 2 }),
    );
    expect(search("theatre")).toEqual([]);
    expect(search("cinema")).toEqual(["Histoire du cinéma"]);
    courses.tombstone("https://univ.example/courses/1", INSTITUTION);
    expect(search("cinema")).toEqual([]);
    expect(search('" OR * NEAR( -')).toEqual([]);
  });
});

describe("CourseRepository.receive", () => {
  const courses = freshRepository();
  const uri = "https://univ.example/courses/history";

  it("keeps every revision, the newest current, whatever order they arrive in", () => {
    expect(courses.receive(entry(uri, "Histoire v2", null, [], 20, { revision: 2 }))).toBe(true);
    expect(courses.receive(entry(uri, "Histoire v1", null, [], 10, { revision: 1 }))).toBe(true);
    expect(courses.catalogEntry(uri)).toMatchObject({ title: "Histoire v2", revision: 2 });
    expect(courses.catalogRevisions(uri).map((held) => held.revision)).toEqual([2, 1]);
    expect(courses.catalogRevision(uri, 1)?.sha256).toBe("1".padStart(64, "0"));
  });

  it("refuses a revision of another actor's course, and a changed archive for a held revision", () => {
    const hijack = { ...entry(uri, "Mine now", null, [], 30, { revision: 3 }) };
    expect(courses.receive({ ...hijack, actorUri: "https://evil.example/actors/x" })).toBe(false);
    const altered = entry(uri, "Histoire v2", null, [], 20, { revision: 2 });
    const archive = { ...altered.manifest.archive, sha256: "f".repeat(64) };
    expect(courses.receive({ ...altered, manifest: { ...altered.manifest, archive } })).toBe(false);
    expect(courses.catalogEntry(uri)).toMatchObject({ title: "Histoire v2", revision: 2 });
    expect(courses.catalogRevisions(uri)).toHaveLength(2);
  });
});

describe("CourseRepository.searchCatalog filters", () => {
  const courses = freshRepository();
  const moodle = (backupRelease: string) => ({ version: "", release: "", backupRelease });
  const fromA = "https://a.example/actors/institution";
  courses.receive({
    ...entry("https://a.example/courses/1", "Old maths", null, [], 1, {
      moodle: moodle("3.9"),
      languages: ["en"],
    }),
    actorUri: fromA,
  });
  courses.receive({
    ...entry("https://b.example:8443/courses/2", "Stack maths", null, [], 2, {
      moodle: moodle("4.5"),
      languages: ["fr", "en"],
      requiredPlugins: ["qtype_stack"],
    }),
    actorUri: "https://b.example:8443/actors/teacher",
  });
  courses.receive({
    ...entry("https://a.example/courses/3", "New maths", null, [], 3, {
      moodle: moodle("5.0"),
      languages: ["fr"],
    }),
    actorUri: fromA,
  });
  const find = (query: Record<string, string | boolean>) =>
    courses
      .searchCatalog({ q: "maths", ...query, limit: 10, offset: 0 })
      .entries.map((found) => found.title);

  it("filters by Moodle branch, language, plugins and institution", () => {
    expect(find({ moodle: "4.5" })).toEqual(["Stack maths", "Old maths"]);
    expect(find({ moodle: "3.10" })).toEqual(["Old maths"]);
    expect(find({ moodle: "not a branch" })).toEqual([]);
    expect(find({ language: "FR" })).toEqual(["New maths", "Stack maths"]);
    expect(find({ plugin: "qtype_stack" })).toEqual(["Stack maths"]);
    expect(find({ withoutPlugins: true })).toEqual(["New maths", "Old maths"]);
    expect(find({ institution: "b.example:8443" })).toEqual(["Stack maths"]);
    expect(find({ institution: "a.example" })).toEqual(["New maths", "Old maths"]);
    expect(find({ institution: "%" })).toEqual([]);
  });
});
