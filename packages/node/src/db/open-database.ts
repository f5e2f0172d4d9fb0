import { isDatabaseUrl, type NodeDatabase } from "./database.ts";

/** Opens the database at `location`: a postgres:// URL, or the path of a SQLite file. */
export async function openDatabase(location: string): Promise<NodeDatabase> {
  if (isDatabaseUrl(location)) {
    const { openPostgresDatabase } = await import("./postgres-database.ts");
    return openPostgresDatabase(location);
  }
  const { openSqliteDatabase } = await import("./sqlite-database.ts");
  return openSqliteDatabase(location);
}
