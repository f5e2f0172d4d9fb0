import { isDeepStrictEqual } from "node:util";
import type { KvKey, KvStore, KvStoreListEntry, KvStoreSetOptions } from "@fedify/fedify";
import { and, eq, gt, gte, isNull, lt, or } from "drizzle-orm";
import type { NodeDatabase } from "../db/database.ts";
import { kv } from "../db/schema.ts";

/** Fedify's key-value store on the node's database. */
export class DatabaseKvStore implements KvStore {
  readonly #db: NodeDatabase;
  readonly #now: () => number;

  constructor(db: NodeDatabase, now: () => number = Date.now) {
    this.#db = db;
    this.#now = now;
  }

  async get<T = unknown>(key: KvKey): Promise<T | undefined> {
    const row = this.#db
      .select({ value: kv.value })
      .from(kv)
      .where(and(eq(kv.key, encodeKey(key)), this.#live()))
      .get();
    return row ? (JSON.parse(row.value) as T) : undefined;
  }

  async set(key: KvKey, value: unknown, options?: KvStoreSetOptions): Promise<void> {
    const row = {
      key: encodeKey(key),
      value: JSON.stringify(value),
      expiresAt: this.#expiry(options),
    };
    this.#db
      .insert(kv)
      .values(row)
      .onConflictDoUpdate({ target: kv.key, set: { value: row.value, expiresAt: row.expiresAt } })
      .run();
  }

  async delete(key: KvKey): Promise<void> {
    this.#db
      .delete(kv)
      .where(eq(kv.key, encodeKey(key)))
      .run();
  }

  /** Sets `key` to `newValue` only if it now holds `expectedValue` (undefined: absent). */
  async cas(
    key: KvKey,
    expectedValue: unknown,
    newValue: unknown,
    options?: KvStoreSetOptions,
  ): Promise<boolean> {
    return this.#db.transaction(
      (tx) => {
        const encoded = encodeKey(key);
        const current = tx
          .select({ value: kv.value })
          .from(kv)
          .where(and(eq(kv.key, encoded), this.#live()))
          .get();
        const currentValue = current ? JSON.parse(current.value) : undefined;
        if (!isDeepStrictEqual(currentValue, expectedValue)) return false;
        const expiresAt = this.#expiry(options);
        const value = JSON.stringify(newValue);
        tx.insert(kv)
          .values({ key: encoded, value, expiresAt })
          .onConflictDoUpdate({ target: kv.key, set: { value, expiresAt } })
          .run();
        return true;
      },
      { behavior: "immediate" },
    );
  }

  async *list(prefix?: KvKey): AsyncIterable<KvStoreListEntry> {
    const live = this.#live();
    const rows = prefix
      ? this.#db
          .select()
          .from(kv)
          .where(and(or(eq(kv.key, encodeKey(prefix)), prefixRange(prefix)), live))
          .all()
      : this.#db.select().from(kv).where(live).all();
    for (const row of rows)
      yield { key: JSON.parse(row.key) as KvKey, value: JSON.parse(row.value) };
  }

  /** Removes expired entries; reads already ignore them. */
  purgeExpired(): number {
    return this.#db.delete(kv).where(lt(kv.expiresAt, this.#now())).run().changes;
  }

  #live() {
    return or(isNull(kv.expiresAt), gt(kv.expiresAt, this.#now()));
  }

  #expiry(options: KvStoreSetOptions | undefined): number | null {
    return options?.ttl ? this.#now() + options.ttl.total({ unit: "millisecond" }) : null;
  }
}

function encodeKey(key: KvKey): string {
  return JSON.stringify(key);
}

/**
 * Keys that extend `prefix` by at least one segment: as JSON text they start with the
 * prefix's text less its closing "]" plus ",". In SQLite's byte order those are exactly
 * the strings from that start up to the same start with "," raised to "-".
 */
function prefixRange(prefix: KvKey) {
  const start = `${encodeKey(prefix).slice(0, -1)},`;
  return and(gte(kv.key, start), lt(kv.key, `${start.slice(0, -1)}-`));
}
