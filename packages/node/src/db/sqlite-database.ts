import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { drizzle as drizzleSync } from "drizzle-orm/better-sqlite3";
import { migrate } from "drizzle-orm/better-sqlite3/migrator";
import { drizzle } from "drizzle-orm/sqlite-proxy";
import type { NodeDatabase, Tables } from "./database.ts";
import * as schema from "./schema.ts";
import { StatementGate } from "./statement-gate.ts";

const MIGRATIONS = join(dirname(fileURLToPath(import.meta.url)), "migrations", "sqlite");

/**
 * Opens (creating it if needed) a SQLite database and brings its schema up to date. WAL
 * lets readers work while one writer commits; the busy timeout lets a command-line
 * process share the file with a running node instead of failing on a lock.
 *
 * Statements run on better-sqlite3 through drizzle's asynchronous proxy driver, so that
 * repositories await them as they do PostgreSQL's; a StatementGate keeps an open
 * transaction to itself.
 */
export function openSqliteDatabase(path: string): NodeDatabase {
  if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
  const client = new Database(path);
  client.pragma("journal_mode = WAL");
  client.pragma("busy_timeout = 5000");
  client.pragma("foreign_keys = ON");
  client.pragma("synchronous = NORMAL");
  migrate(drizzleSync(client), { migrationsFolder: MIGRATIONS });

  const gate = new StatementGate();
  const db = drizzle(
    async (sql, params, method) => {
      await gate.enter();
      const statement = client.prepare(sql);
      if (method === "run" && !statement.reader) {
        statement.run(params);
        return { rows: [] };
      }
      statement.raw(true);
      // drizzle's proxy takes a "get" row as the array itself, undefined when none.
      const rows = method === "get" ? statement.get(params) : statement.all(params);
      return { rows: rows as unknown[] };
    },
    { schema },
  );
  const transaction = db.transaction.bind(db);
  return Object.assign(db, {
    engine: "sqlite" as const,
    // The two schema files define the same tables (schema-parity.test.ts): SQLite's
    // builders take SQLite's, under the common type.
    tables: schema as unknown as Tables,
    location: path,
    transaction: ((work: Parameters<typeof transaction>[0]) =>
      gate.exclusive(() => transaction(work, { behavior: "immediate" }))) as typeof transaction,
    close: async () => {
      await gate.exclusive(async () => client.close());
    },
  }) as unknown as NodeDatabase;
}
