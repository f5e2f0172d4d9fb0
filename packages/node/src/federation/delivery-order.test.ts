import { afterAll, describe, expect, it } from "vitest";
import type { NodeDatabase } from "../db/database.ts";
import { type TemporaryDatabase, temporaryDatabase } from "../db/test-database.ts";
import { orderDeliveries } from "./delivery-order.ts";
import { createMessageQueue } from "./message-queue.ts";

let database: TemporaryDatabase | undefined;
let db: NodeDatabase | undefined;

afterAll(async () => {
  await db?.close();
  await database?.remove();
});

describe("orderDeliveries", () => {
  it("stores a fan-out's activity and keys once, each delivery ordered by subject and inbox", async () => {
    database = await temporaryDatabase();
    db = await database.open();
    const { queueMessages, queuePayloads } = db.tables;
    const queue = orderDeliveries(createMessageQueue(db));
    // As Fedify queues a fan-out: one message per inbox, all holding the same objects.
    const activity = {
      id: "https://univ.example/courses/c1/revisions/1/activity",
      type: "Create",
      object: { id: "https://univ.example/courses/c1", type: "Note" },
    };
    const keys = [{ keyId: "https://univ.example/actors/institution#main-key", privateKey: {} }];
    const inboxes = Array.from({ length: 30 }, (_, n) => `https://school.example/users/${n}/inbox`);
    await queue.enqueueMany?.(
      inboxes.map((inbox, n) => ({
        type: "outbox",
        id: `m${n}`,
        activity,
        keys,
        inbox,
        attempt: 0,
      })),
    );
    // Something else than a delivery is queued as it is.
    await queue.enqueue({ type: "fanout", activity, keys, inboxes: {} });
    expect(await db.select({ id: queuePayloads.id }).from(queuePayloads)).toHaveLength(1);
    const rows = await db
      .select({ message: queueMessages.message, orderingKey: queueMessages.orderingKey })
      .from(queueMessages)
      .orderBy(queueMessages.id);
    expect(rows.map(({ orderingKey }) => orderingKey)).toEqual([
      ...inboxes.map((inbox) => `https://univ.example/courses/c1 ${inbox}`),
      "https://univ.example/courses/c1",
    ]);
    for (const { message } of rows.slice(0, -1)) {
      expect(message).not.toHaveProperty("activity");
      expect(message).not.toHaveProperty("keys");
    }
    expect(rows.at(-1)?.message).toMatchObject({ type: "fanout", activity, keys });
  });
});
