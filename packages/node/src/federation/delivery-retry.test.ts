import { describe, expect, it } from "vitest";
import { Temporal } from "../temporal.ts";
import { DELIVERY_RETRY_PERIOD, deliveryRetryPolicy } from "./delivery-retry.ts";

describe("deliveryRetryPolicy", () => {
  it("retries quickly at first, at most 12 hours apart, and stops after five days", () => {
    const policy = deliveryRetryPolicy();
    let elapsed = Temporal.Duration.from({ seconds: 0 });
    const delays: number[] = [];
    for (let attempts = 0; attempts < 1000; attempts++) {
      const delay = policy({ elapsedTime: elapsed, attempts });
      if (delay === null) break;
      delays.push(delay.total("second"));
      elapsed = elapsed.add(delay).round({ largestUnit: "hour" });
    }
    expect(delays[0]).toBeLessThanOrEqual(2);
    expect(Math.max(...delays)).toBe(12 * 3600);
    const total = delays.reduce((sum, delay) => sum + delay, 0);
    expect(total).toBeGreaterThanOrEqual(DELIVERY_RETRY_PERIOD.total("second"));
    expect(total).toBeLessThan(DELIVERY_RETRY_PERIOD.total("second") + 12 * 3600 + 1);
  });
});
