import { testMessageQueue } from "@fedify/testing";
import { afterAll, describe, expect, it } from "vitest";
import { eventually } from "../../../../test/support/eventually.ts";
import type { NodeDatabase } from "../db/database.ts";
import { type TemporaryDatabase, temporaryDatabase } from "../db/test-database.ts";
import { Temporal } from "../temporal.ts";
import { createMessageQueue, type DatabaseMessageQueueOptions } from "./message-queue.ts";

const databases: TemporaryDatabase[] = [];
const opened: NodeDatabase[] = [];

async function freshDatabase(): Promise<TemporaryDatabase> {
  const database = await temporaryDatabase();
  databases.push(database);
  return database;
}

/** A queue on its own connection to `database`, as another process would have. */
async function queueOn(database: TemporaryDatabase, options: DatabaseMessageQueueOptions = {}) {
  const db = await database.open();
  opened.push(db);
  return createMessageQueue(db, options);
}

afterAll(async () => {
  for (const db of opened) await db.close();
  for (const database of databases) await database.remove();
});

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("DatabaseMessageQueue", () => {
  it("passes Fedify's message queue conformance suite, ordering keys included", async () => {
    const database = await freshDatabase();
    // Two connections to one database, as two processes would have.
    await testMessageQueue(
      () => queueOn(database, { pollInterval: 200 }),
      ({ controller }) => controller.abort(),
      { testOrderingKey: true },
    );
  }, 120_000);

  it("passes the suite too when each listener handles several messages at once", async () => {
    const database = await freshDatabase();
    await testMessageQueue(
      () => queueOn(database, { pollInterval: 200, concurrency: 4 }),
      ({ controller }) => controller.abort(),
      { testOrderingKey: true },
    );
  }, 120_000);

  it("overlaps slow messages, one at a time per ordering key", async () => {
    const queue = await queueOn(await freshDatabase(), { concurrency: 4 });
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
        await pause(100);
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

  it("hands each of 300 messages to exactly one of three processes' listeners", async () => {
    const database = await freshDatabase();
    const options = { pollInterval: 200, concurrency: 4 };
    const [first, second, third] = await Promise.all([
      queueOn(database, options),
      queueOn(database, options),
      queueOn(database, options),
    ]);
    const handled = new Map<number, number>();
    const byQueue = new Map<number, number>();
    const controller = new AbortController();
    const listening = [first, second, third].map((queue, index) =>
      queue.listen(
        async (message) => {
          const n = message as number;
          handled.set(n, (handled.get(n) ?? 0) + 1);
          byQueue.set(index, (byQueue.get(index) ?? 0) + 1);
          await pause(Math.random() * 5);
        },
        { signal: controller.signal },
      ),
    );
    const messages = Array.from({ length: 300 }, (_, n) => n);
    // From each of the three, in batches and one by one, while the others take.
    await Promise.all([
      first.enqueueMany(messages.slice(0, 100)),
      ...messages.slice(100, 200).map((n) => second.enqueue(n)),
      third.enqueueMany(messages.slice(200, 250)),
      third.enqueueMany(messages.slice(250)),
    ]);
    await eventually(() => handled.size === 300, 30_000);
    await pause(300);
    controller.abort();
    await Promise.all(listening);
    expect([...handled.values()].every((times) => times === 1)).toBe(true);
    expect([...byQueue.values()].reduce((sum, n) => sum + n)).toBe(300);
    expect(byQueue.size).toBeGreaterThan(1);
    expect(await first.getDepth()).toEqual({ queued: 0, delayed: 0, ready: 0 });
  }, 60_000);

  it("hands messages sharing a payload whole to three processes while they queue more of them", async () => {
    const database = await freshDatabase();
    const options = { pollInterval: 100, concurrency: 8 };
    const queues = await Promise.all([1, 2, 3].map(() => queueOn(database, options)));
    const shared = { activity: { id: "https://univ.example/a", summary: "x".repeat(2000) } };
    const whole = new Map<number, number>();
    const controller = new AbortController();
    const listening = queues.map((queue) =>
      queue.listen(
        async (message) => {
          const { n, activity } = message as { n: number; activity: unknown };
          if (JSON.stringify(activity) === JSON.stringify(shared.activity)) {
            whole.set(n, (whole.get(n) ?? 0) + 1);
          }
          await pause(Math.random() * 3);
        },
        { signal: controller.signal },
      ),
    );
    // Each process queues batches naming the payload while the others delete the handled
    // messages and, with the last of a batch, try to delete the payload.
    await Promise.all(
      queues.map(async (queue, index) => {
        for (let batch = 0; batch < 4; batch++) {
          const first = index * 100 + batch * 25;
          await queue.enqueueEach(
            Array.from({ length: 25 }, (_, k) => ({
              message: { n: first + k, ...shared },
              shared,
            })),
          );
          await pause(Math.random() * 20);
        }
      }),
    );
    await eventually(() => whole.size === 300, 30_000);
    const db = await database.open();
    opened.push(db);
    const { queuePayloads } = db.tables;
    await eventually(
      async () => (await db.select({ id: queuePayloads.id }).from(queuePayloads)).length === 0,
    );
    controller.abort();
    await Promise.all(listening);
    expect([...whole.values()].every((times) => times === 1)).toBe(true);
  }, 60_000);

  it("keeps an ordering key's messages in order and one at a time across processes", async () => {
    const database = await freshDatabase();
    const options = { pollInterval: 100, concurrency: 3 };
    const queues = await Promise.all([
      queueOn(database, options),
      queueOn(database, options),
      queueOn(database, options),
    ]);
    const keys = ["peer-a", "peer-b", "peer-c"] as const;
    const seen = new Map<string, number[]>(keys.map((key) => [key, []]));
    const inFlight = new Map<string, number>();
    let overlapped = false;
    let unkeyed = 0;
    const controller = new AbortController();
    const listening = queues.map((queue) =>
      queue.listen(
        async (message) => {
          const { key, n } = message as { key: string | null; n: number };
          if (key === null) {
            unkeyed++;
            return;
          }
          if (inFlight.get(key)) overlapped = true;
          inFlight.set(key, 1);
          seen.get(key)?.push(n);
          await pause(Math.random() * 10);
          inFlight.set(key, 0);
        },
        { signal: controller.signal },
      ),
    );
    // Each key from a process of its own, unkeyed messages from all three in turn.
    for (let n = 0; n < 20; n++) {
      for (const [index, queue] of queues.entries()) {
        await queue.enqueue({ key: keys[index], n }, { orderingKey: keys[index] });
        if (n % 3 === index) await queue.enqueue({ key: null, n });
      }
    }
    await eventually(() => [...seen.values()].every((ns) => ns.length === 20) && unkeyed === 20);
    controller.abort();
    await Promise.all(listening);
    expect(overlapped).toBe(false);
    for (const ns of seen.values()) expect(ns).toEqual(Array.from({ length: 20 }, (_, n) => n));
  }, 60_000);

  it("takes and deletes many messages per statement", async () => {
    const database = await freshDatabase();
    const db = await database.open();
    opened.push(db);
    // Counts the statements that take and delete messages (enqueues insert).
    let takesAndDeletes = 0;
    const counting = new Proxy(db, {
      get(target, property, receiver) {
        const value = Reflect.get(target, property, receiver);
        if (property !== "update" && property !== "delete") return value;
        return (...args: unknown[]) => {
          takesAndDeletes++;
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
    const queue = createMessageQueue(counting, { concurrency: 20, pollInterval: 50 });
    await queue.enqueueMany(Array.from({ length: 200 }, (_, n) => n));
    const handled = new Set<number>();
    const controller = new AbortController();
    const listening = queue.listen(
      async (message) => {
        await pause(1);
        handled.add(message as number);
      },
      { signal: controller.signal },
    );
    await eventually(async () => (await queue.getDepth()).queued === 0);
    controller.abort();
    await listening;
    expect(handled.size).toBe(200);
    // One take and one delete per message would be 400.
    expect(takesAndDeletes).toBeLessThan(80);
  });

  it("puts a handler's next attempt under its message's ordering key in its place", async () => {
    const queue = await queueOn(await freshDatabase(), { pollInterval: 20, concurrency: 4 });
    await queue.enqueue({ name: "create", attempt: 0 }, { orderingKey: "course inbox" });
    await queue.enqueue({ name: "update", attempt: 0 }, { orderingKey: "course inbox" });
    const handled: string[] = [];
    const controller = new AbortController();
    const listening = queue.listen(
      async (message) => {
        const { name, attempt } = message as { name: string; attempt: number };
        handled.push(`${name} ${attempt}`);
        // As Fedify does with a delivery that failed: queue it again, a little later.
        if (name === "create" && attempt === 0) {
          await queue.enqueue(
            { name, attempt: 1 },
            { orderingKey: "course inbox", delay: Temporal.Duration.from({ milliseconds: 200 }) },
          );
        }
      },
      { signal: controller.signal },
    );
    await eventually(() => handled.length === 3);
    await pause(100);
    controller.abort();
    await listening;
    expect(handled).toEqual(["create 0", "create 1", "update 0"]);
    expect(await queue.getDepth()).toEqual({ queued: 0, delayed: 0, ready: 0 });
  });

  it("queues messages with ordering keys and delays of their own in one call", async () => {
    let clock = Date.now();
    const queue = await queueOn(await freshDatabase(), { pollInterval: 20, now: () => clock });
    await queue.enqueueEach([
      { message: "a1", orderingKey: "a" },
      { message: "later", delay: Temporal.Duration.from({ seconds: 60 }) },
      { message: "b1", orderingKey: "b" },
      { message: "a2", orderingKey: "a" },
    ]);
    expect(await queue.getDepth()).toEqual({ queued: 4, delayed: 1, ready: 3 });
    const handled: string[] = [];
    const controller = new AbortController();
    const listening = queue.listen((message) => void handled.push(message as string), {
      signal: controller.signal,
    });
    await eventually(() => handled.length === 3);
    expect(handled.indexOf("a1")).toBeLessThan(handled.indexOf("a2"));
    clock += 61_000;
    await eventually(() => handled.length === 4);
    controller.abort();
    await listening;
    expect(handled.at(-1)).toBe("later");
  });

  it("wakes a listener at once on an enqueue, without waiting for its poll", async () => {
    const database = await freshDatabase();
    // One database object for both on SQLite (in-process wakeups), two on PostgreSQL.
    const listener = await queueOn(database, { pollInterval: 60_000 });
    const received: number[] = [];
    const controller = new AbortController();
    const listening = listener.listen((message) => void received.push(message as number), {
      signal: controller.signal,
    });
    await pause(300);
    const started = Date.now();
    await listener.enqueue(1);
    await eventually(() => received.length === 1);
    expect(Date.now() - started).toBeLessThan(5_000);
    controller.abort();
    await listening;
  });

  it("stops listening promptly on abort", async () => {
    const queue = await queueOn(await freshDatabase(), { pollInterval: 60_000, concurrency: 3 });
    const controller = new AbortController();
    const listening = queue.listen(() => {}, { signal: controller.signal });
    await pause(300);
    const aborted = Date.now();
    controller.abort();
    await listening;
    expect(Date.now() - aborted).toBeLessThan(1_000);
  });

  it("keeps channels apart: a listener takes only its own channel's messages", async () => {
    const database = await freshDatabase();
    const db = await database.open();
    opened.push(db);
    const inbox = createMessageQueue(db, { channel: "inbox", pollInterval: 50 });
    const outbox = createMessageQueue(db, { channel: "outbox", pollInterval: 50 });
    await inbox.enqueue("incoming");
    await outbox.enqueue("delivery");
    const received: unknown[] = [];
    const controller = new AbortController();
    const listening = inbox.listen((message) => void received.push(message), {
      signal: controller.signal,
    });
    await eventually(() => received.length === 1);
    await pause(200);
    controller.abort();
    await listening;
    expect(received).toEqual(["incoming"]);
    expect(await outbox.getDepth()).toMatchObject({ queued: 1 });
  });

  it("keeps queued messages across a restart and hands each out once", async () => {
    const database = await freshDatabase();
    const first = await database.open();
    await createMessageQueue(first).enqueueMany(["a", "b", "c"]);
    await first.close();

    const after = await queueOn(database, { pollInterval: 50 });
    const received: unknown[] = [];
    const controller = new AbortController();
    const listening = after.listen((message) => void received.push(message), {
      signal: controller.signal,
    });
    await eventually(() => received.length === 3);
    await pause(200);
    controller.abort();
    await listening;
    expect(received.sort()).toEqual(["a", "b", "c"]);
    expect(await after.getDepth()).toEqual({ queued: 0, delayed: 0, ready: 0 });
  });

  it("gives a message held by a dead worker to another once the lease runs out", async () => {
    const database = await freshDatabase();
    let clock = Date.now();
    const crashed = await queueOn(database, { lease: 60_000, now: () => clock });
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

    const survivor = await queueOn(database, {
      lease: 60_000,
      pollInterval: 20,
      now: () => clock,
    });
    const received: unknown[] = [];
    const survivorController = new AbortController();
    const listening = survivor.listen((message) => void received.push(message), {
      signal: survivorController.signal,
    });
    await pause(200);
    expect(received).toEqual([]);
    clock += 61_000;
    await eventually(() => received.length === 1);
    survivorController.abort();
    controller.abort();
    await listening;
    expect(received).toEqual(["orphan"]);
  });

  it("stores what many messages share once, and hands each message whole, across a restart", async () => {
    const database = await freshDatabase();
    const first = await database.open();
    const { queueMessages, queuePayloads } = first.tables;
    // A fan-out's deliveries: each names its inbox, all carry the same activity and keys.
    const shared = {
      activity: { id: "https://univ.example/courses/1/activity", summary: "x".repeat(4000) },
      keys: [{ keyId: "https://univ.example/actors/institution#main-key" }],
    };
    const inboxes = Array.from({ length: 60 }, (_, n) => `https://school${n}.example/inbox`);
    await createMessageQueue(first).enqueueEach(
      inboxes.map((inbox) => ({ message: { type: "outbox", inbox, ...shared }, shared })),
    );
    expect(await first.select({ id: queuePayloads.id }).from(queuePayloads)).toHaveLength(1);
    const stored = await first.select({ message: queueMessages.message }).from(queueMessages);
    expect(stored).toHaveLength(60);
    for (const { message } of stored) {
      expect(Object.keys(message as object).sort()).toEqual(["inbox", "type"]);
    }
    await first.close();

    const db = await database.open();
    opened.push(db);
    const queue = createMessageQueue(db, { pollInterval: 20, concurrency: 8 });
    const received: Record<string, unknown>[] = [];
    const controller = new AbortController();
    const listening = queue.listen(
      (message) => void received.push(message as Record<string, unknown>),
      { signal: controller.signal },
    );
    await eventually(() => received.length === 60);
    await eventually(
      async () => (await db.select({ id: queuePayloads.id }).from(queuePayloads)).length === 0,
    );
    controller.abort();
    await listening;
    expect(received.map(({ inbox }) => inbox).sort()).toEqual([...inboxes].sort());
    for (const message of received)
      expect(message).toEqual({ type: "outbox", inbox: message.inbox, ...shared });
    // One activity object for all: a delivery serializes and hashes it once per fan-out.
    expect(new Set(received.map(({ activity }) => activity)).size).toBe(1);
    expect(await queue.getDepth()).toEqual({ queued: 0, delayed: 0, ready: 0 });
  });

  it("keeps the payload of a message retried in its place, and drops it once none names it", async () => {
    const database = await freshDatabase();
    const db = await database.open();
    opened.push(db);
    const { queuePayloads } = db.tables;
    const queue = createMessageQueue(db, { pollInterval: 20, concurrency: 4 });
    const shared = { activity: { id: "https://univ.example/a" }, keys: ["key"] };
    await queue.enqueueEach(
      ["create", "update"].map((name) => ({
        message: { name, attempt: 0, ...shared },
        orderingKey: "course inbox",
        shared,
      })),
    );
    const handled: string[] = [];
    const controller = new AbortController();
    const listening = queue.listen(
      async (message) => {
        const { name, attempt, activity } = message as {
          name: string;
          attempt: number;
          activity: unknown;
        };
        handled.push(`${name} ${attempt} ${JSON.stringify(activity)}`);
        if (name === "create" && attempt === 0) {
          await queue.enqueueEach([
            {
              message: { ...(message as object), attempt: 1 },
              orderingKey: "course inbox",
              delay: Temporal.Duration.from({ milliseconds: 100 }),
              shared,
            },
          ]);
          // The payload is still named, by the retry and by the Update behind it.
          expect(await db.select({ id: queuePayloads.id }).from(queuePayloads)).toHaveLength(1);
        }
      },
      { signal: controller.signal },
    );
    await eventually(() => handled.length === 3);
    await eventually(
      async () => (await db.select({ id: queuePayloads.id }).from(queuePayloads)).length === 0,
    );
    controller.abort();
    await listening;
    const activity = JSON.stringify(shared.activity);
    expect(handled).toEqual([
      `create 0 ${activity}`,
      `create 1 ${activity}`,
      `update 0 ${activity}`,
    ]);
  });

  it("retries a message whose handler failed, later", async () => {
    const database = await freshDatabase();
    let clock = Date.now();
    const queue = await queueOn(database, { pollInterval: 20, now: () => clock });
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
