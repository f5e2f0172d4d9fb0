import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { RequestsInFlight } from "./requests-in-flight.ts";

describe("RequestsInFlight", () => {
  it("waits for the requests being handled, and no longer than the limit", async () => {
    const requests = new RequestsInFlight();
    const app = new Hono();
    app.use(requests.track());
    let finish = () => {};
    app.get("/slow", async (c) => {
      await new Promise<void>((resolve) => {
        finish = resolve;
      });
      return c.text("done");
    });
    app.get("/stuck", () => new Promise<Response>(() => {}));

    await requests.drained(1000);
    const slow = app.request("/slow");
    await new Promise((resolve) => setTimeout(resolve, 5));
    let drained = false;
    const draining = requests.drained(5000).then(() => {
      drained = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(drained).toBe(false);
    finish();
    await slow;
    await draining;
    expect(drained).toBe(true);

    void app.request("/stuck");
    const started = performance.now();
    await requests.drained(50);
    expect(performance.now() - started).toBeLessThan(1000);
  });
});
