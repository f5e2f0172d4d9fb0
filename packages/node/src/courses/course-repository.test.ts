import { afterAll, describe, expect, it } from "vitest";
import { temporaryDatabase } from "../db/test-database.ts";
import { CourseRepository } from "./course-repository.ts";

const database = temporaryDatabase();
afterAll(() => database.remove());

function entry(
  objectUri: string,
  title: string,
  summary: string | null,
  tags: string[],
  publishedAt: number,
) {
  return {
    objectUri,
    actorUri: "https://univ.example/actors/institution",
    title,
    summary,
    tags,
    revision: 1,
    sha256: "0".repeat(64),
    size: 1,
    archiveUrl: "https://univ.example/blobs/x",
    manifest: {},
    manifestJws: "jws",
    publishedAt,
  };
}

describe("CourseRepository.searchCatalog", () => {
  const courses = new CourseRepository(database.open());
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
    courses.receive({
      ...entry("https://univ.example/courses/1", "Histoire du cinéma", null, [], 4),
      revision: 2,
    });
    expect(search("theatre")).toEqual([]);
    expect(search("cinema")).toEqual(["Histoire du cinéma"]);
    courses.tombstone("https://univ.example/courses/1", "https://univ.example/actors/institution");
    expect(search("cinema")).toEqual([]);
    expect(search('" OR * NEAR( -')).toEqual([]);
  });
});
