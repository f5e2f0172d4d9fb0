import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import type { NodeDatabase } from "./database.ts";
import { openDatabase } from "./open-database.ts";

/**
 * Set (to a superuser's URL) by the test run's PostgreSQL globalSetup for the `postgres`
 * vitest project: the same tests then run on PostgreSQL, each in a database of its own.
 */
export const TEST_POSTGRES_ENVIRONMENT = "COURSEFED_TEST_POSTGRES_URL";

export interface TemporaryDatabase {
  /** What openDatabase takes: a SQLite file's path or a postgres:// URL. */
  readonly location: string;
  open(): Promise<NodeDatabase>;
  remove(): Promise<void>;
}

/**
 * A fresh, empty database for one test: a SQLite file in a temporary folder, or, when the
 * tests run on PostgreSQL, a new database on the test server.
 */
export async function temporaryDatabase(): Promise<TemporaryDatabase> {
  const server = process.env[TEST_POSTGRES_ENVIRONMENT];
  if (server) return await temporaryPostgresDatabase(server);
  const directory = mkdtempSync(join(tmpdir(), "coursefed-db-"));
  const location = join(directory, "node.sqlite");
  return {
    location,
    open: () => openDatabase(location),
    remove: async () => rmSync(directory, { recursive: true, force: true }),
  };
}

async function temporaryPostgresDatabase(serverUrl: string): Promise<TemporaryDatabase> {
  const name = `coursefed_test_${randomBytes(6).toString("hex")}`;
  await asSuperuser(serverUrl, `create database ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const location = url.toString();
  return {
    location,
    open: () => openDatabase(location),
    remove: () => asSuperuser(serverUrl, `drop database if exists ${name} with (force)`),
  };
}

async function asSuperuser(serverUrl: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

/**
 * The fresh databases of one test file: `open` makes one for a group of tests, and
 * `removeAll` (in afterAll) closes and removes every one made.
 */
export function temporaryDatabases(): {
  open(): Promise<NodeDatabase>;
  removeAll(): Promise<void>;
} {
  const made: TemporaryDatabase[] = [];
  const opened: NodeDatabase[] = [];
  return {
    async open() {
      const database = await temporaryDatabase();
      made.push(database);
      const db = await database.open();
      opened.push(db);
      return db;
    },
    async removeAll() {
      for (const db of opened) await db.close();
      for (const database of made) await database.remove();
    },
  };
}
