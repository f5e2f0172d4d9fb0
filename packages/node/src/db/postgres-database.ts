import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { drizzle } from "drizzle-orm/node-postgres";
import { migrate } from "drizzle-orm/node-postgres/migrator";
import pg from "pg";
import type { NodeDatabase } from "./database.ts";
import { DatabaseOpenError } from "./database-open-error.ts";
import { postgresTables as tables } from "./schema.postgres.ts";

const MIGRATIONS = join(dirname(fileURLToPath(import.meta.url)), "migrations", "postgres");

/** Held while migrating, so that processes starting together migrate one at a time. */
const MIGRATION_LOCK = 7_160_043_011;

/**
 * Opens a PostgreSQL database (a pool of connections) and brings its schema up to date.
 * Several node processes share it: each migrates under an advisory lock, and the first
 * one does the work.
 */
export async function openPostgresDatabase(url: string): Promise<NodeDatabase> {
  const pool = new pg.Pool({ connectionString: url, max: poolSize(url) });
  // An idle connection the server drops (restart, failover) must not crash the process.
  pool.on("error", () => {});
  const db = drizzle(pool, { schema: tables });
  let lock: pg.PoolClient;
  try {
    lock = await pool.connect();
  } catch (error) {
    await pool.end().catch(() => {});
    throw new DatabaseOpenError(withoutPassword(url), error);
  }
  try {
    await lock.query("select pg_advisory_lock($1)", [MIGRATION_LOCK]);
    await migrate(db, { migrationsFolder: MIGRATIONS });
  } finally {
    await lock.query("select pg_advisory_unlock($1)", [MIGRATION_LOCK]).catch(() => {});
    lock.release();
  }
  return Object.assign(db, {
    engine: "postgres" as const,
    tables,
    location: withoutPassword(url),
    close: () => pool.end(),
  }) as NodeDatabase;
}

/** The pool's size: `?pool=N` in the URL, or enough for the queue workers and requests. */
function poolSize(url: string): number {
  const asked = Number(new URL(url).searchParams.get("pool"));
  return Number.isInteger(asked) && asked > 0 ? asked : 16;
}

function withoutPassword(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = "***";
  return parsed.toString();
}
