import { getTableConfig as getPostgresTableConfig, PgTable } from "drizzle-orm/pg-core";
import { getTableConfig as getSqliteTableConfig, SQLiteTable } from "drizzle-orm/sqlite-core";
import { describe, expect, it } from "vitest";
import * as postgres from "./schema.postgres.ts";
import * as sqlite from "./schema.ts";

/**
 * Repositories are written once, against PostgreSQL's types, and run on SQLite's tables
 * too: the two schema files must define the same tables with the same columns, holding
 * the same JavaScript values.
 */
function describeColumns(
  columns: readonly {
    name: string;
    dataType: string;
    notNull: boolean;
    primary: boolean;
    hasDefault: boolean;
    enumValues?: readonly string[] | undefined;
  }[],
) {
  return Object.fromEntries(
    columns.map((column) => [
      column.name,
      {
        dataType: column.dataType,
        notNull: column.notNull,
        primary: column.primary,
        hasDefault: column.hasDefault,
        enumValues: column.enumValues ?? [],
      },
    ]),
  );
}

const sqliteTables = Object.entries(sqlite).filter(([, value]) => value instanceof SQLiteTable);
const postgresTables = Object.entries(postgres).filter(([, value]) => value instanceof PgTable);
const postgresTableByKey = new Map(postgresTables);

describe("the SQLite and PostgreSQL schemas", () => {
  it("export the same tables under the same names", () => {
    expect(postgresTables.map(([key]) => key).sort()).toEqual(
      sqliteTables.map(([key]) => key).sort(),
    );
  });

  it.each(sqliteTables)("define %s alike", (key, table) => {
    const sqliteConfig = getSqliteTableConfig(table as SQLiteTable);
    const postgresConfig = getPostgresTableConfig(postgresTableByKey.get(key) as PgTable);
    expect(postgresConfig.name).toBe(sqliteConfig.name);
    expect(describeColumns(postgresConfig.columns)).toEqual(describeColumns(sqliteConfig.columns));
    const keys = (config: { primaryKeys: { columns: { name: string }[] }[] }) =>
      config.primaryKeys.map((primaryKey) => primaryKey.columns.map((column) => column.name));
    expect(keys(postgresConfig)).toEqual(keys(sqliteConfig));
    const indexes = (config: {
      indexes: { config: { name?: string | undefined; unique: boolean } }[];
    }) =>
      config.indexes.map((index) => `${index.config.name}${index.config.unique ? " unique" : ""}`);
    expect(indexes(postgresConfig).sort()).toEqual(indexes(sqliteConfig).sort());
    const references = (config: {
      foreignKeys: { reference(): { foreignTable: unknown; columns: { name: string }[] } }[];
    }) => config.foreignKeys.map((foreignKey) => foreignKey.reference().columns.map((c) => c.name));
    expect(references(postgresConfig)).toEqual(references(sqliteConfig));
  });
});
