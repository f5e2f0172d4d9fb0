import type { NodePgDatabase } from "drizzle-orm/node-postgres";
import type * as tables from "./schema.postgres.ts";

export type DatabaseEngine = "sqlite" | "postgres";

/** The node's tables, as query builders take them (one set per dialect, same columns). */
export type Tables = typeof tables;

/**
 * The node's database, SQLite or PostgreSQL. Repositories are written once against
 * this: drizzle's query builders, with the tables of `tables` (never imported from a
 * schema file, which would tie them to one dialect), awaited. Builders and types are
 * PostgreSQL's; the SQLite database answers the same calls (schema-parity.test.ts and
 * the test suite run on both keep that true). What differs is behind `engine`.
 */
export type NodeDatabase = NodePgDatabase<Tables> & {
  readonly engine: DatabaseEngine;
  readonly tables: Tables;
  /** Where the data lives, for messages: a file path, or the URL without its password. */
  readonly location: string;
  close(): Promise<void>;
};

/** Opens the database at `location`: a postgres:// URL, or the path of a SQLite file. */
export async function openDatabase(location: string): Promise<NodeDatabase> {
  if (isDatabaseUrl(location)) {
    const { openPostgresDatabase } = await import("./postgres-database.ts");
    return openPostgresDatabase(location);
  }
  const { openSqliteDatabase } = await import("./sqlite-database.ts");
  return openSqliteDatabase(location);
}

/** Whether `location` names a PostgreSQL database rather than a SQLite file. */
export function isDatabaseUrl(location: string): boolean {
  return /^postgres(ql)?:\/\//i.test(location);
}
