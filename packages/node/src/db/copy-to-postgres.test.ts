import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { count } from "drizzle-orm";
import { afterEach, describe, expect, it } from "vitest";
import { resolveConfig } from "../config.ts";
import { initializeNode } from "../node.ts";
import { CopyError, copySqliteToPostgres } from "./copy-to-postgres.ts";
import type { NodeDatabase } from "./database.ts";
import { openSqliteDatabase } from "./sqlite-database.ts";
import {
  TEST_POSTGRES_ENVIRONMENT,
  type TemporaryDatabase,
  temporaryDatabase,
} from "./test-database.ts";

const onPostgres = Boolean(process.env[TEST_POSTGRES_ENVIRONMENT]);
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A SQLite node database with a first start's rows and some of every kind of column. */
async function sqliteNode(): Promise<NodeDatabase> {
  const directory = mkdtempSync(join(tmpdir(), "coursefed-copy-"));
  const db = openSqliteDatabase(join(directory, "node.sqlite"));
  cleanups.push(async () => {
    await db.close();
    rmSync(directory, { recursive: true, force: true });
  });
  await initializeNode(db, resolveConfig({ dataDir: directory, handle: "univ" }, {}));
  const { catalogEntries, catalogRevisions, kv, queueMessages, moodleTargets } = db.tables;
  for (let index = 0; index < 1500; index += 1) {
    const objectUri = `https://peer.example/courses/${index}`;
    const revision = {
      objectUri,
      revision: 1,
      sha256: index.toString(16).padStart(64, "0"),
      size: 2 ** 33 + index,
      archiveUrl: `https://peer.example/blobs/${index}`,
      manifest: { title: `Cours n°${index}`, nested: { b: 1, a: [index, "é"] } },
      manifestJws: "header.payload.signature",
      publishedAt: 1_700_000_000_000 + index,
      receivedAt: 1_700_000_000_500 + index,
    };
    await db.insert(catalogEntries).values({
      ...revision,
      actorUri: "https://peer.example/actors/t",
      title: `Théâtre ${index}`,
      summary: index % 2 ? null : "<p>résumé</p>",
      tags: ["drama", `t${index}`],
      moodleBranch: 405,
      languages: ["fr"],
      requiredPlugins: [],
      deletedAt: null,
    });
    await db.insert(catalogRevisions).values(revision);
  }
  await db.insert(kv).values({ key: '["cache","x"]', value: "null", expiresAt: null });
  await db.insert(queueMessages).values({
    channel: "outbox",
    message: { type: "delivery", inbox: "https://peer.example/inbox" },
    availableAt: 1,
    enqueuedAt: 1,
  });
  await db.insert(moodleTargets).values({
    name: "main",
    driver: "cli",
    url: "https://moodle.example/",
    settings: { moodleDir: "/var/www/moodle", php: "php" },
    timeoutMs: 600_000,
    createdAt: 1,
  });
  return db;
}

async function postgresDatabase(): Promise<NodeDatabase> {
  const database: TemporaryDatabase = await temporaryDatabase();
  const db = await database.open();
  cleanups.push(async () => {
    await db.close();
    await database.remove();
  });
  return db;
}

describe("copySqliteToPostgres", () => {
  it.runIf(onPostgres)(
    "moves every row, checked, and identities continue after the copied ids",
    async () => {
      const from = await sqliteNode();
      const to = await postgresDatabase();
      const copies = await copySqliteToPostgres(from, to);
      const byTable = Object.fromEntries(copies.map((copy) => [copy.table, copy.rows]));
      expect(byTable).toMatchObject({
        local_actors: 1,
        actor_keys: 2,
        api_tokens: 1,
        web_accounts: 1,
        catalog_entries: 1500,
        catalog_revisions: 1500,
        kv: 1,
        queue_messages: 1,
        moodle_targets: 1,
      });
      // Parents before children: the foreign keys held while inserting.
      const order = copies.map((copy) => copy.table);
      expect(order.indexOf("local_actors")).toBeLessThan(order.indexOf("actor_keys"));
      expect(order.indexOf("catalog_entries")).toBeLessThan(order.indexOf("catalog_revisions"));

      const [entry] = await to
        .select()
        .from(to.tables.catalogEntries)
        .orderBy(to.tables.catalogEntries.publishedAt)
        .limit(1);
      expect(entry).toMatchObject({
        title: "Théâtre 0",
        size: 2 ** 33,
        manifest: { nested: { a: [0, "é"] } },
        tags: ["drama", "t0"],
      });
      const [institution] = await to.select().from(to.tables.localActors);
      expect(institution).toMatchObject({ identifier: "institution", type: "Organization" });
      const target = await to
        .insert(to.tables.moodleTargets)
        .values({
          name: "second",
          driver: "ws",
          url: "https://moodle2.example/",
          settings: {},
          timeoutMs: 1,
          createdAt: 2,
        })
        .returning();
      expect(target[0]?.id).toBe(2);
    },
  );

  it.runIf(onPostgres)(
    "refuses a database that already holds data, and writes nothing",
    async () => {
      const from = await sqliteNode();
      const to = await postgresDatabase();
      await to.insert(to.tables.kv).values({ key: '["held"]', value: "1", expiresAt: null });
      const refusal = await copySqliteToPostgres(from, to).catch((error: unknown) => error);
      expect(refusal).toBeInstanceOf(CopyError);
      expect((refusal as CopyError).code).toBe("TARGET_NOT_EMPTY");
      expect((refusal as CopyError).message).toContain("kv");
      const [actors] = await to.select({ total: count() }).from(to.tables.localActors);
      expect(actors?.total).toBe(0);
    },
  );

  it("refuses to copy from anything but SQLite into PostgreSQL", async () => {
    const from = await sqliteNode();
    await expect(copySqliteToPostgres(from, from)).rejects.toThrow(
      /from a SQLite file to a postgres/,
    );
  });
});
