import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  generateDrizzleJson,
  generateMigration,
  generateSQLiteDrizzleJson,
  generateSQLiteMigration,
} from "drizzle-kit/api";
import { sql } from "drizzle-orm";
import {
  bigint,
  boolean,
  check,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  unique,
} from "drizzle-orm/pg-core";
import { getTableConfig, SQLiteTable } from "drizzle-orm/sqlite-core";
import { describe, expect, it } from "vitest";
import { postgresTables } from "./schema.postgres.ts";
import * as sqliteSchema from "./schema.sqlite.ts";
import { sqliteTablesOf } from "./schema.sqlite.ts";
import * as schema from "./schema.ts";

const MIGRATIONS = join(dirname(fileURLToPath(import.meta.url)), "migrations");

/** The snapshot drizzle-kit wrote with an engine's latest migration. */
function latestSnapshot(engine: "sqlite" | "postgres") {
  const meta = join(MIGRATIONS, engine, "meta");
  const journal = JSON.parse(readFileSync(join(meta, "_journal.json"), "utf8")) as {
    entries: { idx: number }[];
  };
  const latest = Math.max(...journal.entries.map((entry) => entry.idx));
  return JSON.parse(
    readFileSync(join(meta, `${String(latest).padStart(4, "0")}_snapshot.json`), "utf8"),
  );
}

describe("the schema, described once", () => {
  it("gives each engine the tables its migrations make (npm run db:generate has nothing to add)", async () => {
    const sqlite = await generateSQLiteDrizzleJson(sqliteSchema);
    expect(await generateSQLiteMigration(latestSnapshot("sqlite"), sqlite)).toEqual([]);
    const postgres = generateDrizzleJson(schema);
    expect(await generateMigration(latestSnapshot("postgres"), postgres)).toEqual([]);
  });

  it("exports every SQLite table by its name for drizzle-kit, the same the database uses", () => {
    const exported = Object.entries(sqliteSchema).filter(
      ([, value]) => value instanceof SQLiteTable,
    );
    expect(exported.map(([name]) => name).sort()).toEqual(Object.keys(postgresTables).sort());
    for (const [name, table] of exported) {
      expect(table, name).toBe(sqliteSchema.sqliteTables[name as keyof typeof postgresTables]);
    }
  });
});

describe("sqliteTablesOf", () => {
  it("carries columns, keys, indexes and foreign keys over in their SQLite form", () => {
    const owners = pgTable("owners", {
      id: integer("id").primaryKey().generatedByDefaultAsIdentity(),
      handle: text("handle").notNull().unique(),
    });
    const things = pgTable(
      "things",
      {
        ownerId: integer("owner_id")
          .notNull()
          .references(() => owners.id, { onDelete: "cascade" }),
        slot: integer("slot").notNull(),
        kind: text("kind", { enum: ["a", "b"] })
          .notNull()
          .default("a"),
        at: bigint("at", { mode: "number" }),
        open: boolean("open").notNull(),
        labels: jsonb("labels").$type<string[]>().notNull().default([]),
      },
      (table) => [
        primaryKey({ columns: [table.ownerId, table.slot] }),
        index("things_at").on(table.at, table.kind),
      ],
    );
    const derived = sqliteTablesOf({ owners, things });

    const ownersConfig = getTableConfig(derived.owners);
    const [id, handle] = ownersConfig.columns;
    expect(id).toMatchObject({ name: "id", columnType: "SQLiteInteger", primary: true });
    expect((id as unknown as { autoIncrement: boolean }).autoIncrement).toBe(true);
    expect(handle).toMatchObject({ columnType: "SQLiteText", notNull: true, isUnique: true });

    const thingsConfig = getTableConfig(derived.things);
    const columns = Object.fromEntries(thingsConfig.columns.map((column) => [column.name, column]));
    expect(columns.kind).toMatchObject({
      columnType: "SQLiteText",
      enumValues: ["a", "b"],
      default: "a",
    });
    expect(columns.at).toMatchObject({ columnType: "SQLiteInteger", notNull: false });
    expect(columns.open).toMatchObject({ columnType: "SQLiteBoolean", notNull: true });
    expect(columns.labels).toMatchObject({ columnType: "SQLiteTextJson", default: [] });
    expect(thingsConfig.primaryKeys.map((key) => key.columns.map((column) => column.name))).toEqual(
      [["owner_id", "slot"]],
    );
    expect(
      thingsConfig.indexes.map((each) => [
        each.config.name,
        each.config.columns.map((c) => (c as { name: string }).name),
      ]),
    ).toEqual([["things_at", ["at", "kind"]]]);
    const [reference] = thingsConfig.foreignKeys;
    expect(reference?.onDelete).toBe("cascade");
    expect(reference?.reference().foreignTable).toBe(derived.owners);
    expect(reference?.reference().foreignColumns.map((column) => column.name)).toEqual(["id"]);
  });

  it("refuses a column type it has no SQLite form for, naming the table and column", () => {
    const events = pgTable("events", { at: timestamp("at").notNull() });
    expect(() => sqliteTablesOf({ events })).toThrow(
      /schema\.ts, table events, column at: the column type PgTimestamp has no SQLite form here/,
    );
  });

  it("refuses an identity column that is not the table's primary key", () => {
    const events = pgTable("events", {
      key: text("key").primaryKey(),
      serial: integer("serial").generatedByDefaultAsIdentity(),
    });
    expect(() => sqliteTablesOf({ events })).toThrow(
      /column serial: SQLite numbers rows itself only for an integer primary key/,
    );
  });

  it("refuses a default computed in SQL, which would differ between engines", () => {
    const events = pgTable("events", { at: bigint("at", { mode: "number" }).default(sql`now()`) });
    expect(() => sqliteTablesOf({ events })).toThrow(
      /column at: a default computed in JavaScript or SQL/,
    );
  });

  it("refuses an engine-specific index, which belongs in a hand-written migration", () => {
    const gin = pgTable("events", { tags: jsonb("tags") }, (table) => [
      index("events_tags").using("gin", table.tags),
    ]);
    expect(() => sqliteTablesOf({ gin })).toThrow(/a method other than btree/);
    const expression = pgTable("events", { name: text("name") }, (table) => [
      index("events_name").on(sql`lower(${table.name})`),
    ]);
    expect(() => sqliteTablesOf({ expression })).toThrow(
      /index events_name: only plain ascending columns have a SQLite form/,
    );
  });

  it("refuses a table-level constraint or a unique column SQLite cannot hold", () => {
    const checked = pgTable("events", { size: integer("size") }, (table) => [
      check("events_size", sql`${table.size} > 0`),
    ]);
    expect(() => sqliteTablesOf({ checked })).toThrow(
      /schema\.ts, table events: a PostgreSQL schema, a check, a table-level unique constraint/,
    );
    const paired = pgTable("events", { a: text("a"), b: text("b") }, (table) => [
      unique("events_pair").on(table.a, table.b),
    ]);
    expect(() => sqliteTablesOf({ paired })).toThrow(/a table-level unique constraint/);
    const notDistinct = pgTable("events", {
      a: text("a").unique("events_a", { nulls: "not distinct" }),
    });
    expect(() => sqliteTablesOf({ notDistinct })).toThrow(
      /column a: a unique column with NULLS NOT DISTINCT has no SQLite form/,
    );
  });

  it("refuses a foreign key to a table it was not given", () => {
    const owners = pgTable("owners", { id: integer("id").primaryKey() });
    const things = pgTable("things", {
      ownerId: integer("owner_id").references(() => owners.id),
    });
    expect(() => sqliteTablesOf({ things })).toThrow(
      /names the table owners, which is not among the tables given/,
    );
  });
});
