import { testMessageQueue } from "@fedify/testing";
import { afterAll, describe, expect, it } from "vitest";
import { eventually } from "../../../../test/support/eventually.ts";
import { temporaryDatabase } from "../db/test-database.ts";
import { DatabaseMessageQueue } from "./message-queue.ts";

const databases: Array<ReturnType<typeof temporaryDatabase>> = [];
function freshDatabase() {
  const database = temporaryDatabase();
  databases.push(database);
  return database;
}
afterAll(() => {
  for (const database of databases) database.remove();
});

describe("DatabaseMessageQueue", () => {
  it("passes Fedify's message queue conformance suite, ordering keys included", async () => {
    const database = freshDatabase();
    // Two connections to one file, as two processes would have.
    await testMessageQueue(
      () => new DatabaseMessageQueue(database.open(), { pollInterval: 200 }),
      ({ controller }) => controller.abort(),
      { testOrderingKey: true },
    );
  }, 120_000);

  it("passes the suite too when each listener handles several messages at once", async () => {
    const database = freshDatabase();
    await testMessageQueue(
      () => new DatabaseMessageQueue(database.open(), { pollInterval: 200, concurrency: 4 }),
      ({ controller }) => controller.abort(),
      { testOrderingKey: true },
    );
  }, 120_000);

  it("overlaps slow messages, one at a time per ordering key", async () => {
    const queue = new DatabaseMessageQueue(freshDatabase().open(), { concurrency: 4 });
    await queue.enqueueMany(["a1", "a2", "a3"], { orderingKey: "peer-a" });
    await queue.enqueueMany(["b1", "c1", "d1"]);
    const started: string[] = [];
    let inFlight = 0;
    let mostInFlight = 0;
    const controller = new AbortController();
    const listening = queue.listen(
      async (message) => {
        inFlight++;
        mostInFlight = Math.max(mostInFlight, inFlight);
        started.push(message as string);
        await new Promise((resolve) => setTimeout(resolve, 100));
        inFlight--;
      },
      { signal: controller.signal },
    );
    await eventually(() => started.length === 6);
    controller.abort();
    await listening;
    expect(mostInFlight).toBe(4);
    expect(started.filter((message) => message.startsWith("a"))).toEqual(["a1", "a2", "a3"]);
  });

  it("keeps channels apart: a listener takes only its own channel's messages", async () => {
    const db = freshDatabase().open();
    const inbox = new DatabaseMessageQueue(db, { channel: "inbox", pollInterval: 50 });
    const outbox = new DatabaseMessageQueue(db, { channel: "outbox", pollInterval: 50 });
    await inbox.enqueue("incoming");
    await outbox.enqueue("delivery");
    const received: unknown[] = [];
    const controller = new AbortController();
    const listening = inbox.listen((message) => void received.push(message), {
      signal: controller.signal,
    });
    await eventually(() => received.length === 1);
    await new Promise((resolve) => setTimeout(resolve, 200));
    controller.abort();
    await listening;
    expect(received).toEqual(["incoming"]);
    expect(await outbox.getDepth()).toMatchObject({ queued: 1 });
  });

  it("keeps queued messages across a restart and hands each out once", async () => {
    const database = freshDatabase();
    const first = database.open();
    await new DatabaseMessageQueue(first).enqueueMany(["a", "b", "c"]);
    first.$client.close();

    const after = new DatabaseMessageQueue(database.open(), { pollInterval: 50 });
    const received: unknown[] = [];
    const controller = new AbortController();
    const listening = after.listen((message) => void received.push(message), {
      signal: controller.signal,
    });
    await eventually(() => received.length === 3);
    await new Promise((resolve) => setTimeout(resolve, 200));
    controller.abort();
    await listening;
    expect(received.sort()).toEqual(["a", "b", "c"]);
    expect(await after.getDepth()).toEqual({ queued: 0, delayed: 0, ready: 0 });
  });

  it("gives a message held by a dead worker to another once the lease runs out", async () => {
    const database = freshDatabase();
    let clock = Date.now();
    const crashed = new DatabaseMessageQueue(database.open(), { lease: 60_000, now: () => clock });
    await crashed.enqueue("orphan");
    // A worker takes the message and dies with it: simulated by a handler that never returns.
    const controller = new AbortController();
    let taken = 0;
    void crashed.listen(
      () => {
        taken++;
        return new Promise<void>(() => {});
      },
      { signal: controller.signal },
    );
    await eventually(() => taken === 1);

    const survivor = new DatabaseMessageQueue(database.open(), {
      lease: 60_000,
      pollInterval: 20,
      now: () => clock,
    });
    const received: unknown[] = [];
    const survivorController = new AbortController();
    const listening = survivor.listen((message) => void received.push(message), {
      signal: survivorController.signal,
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(received).toEqual([]);
    clock += 61_000;
    await eventually(() => received.length === 1);
    survivorController.abort();
    controller.abort();
    await listening;
    expect(received).toEqual(["orphan"]);
  });

  it("retries a message whose handler failed, later", async () => {
    const database = freshDatabase();
    let clock = Date.now();
    const queue = new DatabaseMessageQueue(database.open(), { pollInterval: 20, now: () => clock });
    await queue.enqueue({ n: 1 });
    let calls = 0;
    const controller = new AbortController();
    const listening = queue.listen(
      () => {
        calls++;
        if (calls === 1) throw new Error("boom");
      },
      { signal: controller.signal },
    );
    await eventually(() => calls === 1);
    expect(await queue.getDepth()).toMatchObject({ queued: 1, delayed: 1 });
    clock += 5_000;
    await eventually(() => calls === 2);
    controller.abort();
    await listening;
    expect(await queue.getDepth()).toMatchObject({ queued: 0 });
  });
});
