import { type Column, type SQL, sql } from "drizzle-orm";
import type { NodeDatabase } from "./database.ts";

/**
 * The few SQL expressions that differ between SQLite and PostgreSQL, for JSON array
 * columns (text in SQLite, jsonb in PostgreSQL). Everything else repositories write
 * with drizzle's builders, which both dialects share.
 */

/** Whether a JSON array of strings holds `value`, compared without case. */
export function jsonArrayHas(db: NodeDatabase, column: Column, value: string): SQL {
  return db.engine === "postgres"
    ? sql`exists (select 1 from jsonb_array_elements_text(${column}) as element where lower(element) = lower(${value}))`
    : sql`exists (select 1 from json_each(${column}) where lower(value) = lower(${value}))`;
}

/** The number of elements of a JSON array column. */
export function jsonArrayLength(db: NodeDatabase, column: Column): SQL<number> {
  return db.engine === "postgres"
    ? sql<number>`jsonb_array_length(${column})`
    : sql<number>`json_array_length(${column})`;
}
