import type { KvStoreSetOptions } from "@fedify/fedify";
import { Temporal } from "@js-temporal/polyfill";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { NodeDatabase } from "../db/database.ts";
import { type TemporaryDatabase, temporaryDatabase } from "../db/test-database.ts";
import { DatabaseKvStore } from "./kv-store.ts";

describe("DatabaseKvStore", () => {
  let clock = 1_000_000;
  let database: TemporaryDatabase;
  let db: NodeDatabase;
  let store: DatabaseKvStore;
  beforeAll(async () => {
    database = await temporaryDatabase();
    db = await database.open();
    store = new DatabaseKvStore(db, () => clock);
  });
  afterAll(async () => {
    await db.close();
    await database.remove();
  });

  it("stores, reads and deletes JSON values under array keys", async () => {
    await store.set(["actor", "https://a.example/users/1"], { name: "Ada", keys: [1, 2] });
    expect(await store.get(["actor", "https://a.example/users/1"])).toEqual({
      name: "Ada",
      keys: [1, 2],
    });
    await store.set(["actor", "https://a.example/users/1"], "replaced");
    expect(await store.get(["actor", "https://a.example/users/1"])).toBe("replaced");
    await store.delete(["actor", "https://a.example/users/1"]);
    expect(await store.get(["actor", "https://a.example/users/1"])).toBeUndefined();
  });

  it("forgets values once their TTL has passed", async () => {
    // The polyfill's Duration and the one Fedify's types name are the same at run time.
    const ttl = Temporal.Duration.from({ seconds: 10 }) as unknown as KvStoreSetOptions["ttl"];
    await store.set(["cache", "x"], 1, { ttl });
    clock += 9_000;
    expect(await store.get(["cache", "x"])).toBe(1);
    clock += 2_000;
    expect(await store.get(["cache", "x"])).toBeUndefined();
    expect(await store.purgeExpired()).toBe(1);
  });

  it("lists by prefix of whole segments", async () => {
    await store.set(["p", "a"], 1);
    await store.set(["p", "a", "b"], 2);
    await store.set(["p", "ab"], 3);
    await store.set(["q"], 4);
    await store.set(["p", "A", "b"], 5);
    await store.set(["p", "a%"], 6);
    await store.set(["p", "a_", "b"], 7);
    const listed = [];
    for await (const entry of store.list(["p", "a"])) listed.push(entry);
    expect(listed).toHaveLength(2);
    expect(listed).toEqual(
      expect.arrayContaining([
        { key: ["p", "a"], value: 1 },
        { key: ["p", "a", "b"], value: 2 },
      ]),
    );
    // Wildcards of LIKE in a prefix are plain characters.
    const wildcard = [];
    for await (const entry of store.list(["p", "a_"])) wildcard.push(entry);
    expect(wildcard).toEqual([{ key: ["p", "a_", "b"], value: 7 }]);
    const all = [];
    for await (const entry of store.list()) all.push(entry.key);
    expect(all).toContainEqual(["q"]);
  });

  it("compares and swaps", async () => {
    expect(await store.cas(["lock"], undefined, "mine")).toBe(true);
    expect(await store.cas(["lock"], undefined, "theirs")).toBe(false);
    expect(await store.cas(["lock"], "mine", { holder: "next" })).toBe(true);
    expect(await store.cas(["lock"], { holder: "next" }, null)).toBe(true);
    expect(await store.get(["lock"])).toBeNull();
  });

  it("compares values as data, and treats an expired entry as absent", async () => {
    await store.set(["doc"], { a: 1, b: [2, 3] });
    expect(await store.cas(["doc"], { b: [2, 3], a: 1 }, "next")).toBe(true);
    const ttl = Temporal.Duration.from({ seconds: 1 }) as unknown as KvStoreSetOptions["ttl"];
    await store.set(["lease"], "old holder", { ttl });
    expect(await store.cas(["lease"], undefined, "new holder")).toBe(false);
    clock += 2_000;
    expect(await store.cas(["lease"], "old holder", "new holder")).toBe(false);
    expect(await store.cas(["lease"], undefined, "new holder")).toBe(true);
    expect(await store.get(["lease"])).toBe("new holder");
  });

  it("lets exactly one of many concurrent swaps from the same value win", async () => {
    const other = await database.open();
    try {
      const rival = new DatabaseKvStore(other, () => clock);
      await store.set(["counter"], 0);
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          (i % 2 === 0 ? store : rival).cas(["counter"], 0, { winner: i }),
        ),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
      const creations = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          (i % 2 === 0 ? store : rival).cas(["fresh"], undefined, i),
        ),
      );
      expect(creations.filter(Boolean)).toHaveLength(1);
    } finally {
      await other.close();
    }
  });
});
