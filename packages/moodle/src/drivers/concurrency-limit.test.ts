import { describe, expect, it } from "vitest";
import { ConcurrencyLimit } from "./concurrency-limit.ts";

/** Runs `count` tasks through the limit and returns the most that ran at once. */
async function peak(limit: ConcurrencyLimit, count: number): Promise<number> {
  let running = 0;
  let most = 0;
  await Promise.all(
    Array.from({ length: count }, () =>
      limit.run(async () => {
        running++;
        most = Math.max(most, running);
        await new Promise((resolve) => setTimeout(resolve, 5));
        running--;
      }),
    ),
  );
  return most;
}

describe("ConcurrencyLimit", () => {
  it("runs at most as many tasks at once as allowed", async () => {
    expect(await peak(new ConcurrencyLimit(1), 5)).toBe(1);
    expect(await peak(new ConcurrencyLimit(3), 8)).toBe(3);
  });

  it("runs waiting tasks in order and frees the slot when a task fails", async () => {
    const limit = new ConcurrencyLimit(1);
    const order: number[] = [];
    const failing = limit.run(async () => {
      throw new Error("restore failed");
    });
    const next = [1, 2, 3].map((n) => limit.run(async () => order.push(n)));
    await expect(failing).rejects.toThrow("restore failed");
    await Promise.all(next);
    expect(order).toEqual([1, 2, 3]);
  });

  it("refuses a limit below 1", () => {
    expect(() => new ConcurrencyLimit(0)).toThrow(RangeError);
  });
});
