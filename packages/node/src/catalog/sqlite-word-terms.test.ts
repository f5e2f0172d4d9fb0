import Database from "better-sqlite3";
import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { NodeDatabase } from "../db/database.ts";
import { TEST_POSTGRES_ENVIRONMENT, temporaryDatabases } from "../db/test-database.ts";
import { foldedToken, sqliteWords, WORD_TERMS_MAX } from "./sqlite-word-terms.ts";

const databases = temporaryDatabases();
afterAll(() => databases.removeAll());

describe.skipIf(process.env[TEST_POSTGRES_ENVIRONMENT])("SQLite's words as catalog terms", () => {
  let db: NodeDatabase;
  /** The tokenizer of the catalog's search index, as the migrations declare it. */
  let tokens: (text: string) => string[];
  beforeAll(async () => {
    db = await databases.open();
    const [index] = await db
      .select({ definition: sql<string>`sql` })
      .from(sql`sqlite_master`)
      .where(sql`name = 'catalog_search'`);
    const tokenizer = /tokenize='([^']+)'/.exec(index?.definition ?? "")?.[1];
    expect(tokenizer).toBeDefined();
    const scratch = new Database(":memory:");
    scratch.exec(`create virtual table words using fts5(word, tokenize='${tokenizer}');
      create virtual table words_vocab using fts5vocab(words, 'instance');`);
    tokens = (text) => {
      scratch.prepare("insert into words(rowid, word) values (1, ?)").run(text);
      const found = scratch.prepare("select term from words_vocab order by offset").pluck().all();
      scratch.exec("delete from words");
      return found as string[];
    };
  });

  it("folds a word as the index's tokenizer does, for every letter it accepts", () => {
    let accepted = 0;
    for (let code = 0; code <= 0x2ff; code++) {
      const character = String.fromCodePoint(code);
      const folded = foldedToken(`x${character}`);
      if (folded === undefined) continue;
      accepted++;
      expect(tokens(`x${character}`), `U+${code.toString(16)}`).toEqual([folded]);
    }
    // Digits, both cases of the 26 letters, and the accented Latin ones.
    expect(accepted).toBeGreaterThan(150);
    expect(foldedToken("Théâtre")).toBe("theatre");
    for (const word of ["e-learn", "l'âge", "cœur", "straße", "ĳs", "日本", ""]) {
      expect(foldedToken(word), word).toBeUndefined();
    }
  });

  it("looks a word up as the terms it starts, a short or punctuated one as a prefix", async () => {
    await db.insert(db.tables.catalogEntries).values({
      objectUri: "https://univ.example/courses/zymology",
      actorUri: "https://univ.example/actors/institution",
      title: "Zymologie appliquée",
      summary: "<p>Zymologies et fermentations</p>",
      tags: ["Œnologie"],
      revision: 1,
      sha256: "0".repeat(64),
      size: 1,
      archiveUrl: "https://univ.example/blobs/0",
      manifest: {},
      manifestJws: "jws",
      publishedAt: 1,
      receivedAt: 1,
      searchKey: 1024,
      facets: ["t6f656e6f6c6f676965"],
    });
    expect(await sqliteWords(db, ["ZYMO", "Appliq", "ferm"])).toEqual([
      { terms: ["zymologie", "zymologies"] },
      { terms: ["appliquee"] },
      { terms: ["fermentations"] },
    ]);
    expect(await sqliteWords(db, ["zym", "l'œno", "œnologie"])).toEqual([
      { prefix: "zym" },
      { prefix: "l'œno" },
      { prefix: "œnologie" },
    ]);
    // A word no course has: nothing can match. Punctuation alone is no word.
    expect(await sqliteWords(db, ["zymologie", "brasserie"])).toBeUndefined();
    // A changed title brings its terms; the old ones stay, matching nothing.
    await db
      .update(db.tables.catalogEntries)
      .set({ title: "Brasserie" })
      .where(eq(db.tables.catalogEntries.objectUri, "https://univ.example/courses/zymology"));
    expect(await sqliteWords(db, ["zymologie", "brasserie"])).toEqual([
      { terms: ["zymologie", "zymologies"] },
      { terms: ["brasserie"] },
    ]);
    expect(await sqliteWords(db, ["()", "zymologies"])).toEqual([{ terms: ["zymologies"] }]);
    // The facets are terms of the index, not words of the courses.
    expect(await sqliteWords(db, ["t6f656e"])).toBeUndefined();
  });

  it("asks for the prefix itself when a word starts more terms than it lists", async () => {
    await db.insert(db.tables.catalogEntries).values({
      objectUri: "https://univ.example/courses/many",
      actorUri: "https://univ.example/actors/institution",
      title: Array.from({ length: WORD_TERMS_MAX + 1 }, (_, index) => `quanta${index}`).join(" "),
      summary: null,
      tags: [],
      revision: 1,
      sha256: "1".repeat(64),
      size: 1,
      archiveUrl: "https://univ.example/blobs/1",
      manifest: {},
      manifestJws: "jws",
      publishedAt: 2,
      receivedAt: 2,
      searchKey: 2048,
      facets: [],
    });
    expect(await sqliteWords(db, ["quanta"])).toEqual([{ prefix: "quanta" }]);
    expect(await sqliteWords(db, ["quanta1"])).toEqual([
      { terms: ["quanta1", ...Array.from({ length: 10 }, (_, index) => `quanta1${index}`)] },
    ]);
  });
});
