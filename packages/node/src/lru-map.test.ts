import { describe, expect, it } from "vitest";
import { LruMap } from "./lru-map.ts";

describe("LruMap", () => {
  it("forgets the entry written longest ago once past its capacity", () => {
    const map = new LruMap<string, number>(2);
    map.set("a", 1).set("b", 2).set("c", 3);
    expect(map.size).toBe(2);
    expect(map.has("a")).toBe(false);
    expect([map.get("b"), map.get("c")]).toEqual([2, 3]);
  });

  it("keeps an entry that was read since: the one used longest ago goes", () => {
    const map = new LruMap<string, number>(2);
    map.set("a", 1).set("b", 2);
    expect(map.get("a")).toBe(1);
    map.set("c", 3);
    expect(map.has("a")).toBe(true);
    expect(map.has("b")).toBe(false);
  });

  it("counts a rewritten key once and makes it the most recent", () => {
    const map = new LruMap<string, number>(2);
    map.set("a", 1).set("b", 2).set("a", 10).set("c", 3);
    expect(map.size).toBe(2);
    expect(map.get("a")).toBe(10);
    expect(map.has("b")).toBe(false);
  });

  it("keeps undefined values as values, and deletes on demand", () => {
    const map = new LruMap<string, number | undefined>(2);
    map.set("a", undefined).set("b", 2);
    expect(map.has("a")).toBe(true);
    map.get("a");
    map.set("c", 3);
    expect(map.has("a")).toBe(true);
    expect(map.delete("a")).toBe(true);
    expect(map.delete("a")).toBe(false);
    expect(map.size).toBe(1);
  });

  it("refuses a capacity that could hold nothing", () => {
    expect(() => new LruMap(0)).toThrow(RangeError);
    expect(() => new LruMap(1.5)).toThrow(RangeError);
  });
});
