import { isDeepStrictEqual } from "node:util";
import type { KvKey, KvStore, KvStoreListEntry, KvStoreSetOptions } from "@fedify/fedify";
import { and, eq, gt, isNull, lt, lte, or, sql } from "drizzle-orm";
import type { NodeDatabase } from "../db/database.ts";

/** Fedify's key-value store on the node's database. */
export class DatabaseKvStore implements KvStore {
  readonly #db: NodeDatabase;
  readonly #now: () => number;

  constructor(db: NodeDatabase, now: () => number = Date.now) {
    this.#db = db;
    this.#now = now;
  }

  async get<T = unknown>(key: KvKey): Promise<T | undefined> {
    const { kv } = this.#db.tables;
    const [row] = await this.#db
      .select({ value: kv.value })
      .from(kv)
      .where(and(eq(kv.key, encodeKey(key)), this.#live(this.#now())))
      .limit(1);
    return row ? (JSON.parse(row.value) as T) : undefined;
  }

  async set(key: KvKey, value: unknown, options?: KvStoreSetOptions): Promise<void> {
    const { kv } = this.#db.tables;
    const row = {
      key: encodeKey(key),
      value: JSON.stringify(value),
      expiresAt: this.#expiry(this.#now(), options),
    };
    await this.#db
      .insert(kv)
      .values(row)
      .onConflictDoUpdate({ target: kv.key, set: { value: row.value, expiresAt: row.expiresAt } });
  }

  async delete(key: KvKey): Promise<void> {
    const { kv } = this.#db.tables;
    await this.#db.delete(kv).where(eq(kv.key, encodeKey(key)));
  }

  /**
   * Sets `key` to `newValue` only if it now holds `expectedValue` (undefined: absent).
   * The values are compared as JSON data, then the write is a single statement that
   * applies only if the entry still holds the text just read (or is still absent or
   * expired): atomic against other processes on either engine, with no lock held
   * between the read and the write.
   */
  async cas(
    key: KvKey,
    expectedValue: unknown,
    newValue: unknown,
    options?: KvStoreSetOptions,
  ): Promise<boolean> {
    const { kv } = this.#db.tables;
    const encoded = encodeKey(key);
    const now = this.#now();
    const [current] = await this.#db
      .select({ value: kv.value })
      .from(kv)
      .where(and(eq(kv.key, encoded), this.#live(now)))
      .limit(1);
    const currentValue = current ? JSON.parse(current.value) : undefined;
    if (!isDeepStrictEqual(currentValue, expectedValue)) return false;
    const value = JSON.stringify(newValue);
    const expiresAt = this.#expiry(now, options);
    const written = current
      ? await this.#db
          .update(kv)
          .set({ value, expiresAt })
          .where(and(eq(kv.key, encoded), eq(kv.value, current.value), this.#live(now)))
          .returning({ key: kv.key })
      : await this.#db
          .insert(kv)
          .values({ key: encoded, value, expiresAt })
          .onConflictDoUpdate({
            target: kv.key,
            set: { value, expiresAt },
            // An expired entry counts as absent.
            setWhere: lte(kv.expiresAt, now),
          })
          .returning({ key: kv.key });
    return written.length > 0;
  }

  async *list(prefix?: KvKey): AsyncIterable<KvStoreListEntry> {
    const { kv } = this.#db.tables;
    const live = this.#live(this.#now());
    const rows = await this.#db
      .select()
      .from(kv)
      .where(
        prefix
          ? and(or(eq(kv.key, encodeKey(prefix)), extendsPrefix(this.#db, prefix)), live)
          : live,
      );
    for (const row of rows)
      yield { key: JSON.parse(row.key) as KvKey, value: JSON.parse(row.value) };
  }

  /** Removes expired entries; reads already ignore them. */
  async purgeExpired(): Promise<number> {
    const { kv } = this.#db.tables;
    const purged = await this.#db
      .delete(kv)
      .where(lt(kv.expiresAt, this.#now()))
      .returning({ key: kv.key });
    return purged.length;
  }

  #live(now: number) {
    const { kv } = this.#db.tables;
    return or(isNull(kv.expiresAt), gt(kv.expiresAt, now));
  }

  #expiry(now: number, options: KvStoreSetOptions | undefined): number | null {
    return options?.ttl ? now + options.ttl.total({ unit: "millisecond" }) : null;
  }
}

function encodeKey(key: KvKey): string {
  return JSON.stringify(key);
}

/**
 * Keys that extend `prefix` by at least one segment: as JSON text they start with the
 * prefix's text less its closing "]" plus ",". Compared as a leading substring, not with
 * LIKE (whose wildcards keys may hold, and which ignores case in SQLite) nor as a range
 * (PostgreSQL's collations do not order text byte by byte); substr and length count
 * characters on both engines.
 */
function extendsPrefix(db: NodeDatabase, prefix: KvKey) {
  const { kv } = db.tables;
  const start = `${encodeKey(prefix).slice(0, -1)},`;
  return sql`substr(${kv.key}, 1, ${[...start].length}) = ${start}`;
}
