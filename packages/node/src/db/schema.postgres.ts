/**
 * PostgreSQL's tables are schema.ts's descriptions as they are (written with pg-core: see
 * there why). This module gathers them, for the PostgreSQL database and for
 * schema.sqlite.ts to derive from.
 * Repositories take their row types from here or from schema.ts: the same tables.
 */
import { is } from "drizzle-orm";
import { PgTable } from "drizzle-orm/pg-core";
import type { Tables } from "./database.ts";
import * as schema from "./schema.ts";

export type * from "./schema.ts";

/** Every table of schema.ts, under its name there: what `db.tables` holds. */
export const postgresTables = Object.fromEntries(
  Object.entries(schema).filter(([, value]) => is(value, PgTable)),
) as Tables;
