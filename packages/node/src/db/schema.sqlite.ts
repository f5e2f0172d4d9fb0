/**
 * SQLite's tables, derived from schema.ts's descriptions (see there why they are written
 * with pg-core), so that the two engines cannot drift apart. Each column becomes its
 * SQLite form: bigint milliseconds and integers `integer`, booleans `integer` in boolean
 * mode, jsonb `text` in JSON mode, an identity an autoincrement key; names, nullability,
 * defaults, keys, indexes and foreign keys are carried over as they are. What has no
 * SQLite form here is refused when this module loads, rather than silently left out.
 *
 * The SQLite database uses `sqliteTables`; the named exports below are for drizzle-kit
 * (drizzle.config.ts), which finds tables only among a file's exports.
 */
import { getTableColumns, is, SQL } from "drizzle-orm";
import {
  getTableConfig,
  type IndexedColumn,
  type PgColumn,
  type PgTable,
} from "drizzle-orm/pg-core";
import {
  foreignKey,
  getTableConfig as getSqliteTableConfig,
  index,
  integer,
  primaryKey,
  SQLiteBaseIntegerBuilder,
  type SQLiteColumn,
  type SQLiteColumnBuilderBase,
  type SQLiteTable,
  sqliteTable,
  text,
  uniqueIndex,
} from "drizzle-orm/sqlite-core";
import { postgresTables } from "./schema.postgres.ts";

/** Every table of schema.ts in its SQLite form, under the same names. */
export const sqliteTables = sqliteTablesOf(postgresTables);

export const {
  kv,
  queuePayloads,
  queueMessages,
  localActors,
  actorKeys,
  remoteActors,
  followers,
  followings,
  courses,
  courseRevisions,
  catalogEntries,
  catalogRevisions,
  catalogRestorable,
  apiTokens,
  uploads,
  peers,
  moodleTargets,
  restoreJobs,
  moodleCourseGrants,
  restoreRules,
  restoredCourses,
  moodlePublications,
  webAccounts,
  webSessions,
  loginFailures,
  auditLog,
  scheduledTasks,
  catchUpRuns,
  nodeSettings,
  webUploads,
  moodleUsers,
  reports,
} = sqliteTables;

/** The SQLite form of each of `tables`, under the same keys. */
export function sqliteTablesOf<Described extends Record<string, PgTable>>(
  tables: Described,
): { [Key in keyof Described]: SQLiteTable } {
  const derived = new Map<PgTable, SQLiteTable>();
  const sqliteTableFor = (table: PgTable): SQLiteTable => {
    const found = derived.get(table);
    if (!found) {
      throw new Error(
        `schema.ts: a foreign key names the table ${getTableConfig(table).name}, which is not among the tables given: export it from schema.ts.`,
      );
    }
    return found;
  };
  for (const table of Object.values(tables)) {
    derived.set(table, sqliteTableOf(table, sqliteTableFor));
  }
  // Keys, indexes and foreign keys are built when a table's configuration is read: read
  // each now, every table being there, so that what has no SQLite form is refused here
  // rather than by the first query or drizzle-kit run that reads it.
  for (const table of derived.values()) getSqliteTableConfig(table);
  return Object.fromEntries(
    Object.entries(tables).map(([key, table]) => [key, derived.get(table)]),
  ) as { [Key in keyof Described]: SQLiteTable };
}

function sqliteTableOf(
  table: PgTable,
  sqliteTableFor: (table: PgTable) => SQLiteTable,
): SQLiteTable {
  const config = getTableConfig(table);
  const where = `schema.ts, table ${config.name}`;
  if (
    config.schema !== undefined ||
    config.checks.length > 0 ||
    config.uniqueConstraints.length > 0 ||
    config.policies.length > 0 ||
    config.enableRLS
  ) {
    throw new Error(
      `${where}: a PostgreSQL schema, a check, a table-level unique constraint or row-level security has no SQLite form here; use a unique index, or teach schema.sqlite.ts the new construct.`,
    );
  }
  const columns = Object.fromEntries(
    Object.entries(getTableColumns(table)).map(([key, column]) => [
      key,
      sqliteColumnOf(column, `${where}, column ${column.name}`),
    ]),
  );
  return sqliteTable(config.name, columns, (own) => [
    ...config.primaryKeys.map((key) =>
      primaryKey({
        ...(key.name === undefined ? {} : { name: key.name }),
        columns: key.columns.map((column) => columnNamed(own, column.name)) as [
          SQLiteColumn,
          ...SQLiteColumn[],
        ],
      }),
    ),
    ...config.indexes.map(({ config: described }) => {
      const { name, columns: indexed, unique, method, where: condition } = described;
      if (!name || method !== "btree" || condition !== undefined) {
        throw new Error(
          `${where}: an index without a name, with a method other than btree or with a condition has no SQLite form here; name it, or make it in a hand-written migration.`,
        );
      }
      const indexedColumns = indexed.map((column) => {
        const plain = is(column, SQL) ? undefined : (column as IndexedColumn);
        if (!plain?.name || plain.indexConfig?.order === "desc" || plain.indexConfig?.opClass) {
          throw new Error(
            `${where}, index ${name}: only plain ascending columns have a SQLite form here; make an engine-specific index in a hand-written migration.`,
          );
        }
        return columnNamed(own, plain.name);
      });
      return (unique ? uniqueIndex : index)(name).on(
        ...(indexedColumns as [SQLiteColumn, ...SQLiteColumn[]]),
      );
    }),
    ...config.foreignKeys.map((described) => {
      const reference = described.reference();
      const foreignTable = getTableColumns(sqliteTableFor(reference.foreignTable));
      return foreignKey({
        ...(reference.name === undefined ? {} : { name: reference.name }),
        columns: reference.columns.map((column) => columnNamed(own, column.name)) as [
          SQLiteColumn,
          ...SQLiteColumn[],
        ],
        foreignColumns: reference.foreignColumns.map((column) =>
          columnNamed(foreignTable, column.name),
        ) as [SQLiteColumn, ...SQLiteColumn[]],
      })
        .onDelete(described.onDelete ?? "no action")
        .onUpdate(described.onUpdate ?? "no action");
    }),
  ]);
}

/** What the derivation calls on a SQLite column builder: each call changes it in place. */
interface ColumnBuilder extends SQLiteColumnBuilderBase {
  primaryKey(): unknown;
  notNull(): unknown;
  default(value: unknown): unknown;
  unique(name?: string): unknown;
}

/** The SQLite column for a described one (see the top of this file). */
function sqliteColumnOf(column: PgColumn, where: string): ColumnBuilder {
  if (column.defaultFn || column.onUpdateFn || column.generated || is(column.default, SQL)) {
    throw new Error(
      `${where}: a default computed in JavaScript or SQL, or a generated column, has no SQLite form here; give a plain default value, or make the column in a hand-written migration.`,
    );
  }
  if (column.uniqueType !== undefined) {
    throw new Error(
      `${where}: a unique column with NULLS NOT DISTINCT has no SQLite form here; make it a plain unique column, or make the constraint in a hand-written migration.`,
    );
  }
  const builder = sqliteBuilderOf(column, where);
  if (column.generatedIdentity) {
    if (!column.primary || !is(builder, SQLiteBaseIntegerBuilder)) {
      throw new Error(
        `${where}: SQLite numbers rows itself only for an integer primary key; make the identity column the table's integer primary key.`,
      );
    }
    builder.primaryKey({ autoIncrement: true });
  } else if (column.primary) {
    builder.primaryKey();
  }
  if (column.notNull) builder.notNull();
  if (column.default !== undefined) builder.default(column.default);
  if (column.isUnique) builder.unique(column.uniqueName);
  return builder;
}

function sqliteBuilderOf(column: PgColumn, where: string): ColumnBuilder {
  switch (column.columnType) {
    case "PgText":
      return text(column.name, { enum: column.enumValues as [string, ...string[]] | undefined });
    case "PgInteger":
    case "PgBigInt53":
      return integer(column.name);
    case "PgBoolean":
      return integer(column.name, { mode: "boolean" });
    case "PgJsonb":
      return text(column.name, { mode: "json" });
    default:
      throw new Error(
        `${where}: the column type ${column.columnType} has no SQLite form here; use text, integer, bigint (mode "number"), boolean or jsonb, or teach schema.sqlite.ts the new type.`,
      );
  }
}

/** A column of `columns` by its database name. */
function columnNamed(columns: Record<string, SQLiteColumn>, name: string): SQLiteColumn {
  const found = Object.values(columns).find((column) => column.name === name);
  if (!found) throw new Error(`schema.sqlite.ts: no derived column is named ${name}.`);
  return found;
}
