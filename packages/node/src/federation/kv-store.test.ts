import type { KvStoreSetOptions } from "@fedify/fedify";
import { Temporal } from "@js-temporal/polyfill";
import { afterAll, describe, expect, it } from "vitest";
import { temporaryDatabase } from "../db/test-database.ts";
import { DatabaseKvStore } from "./kv-store.ts";

const database = temporaryDatabase();
afterAll(() => database.remove());

describe("DatabaseKvStore", () => {
  let clock = 1_000_000;
  const store = new DatabaseKvStore(database.open(), () => clock);

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
    expect(store.purgeExpired()).toBe(1);
  });

  it("lists by prefix of whole segments", async () => {
    await store.set(["p", "a"], 1);
    await store.set(["p", "a", "b"], 2);
    await store.set(["p", "ab"], 3);
    await store.set(["q"], 4);
    const listed = [];
    for await (const entry of store.list(["p", "a"])) listed.push(entry);
    expect(listed).toEqual([
      { key: ["p", "a"], value: 1 },
      { key: ["p", "a", "b"], value: 2 },
    ]);
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
});
