import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  TEST_POSTGRES_ENVIRONMENT,
  type TemporaryDatabase,
  temporaryDatabase,
} from "./test-database.ts";

const MIGRATIONS = join(dirname(fileURLToPath(import.meta.url)), "migrations");

/** One engine's database, driven with its migrations' own SQL, a file at a time. */
interface MigratingDatabase {
  /** Applies, in order, the migrations `filter` keeps. */
  apply(filter: (file: string) => boolean): Promise<void>;
  query(sql: string): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

function migrationFiles(engine: "sqlite" | "postgres"): string[] {
  return readdirSync(join(MIGRATIONS, engine))
    .filter((file) => file.endsWith(".sql"))
    .sort();
}

function statementsOf(engine: "sqlite" | "postgres", file: string): string[] {
  return readFileSync(join(MIGRATIONS, engine, file), "utf8")
    .split("--> statement-breakpoint")
    .filter((statement) => statement.trim() !== "");
}

async function migratingDatabase(database: TemporaryDatabase): Promise<MigratingDatabase> {
  if (process.env[TEST_POSTGRES_ENVIRONMENT]) {
    const client = new pg.Client({ connectionString: database.location });
    await client.connect();
    return {
      async apply(filter) {
        for (const file of migrationFiles("postgres").filter(filter))
          for (const statement of statementsOf("postgres", file)) await client.query(statement);
      },
      query: async (sql) => (await client.query(sql)).rows,
      close: () => client.end(),
    };
  }
  const sqlite = new Database(database.location);
  return {
    async apply(filter) {
      for (const file of migrationFiles("sqlite").filter(filter))
        for (const statement of statementsOf("sqlite", file)) sqlite.exec(statement);
    },
    query: async (sql) => {
      const statement = sqlite.prepare(sql);
      if (statement.reader) return statement.all() as Record<string, unknown>[];
      statement.run();
      return [];
    },
    close: async () => {
      sqlite.close();
    },
  };
}

/**
 * One migration under test, in a database of its own: the migrations before it applied
 * (applyEarlier), rows made as they were then, then it (applyIt).
 */
function migrationUnderTest(name: string) {
  const isIt = (file: string) => file.endsWith(`_${name}.sql`);
  let database: TemporaryDatabase;
  let db: MigratingDatabase;
  beforeAll(async () => {
    database = await temporaryDatabase();
    db = await migratingDatabase(database);
  });
  afterAll(async () => {
    await db.close();
    await database.remove();
  });
  return {
    query: (sql: string) => db.query(sql),
    async applyEarlier(): Promise<void> {
      const all = migrationFiles(process.env[TEST_POSTGRES_ENVIRONMENT] ? "postgres" : "sqlite");
      const at = all.findIndex(isIt);
      expect(at).toBeGreaterThan(0);
      await db.apply((file) => all.indexOf(file) < at);
    },
    applyIt: () => db.apply(isIt),
  };
}

describe("the migration restore_job_requesters", () => {
  const migration = migrationUnderTest("restore_job_requesters");

  it("keeps the jobs made before, each new course its asker's, so that asking again finds it", async () => {
    await migration.applyEarlier();
    await migration.query(
      `INSERT INTO local_actors (identifier, handle, type, name, created_at) VALUES ('https://school.example/', 'school', 'Organization', 'School', 0), ('https://school.example/ada', 'ada', 'Person', 'Ada', 0)`,
    );
    await migration.query(
      `INSERT INTO moodle_targets (name, driver, url, settings, timeout_ms, created_at) VALUES ('campus', 'ws', 'https://campus.example', '{}', 1000, 0)`,
    );
    await migration.query(
      `INSERT INTO api_tokens (name, token_hash, role, actor_id, moodle_target_id, created_at) VALUES ('site campus', 'hash', 'site', 1, 1, 0)`,
    );
    const jobs: Array<[string, string, string, number | null, number | null]> = [
      ["teacher", "category:4", "teacher ada", 2, null],
      ["admin", "category:5", "initial admin", 1, null],
      ["rule", "category:6", "rule 3", null, 3],
      ["site-user", "category:7", "site campus for marie", 1, null],
      ["into-course", "course:9:merge", "teacher ada", 2, null],
    ];
    for (const [id, key, by, actor, rule] of jobs) {
      await migration.query(
        `INSERT INTO restore_jobs (id, object_uri, revision, target_id, destination_key, destination, state, requested_by, requested_by_actor_id, rule_id, created_at) VALUES ('${id}', 'https://univ.example/courses/1', 1, 1, '${key}', '{}', 'queued', '${by}', ${actor ?? "NULL"}, ${rule ?? "NULL"}, 0)`,
      );
    }
    await migration.applyIt();
    expect(await migration.query("SELECT id, requester_key FROM restore_jobs ORDER BY id")).toEqual(
      [
        { id: "admin", requester_key: "actor:1" },
        { id: "into-course", requester_key: "" },
        { id: "rule", requester_key: "rules" },
        { id: "site-user", requester_key: "name:site campus for marie" },
        { id: "teacher", requester_key: "actor:2" },
      ],
    );
    // Another teacher's job for the same new course now has a place of its own.
    await migration.query(
      `INSERT INTO restore_jobs (id, object_uri, revision, target_id, destination_key, requester_key, destination, state, requested_by, created_at) VALUES ('grace', 'https://univ.example/courses/1', 1, 1, 'category:4', 'actor:3', '{}', 'queued', 'teacher grace', 0)`,
    );
    expect(
      await migration.query(
        "SELECT id FROM restore_jobs WHERE destination_key = 'category:4' ORDER BY id",
      ),
    ).toEqual([{ id: "grace" }, { id: "teacher" }]);
  });
});

describe("the migration outbox_order", () => {
  const migration = migrationUnderTest("outbox_order");

  it("dates each course published before by its latest revision, so that a revised one comes first in the outbox", async () => {
    await migration.applyEarlier();
    await migration.query(
      `INSERT INTO local_actors (identifier, handle, type, name, created_at) VALUES ('institution', 'institution', 'Organization', 'School', 0)`,
    );
    for (const [id, created] of [
      ["old", 10],
      ["newer", 20],
      ["unrevised", 30],
    ] as const) {
      await migration.query(
        `INSERT INTO courses (id, actor_id, title, tags, visibility, created_at, updated_at) VALUES ('${id}', 1, '${id}', '[]', 'public', ${created}, ${created})`,
      );
    }
    for (const [id, revision, published] of [
      ["old", 1, 10],
      ["old", 2, 50],
      ["newer", 1, 20],
    ] as const) {
      await migration.query(
        `INSERT INTO course_revisions (course_id, revision, sha256, size, manifest, published_at) VALUES ('${id}', ${revision}, '${id}${revision}', 1, 'jws', ${published})`,
      );
    }
    await migration.applyIt();
    const rows = await migration.query(
      "SELECT id, last_published_at FROM courses ORDER BY last_published_at DESC, id DESC",
    );
    expect(rows.map((row) => [row.id, Number(row.last_published_at)])).toEqual([
      ["old", 50],
      // No revision recorded (none should be): its creation.
      ["unrevised", 30],
      ["newer", 20],
    ]);
  });
});
