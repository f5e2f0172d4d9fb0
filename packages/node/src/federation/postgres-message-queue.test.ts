import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually } from "../../../../test/support/eventually.ts";
import type { NodeDatabase } from "../db/database.ts";
import {
  TEST_POSTGRES_ENVIRONMENT,
  type TemporaryDatabase,
  temporaryDatabase,
} from "../db/test-database.ts";
import { createMessageQueue } from "./message-queue.ts";

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.skipIf(!process.env[TEST_POSTGRES_ENVIRONMENT])("PostgreSQL queue wakeups", () => {
  let database: TemporaryDatabase;
  let producerDb: NodeDatabase;
  let consumerDb: NodeDatabase;
  beforeAll(async () => {
    database = await temporaryDatabase();
    producerDb = await database.open();
    consumerDb = await database.open();
  });
  afterAll(async () => {
    await producerDb?.close();
    await consumerDb?.close();
    await database?.remove();
  });

  /** The server processes of this database's connections that listen for queue wakeups. */
  async function listeningBackends(): Promise<number[]> {
    const { rows } = await (producerDb as unknown as { $client: import("pg").Pool }).$client.query<{
      pid: number;
    }>(
      "select pid from pg_stat_activity where datname = current_database() and query ilike 'listen %'",
    );
    return rows.map((row) => row.pid);
  }

  it("wakes another process's listener at once, and again after its connection is lost", async () => {
    const producer = createMessageQueue(producerDb, { channel: "inbox" });
    const consumer = createMessageQueue(consumerDb, { channel: "inbox", pollInterval: 60_000 });
    const otherChannel = createMessageQueue(producerDb, { channel: "outbox" });
    const received: unknown[] = [];
    const controller = new AbortController();
    const listening = consumer.listen((message) => void received.push(message), {
      signal: controller.signal,
    });
    const [backend] = await eventually(async () => {
      const backends = await listeningBackends();
      return backends.length === 1 && backends;
    });

    await otherChannel.enqueue("not for the inbox");
    await producer.enqueue("first");
    await eventually(() => received.length === 1, 5_000);

    await producerDb.execute(`select pg_terminate_backend(${backend})`);
    await eventually(async () => {
      const backends = await listeningBackends();
      return backends.length === 1 && backends[0] !== backend;
    });
    await producer.enqueue("after the connection was lost");
    await eventually(() => received.length === 2, 5_000);

    controller.abort();
    await listening;
    expect(received).toEqual(["first", "after the connection was lost"]);
    expect(await listeningBackends()).toEqual([]);
  });

  it("releases the listening connection when aborted while connecting", async () => {
    const consumer = createMessageQueue(consumerDb, { pollInterval: 60_000 });
    const controller = new AbortController();
    const listening = consumer.listen(() => {}, { signal: controller.signal });
    const aborted = Date.now();
    controller.abort();
    await listening;
    expect(Date.now() - aborted).toBeLessThan(1_000);
    await pause(200);
    expect(await listeningBackends()).toEqual([]);
  });
});
