import { describe, expect, it } from "vitest";
import { ExpiringRead } from "./expiring-read.ts";

/** A read that counts its calls and answers what `answers` says for each. */
function countedRead(answers: (call: number) => Promise<string>) {
  let calls = 0;
  return {
    read: () => answers(++calls),
    calls: () => calls,
  };
}

describe("ExpiringRead", () => {
  it("reads once for concurrent askers, and again once the lifetime is over", async () => {
    let now = 1_000;
    const source = countedRead(async (call) => `read ${call}`);
    const value = new ExpiringRead(source.read, 5000, () => now);
    expect(await Promise.all([value.get(), value.get(), value.get()])).toEqual([
      "read 1",
      "read 1",
      "read 1",
    ]);
    now += 4999;
    expect(await value.get()).toBe("read 1");
    now += 1;
    expect(await value.get()).toBe("read 2");
    expect(source.calls()).toBe(2);
  });

  it("keeps no failed read: the next asker reads again", async () => {
    const source = countedRead(async (call) => {
      if (call === 1) throw new Error("database is locked");
      return `read ${call}`;
    });
    const value = new ExpiringRead(source.read, 5000, () => 1_000);
    await expect(value.get()).rejects.toThrow("database is locked");
    expect(await value.get()).toBe("read 2");
    expect(await value.get()).toBe("read 2");
  });

  it("reads again after forget, within the lifetime", async () => {
    const source = countedRead(async (call) => `read ${call}`);
    const value = new ExpiringRead(source.read, 5000, () => 1_000);
    expect(await value.get()).toBe("read 1");
    value.forget();
    expect(await value.get()).toBe("read 2");
  });
});
