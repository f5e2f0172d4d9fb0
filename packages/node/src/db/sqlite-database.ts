import { randomUUID } from "node:crypto";
import { closeSync, mkdirSync, openSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { drizzle as drizzleSync } from "drizzle-orm/better-sqlite3";
import { migrate } from "drizzle-orm/better-sqlite3/migrator";
import { drizzle } from "drizzle-orm/sqlite-proxy";
import { LruMap } from "../lru-map.ts";
import { PRIVATE_DIRECTORY_MODE, PRIVATE_FILE_MODE } from "../private-files.ts";
import type { NodeDatabase, Tables } from "./database.ts";
import { sqliteTables } from "./schema.sqlite.ts";
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
  const connection = sharedConnection(path);
  const { gate } = connection;
  const db = drizzle(
    async (sql, params, method) => {
      await gate.enter();
      const statement = connection.prepare(sql);
      if (method === "run" && !statement.reader) {
        statement.run(params);
        return { rows: [] };
      }
      statement.raw(true);
      // drizzle's proxy takes a "get" row as the array itself, undefined when none.
      const rows = method === "get" ? statement.get(params) : statement.all(params);
      return { rows: rows as unknown[] };
    },
    { schema: sqliteTables },
  );
  const transaction = db.transaction.bind(db);
  let closed = false;
  return Object.assign(db, {
    engine: "sqlite" as const,
    // SQLite's tables are derived from the same descriptions as PostgreSQL's
    // (schema.sqlite.ts): SQLite's builders take them, under the common type.
    tables: sqliteTables as unknown as Tables,
    location: path,
    transaction: ((work: Parameters<typeof transaction>[0]) =>
      gate.exclusive(() => transaction(work, { behavior: "immediate" }))) as typeof transaction,
    close: async () => {
      if (closed) return;
      closed = true;
      await gate.exclusive(async () => connection.release());
    },
  }) as unknown as NodeDatabase;
}

interface SharedConnection {
  readonly client: Database.Database;
  readonly gate: StatementGate;
  users: number;
  /** The statement for `sql`, compiled once and kept among the most recently used. */
  prepare(sql: string): Database.Statement;
  release(): void;
}

/**
 * Compiling a statement cost more than running it on the node's busiest paths (a third
 * of the SQLite time of a fan-out's queue work, in a profile); the repositories' SQL is a
 * few hundred distinct texts, so the recent ones are kept. Texts that vary with their
 * data (IN lists) come and go through the least recently used end.
 */
const KEPT_STATEMENTS = 512;

/** Each database file's one connection in this process, with the number of its users. */
const connections = new Map<string, SharedConnection>();

/**
 * The process's connection to `path`, opened (and migrated) by its first user and closed
 * by its last. One connection per file, not one per open: a second connection's write
 * would wait on the first's transaction synchronously, holding up the very event loop
 * that transaction needs to finish (the node and a command in one process, or tests).
 */
function sharedConnection(path: string): SharedConnection {
  // Every in-memory database is a database of its own.
  const key = path === ":memory:" ? `:memory:${randomUUID()}` : resolve(path);
  const held = connections.get(key);
  if (held) {
    held.users += 1;
    return held;
  }
  if (path !== ":memory:") createPrivately(path);
  const client = new Database(path);
  client.pragma("journal_mode = WAL");
  client.pragma("busy_timeout = 5000");
  client.pragma("foreign_keys = ON");
  client.pragma("synchronous = NORMAL");
  migrate(drizzleSync(client), { migrationsFolder: MIGRATIONS });
  const statements = new LruMap<string, Database.Statement>(KEPT_STATEMENTS);
  const connection: SharedConnection = {
    client,
    gate: new StatementGate(),
    users: 1,
    prepare(sql) {
      let statement = statements.get(sql);
      if (!statement) {
        statement = client.prepare(sql);
        statements.set(sql, statement);
      }
      return statement;
    },
    release() {
      connection.users -= 1;
      if (connection.users > 0) return;
      connections.delete(key);
      client.close();
    },
  };
  connections.set(key, connection);
  return connection;
}

/**
 * Makes the database's folder and an empty database file, private (see private-files.ts),
 * unless they exist. SQLite would create the file with 0644 less the umask, and it gives
 * the -wal and -shm files it makes later the database file's own mode.
 */
function createPrivately(path: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: PRIVATE_DIRECTORY_MODE });
  try {
    closeSync(openSync(path, "wx", PRIVATE_FILE_MODE));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  }
}
