import type { NodePgDatabase } from "drizzle-orm/node-postgres";
import type { PgTable } from "drizzle-orm/pg-core";
import type * as schema from "./schema.ts";

export type DatabaseEngine = "sqlite" | "postgres";

type Schema = typeof schema;

/**
 * The node's tables, as query builders take them: what schema.ts exports that is a table
 * (the vocabulary its columns use, roles, states, visibilities, lives with the domain, as
 * vocabulary/visibility.ts). SQLite's are derived from the same descriptions.
 */
export type Tables = {
  [Name in keyof Schema as Schema[Name] extends PgTable ? Name : never]: Schema[Name];
};

/**
 * The node's database, SQLite or PostgreSQL. Repositories are written once against
 * this: drizzle's query builders, with the tables of `tables` (never imported from a
 * schema file, which would tie them to one dialect), awaited. Builders and types are
 * PostgreSQL's; the SQLite database answers the same calls, with tables derived from the
 * same descriptions (schema.sqlite.ts; the test suite runs on both engines). What differs
 * is behind `engine`.
 */
export type NodeDatabase = NodePgDatabase<Tables> & {
  readonly engine: DatabaseEngine;
  readonly tables: Tables;
  /** Where the data lives, for messages: a file path, or the URL without its password. */
  readonly location: string;
  close(): Promise<void>;
};

/** Whether `location` names a PostgreSQL database rather than a SQLite file. */
export function isDatabaseUrl(location: string): boolean {
  return /^postgres(ql)?:\/\//i.test(location);
}
