import { createHash } from "node:crypto";
import { asc, getTableColumns, getTableName, sql } from "drizzle-orm";
import { getTableConfig, type PgColumn, type PgTable } from "drizzle-orm/pg-core";
import { CodedError } from "../coded-error.ts";
import type { NodeDatabase, Tables } from "./database.ts";

/** Rows read and written at a time: bounded memory whatever the catalog's size. */
const PAGE_ROWS = 1000;
/** PostgreSQL takes at most 65,535 parameters in one statement. */
const MAX_PARAMETERS = 60_000;

export class CopyError extends CodedError<
  "TARGET_NOT_EMPTY" | "MISMATCH" | "NOT_SQLITE_TO_POSTGRES"
> {}

export interface TableCopy {
  readonly table: string;
  readonly rows: number;
  /** sha256 of the table's rows in key order, the same read from either database. */
  readonly digest: string;
}

/**
 * Copies every table of a SQLite node database into an empty PostgreSQL one, in one
 * PostgreSQL transaction: either all of it is there, checked, or nothing is. Each table
 * is checked after the copy by row count and by a digest of its rows read back from
 * PostgreSQL, so a value the two engines hold differently stops the move.
 */
export async function copySqliteToPostgres(
  from: NodeDatabase,
  to: NodeDatabase,
  onTable: (copy: TableCopy) => void = () => {},
): Promise<TableCopy[]> {
  if (from.engine !== "sqlite" || to.engine !== "postgres") {
    throw new CopyError(
      "NOT_SQLITE_TO_POSTGRES",
      "the move goes from a SQLite file to a postgres:// database.",
    );
  }
  const order = tablesInDependencyOrder(to.tables);
  const occupied: string[] = [];
  for (const key of order) {
    const [row] = await to
      .select({ total: sql<number>`count(*)`.mapWith(Number) })
      .from(to.tables[key] as PgTable);
    if ((row?.total ?? 0) > 0) occupied.push(getTableName(to.tables[key] as PgTable));
  }
  // A node that started on the new database already made its institution and keys.
  if (occupied.length > 0) {
    throw new CopyError(
      "TARGET_NOT_EMPTY",
      `the PostgreSQL database already holds data (${occupied.join(", ")}); move into a new, empty database, and start the node on it only after the move.`,
    );
  }
  return await to.transaction(async (tx) => {
    const copies: TableCopy[] = [];
    for (const key of order) {
      const source = from.tables[key] as PgTable;
      const target = to.tables[key] as PgTable;
      const columns = Object.keys(getTableColumns(target)).length;
      const batch = Math.max(1, Math.min(PAGE_ROWS, Math.floor(MAX_PARAMETERS / columns)));
      const written = createHash("sha256");
      let rows = 0;
      const keys = primaryKeyOf(target);
      for await (const page of pages(from, source, keys, batch)) {
        await tx.insert(target).values(page);
        for (const row of page) written.update(canonicalJson(row));
        rows += page.length;
      }
      const readBack = createHash("sha256");
      let readRows = 0;
      for await (const page of pages(tx as unknown as NodeDatabase, target, keys, PAGE_ROWS)) {
        for (const row of page) readBack.update(canonicalJson(row));
        readRows += page.length;
      }
      const table = getTableName(target);
      const digest = written.digest("hex");
      if (readRows !== rows || readBack.digest("hex") !== digest) {
        throw new CopyError(
          "MISMATCH",
          `${table}: ${rows} rows copied but ${readRows} read back, or their values differ; nothing was moved (the PostgreSQL transaction is rolled back). Report this with the table's name.`,
        );
      }
      await restartIdentity(tx as unknown as NodeDatabase, target);
      const copy = { table, rows, digest };
      copies.push(copy);
      onTable(copy);
    }
    return copies;
  });
}

/** Tables ordered so that each comes after those its foreign keys name. */
function tablesInDependencyOrder(tables: Tables): (keyof Tables)[] {
  const keys = (Object.keys(tables) as (keyof Tables)[]).filter((key) => isTable(tables[key]));
  const keyOf = new Map(keys.map((key) => [tables[key] as unknown, key]));
  const ordered: (keyof Tables)[] = [];
  const visit = (key: keyof Tables) => {
    if (ordered.includes(key)) return;
    for (const foreignKey of getTableConfig(tables[key] as PgTable).foreignKeys) {
      const referenced = keyOf.get(foreignKey.reference().foreignTable);
      if (referenced && referenced !== key) visit(referenced);
    }
    ordered.push(key);
  };
  for (const key of keys) visit(key);
  return ordered;
}

function isTable(value: unknown): boolean {
  try {
    getTableName(value as PgTable);
    return typeof getTableConfig(value as PgTable).name === "string";
  } catch {
    return false;
  }
}

/** The JavaScript names of a table's primary key columns (one, or a composite key's). */
function primaryKeyOf(table: PgTable): string[] {
  const config = getTableConfig(table);
  const keyColumns = config.primaryKeys[0]?.columns ?? config.columns.filter((c) => c.primary);
  const columns = Object.entries(getTableColumns(table));
  // A composite key's columns are copies made for the table's extra config: match names.
  return keyColumns.map(
    (key) => columns.find(([, column]) => column.name === key.name)?.[0] as string,
  );
}

/**
 * A table's rows in primary-key order, a page at a time. The key is given by name: the
 * same names pick the columns of either engine's table.
 */
async function* pages(
  db: NodeDatabase,
  table: PgTable,
  keys: readonly string[],
  size: number,
): AsyncGenerator<Record<string, unknown>[]> {
  const columns = getTableColumns(table);
  for (let offset = 0; ; offset += size) {
    const page = await db
      .select()
      .from(table)
      .orderBy(...keys.map((key) => asc(columns[key] as PgColumn)))
      .limit(size)
      .offset(offset);
    if (page.length === 0) return;
    yield page;
    if (page.length < size) return;
  }
}

/** JSON with object keys sorted: PostgreSQL's jsonb does not keep the order they came in. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_, item: unknown) =>
    item && typeof item === "object" && !Array.isArray(item)
      ? Object.fromEntries(Object.entries(item).sort(([a], [b]) => (a < b ? -1 : 1)))
      : item,
  );
}

/** Identity columns continue after the highest id copied, not from 1. */
async function restartIdentity(db: NodeDatabase, table: PgTable): Promise<void> {
  const identity = getTableConfig(table).columns.find(
    (column) => column.generatedIdentity !== undefined,
  );
  if (!identity) return;
  const name = getTableName(table);
  await db.execute(
    sql`select setval(pg_get_serial_sequence(${name}, ${identity.name}), coalesce(max(${identity}), 0) + 1, false) from ${table}`,
  );
}
