import { AsyncLocalStorage } from "node:async_hooks";
import { createHash } from "node:crypto";
import { EventEmitter } from "node:events";
import type {
  MessageQueue,
  MessageQueueDepth,
  MessageQueueEnqueueOptions,
  MessageQueueListenOptions,
} from "@fedify/fedify";
import {
  aliasedTable,
  and,
  asc,
  count,
  eq,
  gt,
  inArray,
  isNull,
  lt,
  lte,
  min,
  notExists,
  or,
  type Placeholder,
  type SQL,
  sql,
} from "drizzle-orm";
import type { NodeDatabase } from "../db/database.ts";
import { LruMap } from "../lru-map.ts";
import { PostgresWakeups } from "./postgres-message-queue.ts";
import type { QueueWakeups } from "./queue-wakeups.ts";

export interface DatabaseMessageQueueOptions {
  /**
   * The queue's name in the shared table: listeners take only their channel's messages,
   * so that each kind of work can have its own concurrency. "outbox" by default.
   */
  readonly channel?: string;
  /** How often to look for messages whose wakeup did not reach this listener (ms). */
  readonly pollInterval?: number;
  /**
   * How long a worker holds a message before others may take it (ms). A worker renews
   * its lease while it works, so this only bounds how long a crashed worker delays a message.
   */
  readonly lease?: number;
  /**
   * How many messages one listener handles at a time. Deliveries mostly wait on peers,
   * so a few in flight keep a slow peer from holding up the others. Ordering keys still
   * hold: a message is only taken once every earlier one of its key is done.
   */
  readonly concurrency?: number;
  readonly now?: () => number;
}

/**
 * The node's message queue for one channel on `db`, woken across processes where the
 * engine can: PostgreSQL's LISTEN/NOTIFY; on SQLite, enqueues in this process wake its
 * listeners at once and other processes' are found by polling.
 */
export function createMessageQueue(
  db: NodeDatabase,
  options: DatabaseMessageQueueOptions = {},
): DatabaseMessageQueue {
  const wakeups = db.engine === "postgres" ? new PostgresWakeups(db) : new InProcessWakeups(db);
  return new DatabaseMessageQueue(db, wakeups, options);
}

interface ClaimedMessage {
  readonly id: number;
  readonly message: unknown;
  readonly orderingKey: string | null;
  /** How many times a worker has taken it, this time included. */
  readonly attempts: number;
  /** The stored parts it shares with other messages (queue_payloads), if any. */
  readonly payloadId: string | null;
}

/** A message to queue, with its own ordering key and delay. */
export interface QueuedMessage {
  readonly message: unknown;
  readonly orderingKey?: string | undefined;
  readonly delay?: MessageQueueEnqueueOptions["delay"];
  /**
   * Properties of the message (an object) that many messages have in common, such as a
   * fan-out's activity and signing keys: stored once for all of them, given as the same
   * object to each, and put back into each message when a worker takes it.
   */
  readonly shared?: Readonly<Record<string, unknown>> | undefined;
}

/** The shared parts of one enqueue, each stored once, under the digest of its JSON. */
interface StoredPayload {
  readonly id: string;
  readonly json: string;
}

/** The message a handler is working on, as seen from what the handler queues. */
interface Handling {
  readonly queue: DatabaseMessageQueue;
  readonly claimed: ClaimedMessage;
  /** Set once the handler queued its own next attempt into the message's row. */
  replaced: boolean;
}

const handling = new AsyncLocalStorage<Handling>();

/**
 * Fedify's message queue on the node's database: durable across restarts, safe with
 * several listeners and processes (a message is held by one worker at a time), with
 * delays and ordering keys. Delivery is at least once: a worker killed mid-message
 * leaves it to be taken again when its lease runs out.
 */
export class DatabaseMessageQueue implements MessageQueue {
  /** Fedify retries failed deliveries itself by queueing them again with a delay. */
  readonly nativeRetrial = false;
  readonly #db: NodeDatabase;
  readonly #wakeups: QueueWakeups;
  readonly #channel: string;
  readonly #pollInterval: number;
  readonly #lease: number;
  readonly #concurrency: number;
  readonly #now: () => number;
  /** SQLite's claiming statement, once built (#claim). */
  #sqliteClaim: SqlitePrepared<ClaimedMessage> | undefined;
  /** The deleting statements, once built (#deletion). */
  #deletions: QueueDeletion | undefined;
  /** Payloads read, by id: those of the fan-outs being delivered. */
  readonly #payloads = new LruMap<string, Readonly<Record<string, unknown>>>(KEPT_PAYLOADS);

  constructor(db: NodeDatabase, wakeups: QueueWakeups, options: DatabaseMessageQueueOptions = {}) {
    this.#db = db;
    this.#wakeups = wakeups;
    this.#channel = options.channel ?? "outbox";
    this.#pollInterval = options.pollInterval ?? 1000;
    this.#lease = options.lease ?? 30_000;
    this.#concurrency = options.concurrency ?? 1;
    this.#now = options.now ?? Date.now;
  }

  async enqueue(message: unknown, options?: MessageQueueEnqueueOptions): Promise<void> {
    await this.enqueueEach([{ message, orderingKey: options?.orderingKey, delay: options?.delay }]);
  }

  async enqueueMany(
    messages: readonly unknown[],
    options?: MessageQueueEnqueueOptions,
  ): Promise<void> {
    await this.enqueueEach(
      messages.map((message) => ({
        message,
        orderingKey: options?.orderingKey,
        delay: options?.delay,
      })),
    );
  }

  /**
   * Queues messages that each have their own ordering key and delay, in one statement per
   * thousand (a fan-out's deliveries, each ordered per recipient).
   *
   * A handler that queues one message under the ordering key of the message it is handling
   * (Fedify's next attempt at a failed delivery) puts it in that message's place instead:
   * queued behind, it would let the key's later messages overtake it, an Update reaching
   * a follower before the Create it updates.
   */
  async enqueueEach(entries: readonly QueuedMessage[]): Promise<void> {
    if (entries.length === 0) return;
    const { queueMessages } = this.#db.tables;
    const now = this.#now();
    const due = (entry: QueuedMessage) => now + (entry.delay?.total({ unit: "millisecond" }) ?? 0);
    const payloads = new Map<Readonly<Record<string, unknown>>, StoredPayload>();
    const payloadOf = (entry: QueuedMessage): StoredPayload | undefined => {
      if (!entry.shared) return undefined;
      let payload = payloads.get(entry.shared);
      if (!payload) {
        const json = JSON.stringify(entry.shared);
        payload = { id: createHash("sha256").update(json).digest("base64url"), json };
        payloads.set(entry.shared, payload);
      }
      return payload;
    };
    // What is stored of a message: without its shared parts, which its payload holds.
    const stored = (entry: QueuedMessage) => {
      if (!entry.shared) return entry.message;
      const own = { ...(entry.message as Record<string, unknown>) };
      for (const name of Object.keys(entry.shared)) delete own[name];
      return own;
    };
    const current = handling.getStore();
    const [only] = entries;
    const replacing =
      entries.length === 1 &&
      only !== undefined &&
      current?.queue === this &&
      !current.replaced &&
      current.claimed.orderingKey !== null &&
      only.orderingKey === current.claimed.orderingKey;
    const rows = entries.map((entry) => ({
      message: stored(entry),
      orderingKey: entry.orderingKey ?? null,
      availableAt: due(entry),
      payloadId: payloadOf(entry)?.id ?? null,
    }));
    const write = async (db: Writer) => {
      await this.#storePayloads(db, [...payloads.values()]);
      const [row] = rows;
      if (replacing && current && row) {
        current.replaced = true;
        await db
          .update(queueMessages)
          .set({ ...row, leasedUntil: null, attempts: 0 })
          .where(eq(queueMessages.id, current.claimed.id));
        return;
      }
      for (let start = 0; start < rows.length; start += INSERT_BATCH) {
        await this.#insert(db, rows.slice(start, start + INSERT_BATCH), now);
      }
    };
    // A payload and the messages that name it go in together: a worker of another
    // process deleting the payload of its last handled message in between would leave
    // these naming none (the foreign key then refuses that deletion instead).
    if (payloads.size > 0) await this.#db.transaction(async (tx) => await write(tx));
    else await write(this.#db);
    // The messages are stored: a listener the wakeup misses finds them at its next poll,
    // so a failed wakeup must not make the caller queue them again.
    await this.#wakeups.announce(this.#channel).catch(() => {});
  }

  /**
   * Stores payloads not stored yet. On PostgreSQL an existing one is updated in place,
   * which locks its row until the transaction ends: a concurrent deletion of a payload no
   * message names waits, and then finds this transaction's messages naming it.
   */
  async #storePayloads(db: Writer, payloads: readonly StoredPayload[]): Promise<void> {
    if (payloads.length === 0) return;
    const { queuePayloads } = this.#db.tables;
    const values = payloads.map(({ id, json }) => ({ id, payload: JSON.parse(json) as unknown }));
    if (this.#db.engine === "postgres") {
      await db
        .insert(queuePayloads)
        .values(values)
        .onConflictDoUpdate({ target: queuePayloads.id, set: { id: sql`excluded.id` } });
    } else {
      await db.insert(queuePayloads).values(values).onConflictDoNothing();
    }
  }

  /**
   * Inserts rows in one statement whose one parameter is their JSON: built by drizzle as
   * a parameter per value, a fan-out's thousand rows cost more to build than to store.
   * Rows come out of the JSON array in its order, so their ids keep the order queued.
   */
  async #insert(
    db: Writer,
    rows: readonly {
      message: unknown;
      orderingKey: string | null;
      availableAt: number;
      payloadId: string | null;
    }[],
    now: number,
  ): Promise<void> {
    const batch = JSON.stringify(
      rows.map((row) => [row.message, row.orderingKey, row.availableAt, row.payloadId]),
    );
    const { queueMessages } = this.#db.tables;
    const columns = sql.raw(
      "channel, message, ordering_key, available_at, enqueued_at, payload_id",
    );
    if (this.#db.engine === "postgres") {
      await db.execute(sql`insert into ${queueMessages} (${columns})
        select ${this.#channel}, row -> 0, row ->> 1, (row ->> 2)::bigint, ${now}, row ->> 3
        from jsonb_array_elements(${batch}::jsonb) with ordinality as rows(row, position)
        order by position`);
      return;
    }
    await runOnSqlite(
      db,
      sql`insert into ${queueMessages} (${columns})
        select ${this.#channel}, value -> 0, value ->> 1, value ->> 2, ${now}, value ->> 3
        from json_each(${batch})`,
    );
  }

  async listen(
    handler: (message: unknown) => Promise<void> | void,
    options: MessageQueueListenOptions = {},
  ): Promise<void> {
    const doorbell = new Doorbell();
    await Promise.all([
      this.#wakeups.watch(this.#channel, () => doorbell.ring(), options.signal),
      this.#dispatch(handler, doorbell, options.signal),
    ]);
  }

  /**
   * Keeps up to `concurrency` messages in hand, taking as many as there are free places in
   * one statement, and deleting the handled ones in one statement before taking more. A
   * handler's end frees its place at once only when half the places are free or none is
   * busy, so that a fan-out costs two statements per batch rather than per delivery.
   * Messages handled but not yet deleted when the process dies are handled again: delivery
   * was at least once already.
   */
  async #dispatch(
    handler: (message: unknown) => Promise<void> | void,
    doorbell: Doorbell,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    const inHand = new Set<Promise<void>>();
    const handled: ClaimedMessage[] = [];
    const freeEnough = () => inHand.size === 0 || inHand.size <= this.#concurrency / 2;
    while (!signal?.aborted) {
      const rings = doorbell.rings;
      let wait: number;
      try {
        await this.#delete(handled.splice(0));
        const free = this.#concurrency - inHand.size;
        const claimed = free > 0 ? await this.#claim(free) : [];
        for (const message of claimed) {
          const work: Promise<void> = this.#handle(message, handler).then((deleteNow) => {
            inHand.delete(work);
            if (deleteNow) handled.push(message);
            if (freeEnough()) doorbell.ring();
          });
          inHand.add(work);
        }
        if (free === 0 || claimed.length === free) {
          // There may be more: look again once places are free.
          if (!freeEnough()) await doorbell.wait(rings, this.#pollInterval, signal);
          continue;
        }
        wait = await this.#untilNextDue();
      } catch (error) {
        // The database is away for a moment (a restart, a lost connection): workers
        // outlive it and try again, rather than the node silently stopping its queues.
        console.error(`coursefed: queue ${this.#channel}: ${(error as Error).message}`);
        wait = this.#pollInterval;
      }
      await doorbell.wait(rings, wait, signal);
    }
    await Promise.all(inHand);
    await this.#delete(handled.splice(0)).catch(() => {});
  }

  /**
   * Runs the handler on one message; true when the message is done and its row is to be
   * deleted (not when it failed and waits for another try, nor when the handler queued
   * its next attempt in its place).
   */
  async #handle(
    claimed: ClaimedMessage,
    handler: (message: unknown) => Promise<void> | void,
  ): Promise<boolean> {
    const { queueMessages } = this.#db.tables;
    const state: Handling = { queue: this, claimed, replaced: false };
    // A renewal that fails is tried again on the next tick: the lease lasts three.
    const renewal = setInterval(() => {
      if (!state.replaced) void this.#renew(claimed.id).catch(() => {});
    }, this.#lease / 3);
    let failed = false;
    try {
      await handling.run(state, () => handler(claimed.message));
    } catch {
      failed = true;
    } finally {
      clearInterval(renewal);
    }
    if (state.replaced) return false;
    if (!failed) return true;
    // Fedify's own handlers do not throw; anything else gets another try later,
    // backing off so that a poison message does not spin.
    const backoff = Math.min(2 ** (claimed.attempts - 1) * 1000, 3_600_000);
    await this.#db
      .update(queueMessages)
      .set({ leasedUntil: null, availableAt: this.#now() + backoff })
      .where(eq(queueMessages.id, claimed.id))
      .catch((error: unknown) => {
        // Left leased: taken again once the lease runs out.
        console.error(`coursefed: queue ${this.#channel}: ${(error as Error).message}`);
      });
    return false;
  }

  /** Deletes handled messages, then the payloads that no message names any more. */
  async #delete(messages: readonly ClaimedMessage[]): Promise<void> {
    if (messages.length === 0) return;
    const deletion = this.#deletion();
    try {
      await deletion.messages(JSON.stringify(messages.map(({ id }) => id)));
    } catch (error) {
      // Left in the table, they are handled again once their leases run out.
      console.error(`coursefed: queue ${this.#channel}: ${(error as Error).message}`);
      return;
    }
    const payloadIds = [...new Set(messages.map(({ payloadId }) => payloadId))].filter(
      (id): id is string => id !== null,
    );
    if (payloadIds.length === 0) return;
    const deleted = await deletion.payloads(JSON.stringify(payloadIds)).catch(() => {
      // Another process queued messages naming one meanwhile (the foreign key refused
      // the deletion): the payload goes once those are handled.
      return [];
    });
    for (const { id } of deleted) this.#payloads.delete(id);
  }

  /**
   * The statements deleting handled messages and then the payloads no message names, each
   * taking its ids as one JSON array: built by drizzle with a parameter per id, they cost
   * more to build than to run, once per batch of a fan-out, and on SQLite each new number
   * of ids was a statement to compile. SQLite's are built once, with a placeholder.
   */
  #deletion(): QueueDeletion {
    if (this.#deletions) return this.#deletions;
    const { queueMessages, queuePayloads } = this.#db.tables;
    const unnamed = notExists(
      this.#db
        .select({ id: queueMessages.id })
        .from(queueMessages)
        .where(eq(queueMessages.payloadId, queuePayloads.id)),
    );
    if (this.#db.engine === "postgres") {
      this.#deletions = {
        messages: async (ids) => {
          await this.#db
            .delete(queueMessages)
            .where(
              sql`${queueMessages.id} in (select value::integer from jsonb_array_elements_text(${ids}::jsonb) as ids(value))`,
            );
        },
        payloads: async (ids) =>
          await this.#db
            .delete(queuePayloads)
            .where(
              and(
                sql`${queuePayloads.id} in (select jsonb_array_elements_text(${ids}::jsonb))`,
                unnamed,
              ),
            )
            .returning({ id: queuePayloads.id }),
      };
      return this.#deletions;
    }
    const inJson = sql`in (select value from json_each(${sql.placeholder("ids")}))`;
    const messages = this.#db
      .delete(queueMessages)
      .where(sql`${queueMessages.id} ${inJson}`)
      .prepare("delete-messages") as unknown as SqlitePrepared<unknown>;
    const payloads = this.#db
      .delete(queuePayloads)
      .where(and(sql`${queuePayloads.id} ${inJson}`, unnamed))
      .returning({ id: queuePayloads.id })
      .prepare("delete-payloads") as unknown as SqlitePrepared<{ id: string }>;
    this.#deletions = {
      messages: async (ids) => {
        await messages.run({ ids });
      },
      payloads: async (ids) => await payloads.all({ ids }),
    };
    return this.#deletions;
  }

  async getDepth(): Promise<MessageQueueDepth> {
    const { queueMessages } = this.#db.tables;
    const now = this.#now();
    const [row] = await this.#db
      .select({
        queued: count(),
        delayed: sql<number>`coalesce(sum(case when ${queueMessages.availableAt} > ${now} then 1 else 0 end), 0)`,
      })
      .from(queueMessages)
      .where(eq(queueMessages.channel, this.#channel));
    const queued = row?.queued ?? 0;
    // PostgreSQL's sum of integers is a bigint, which arrives as text.
    const delayed = Number(row?.delayed ?? 0);
    return { queued, delayed, ready: queued - delayed };
  }

  /**
   * Takes up to `limit` messages that are due, not held by a worker, and each first of its
   * ordering key, in one statement, in the order they were queued. On PostgreSQL, workers
   * of other processes run the same statement at the same moment: the candidate rows are
   * locked, and rows another worker has locked are skipped rather than waited for. The
   * ordering-key check reads the table without locks, so an earlier message of the key
   * blocks later ones while another worker holds or is taking it.
   */
  async #claim(limit: number): Promise<ClaimedMessage[]> {
    const { queueMessages } = this.#db.tables;
    const now = this.#now();
    const lease = now + this.#lease;
    if (this.#db.engine === "postgres") {
      const next = this.#candidates(now, limit);
      // The candidates are locked once, in a CTE of their own: as a subquery of `IN`, the
      // planner may run them again for each row it updates, and each run skips the rows
      // the last one locked, taking more than `limit` messages.
      const { rows } = (await this.#db.execute(sql`
        with next as materialized (${next.for("update", { skipLocked: true })})
        update ${queueMessages}
        set leased_until = ${lease}, attempts = ${queueMessages.attempts} + 1
        where ${queueMessages.id} in (select id from next)
        returning ${queueMessages.id}, ${queueMessages.message},
          ${queueMessages.orderingKey}, ${queueMessages.attempts}, ${queueMessages.payloadId}`)) as unknown as {
        rows: {
          id: number;
          message: unknown;
          ordering_key: string | null;
          attempts: number;
          payload_id: string | null;
        }[];
      };
      return await this.#withPayloads(
        rows
          .map((row) => ({
            id: Number(row.id),
            message: row.message,
            orderingKey: row.ordering_key,
            attempts: Number(row.attempts),
            payloadId: row.payload_id,
          }))
          .sort((a, b) => a.id - b.id),
      );
    }
    // A SQLite statement has the database to itself: it needs no row locks, and runs the
    // subquery once. It is built once, with placeholders: drizzle took about as long to
    // build it as SQLite to run it, once per batch of a fan-out.
    this.#sqliteClaim ??= this.#db
      .update(queueMessages)
      .set({
        leasedUntil: sql.placeholder("lease") as unknown as number,
        attempts: sql`${queueMessages.attempts} + 1`,
      })
      .where(
        inArray(
          queueMessages.id,
          this.#candidates(sql.placeholder("now"), sql.placeholder("limit")),
        ),
      )
      .returning({
        id: queueMessages.id,
        message: queueMessages.message,
        orderingKey: queueMessages.orderingKey,
        attempts: queueMessages.attempts,
        payloadId: queueMessages.payloadId,
      })
      .prepare("claim") as unknown as SqlitePrepared<ClaimedMessage>;
    const claimed = await this.#sqliteClaim.all({ now, limit, lease });
    return await this.#withPayloads(claimed.sort((a, b) => a.id - b.id));
  }

  /**
   * The ids of up to `limit` messages that are due at `now`, not held by a worker, and
   * each first of its ordering key, in the order they were queued.
   */
  #candidates(now: number | Placeholder, limit: number | Placeholder) {
    const { queueMessages } = this.#db.tables;
    const earlier = aliasedTable(queueMessages, "earlier");
    return this.#db
      .select({ id: queueMessages.id })
      .from(queueMessages)
      .where(
        and(
          eq(queueMessages.channel, this.#channel),
          lte(queueMessages.availableAt, now),
          or(isNull(queueMessages.leasedUntil), lte(queueMessages.leasedUntil, now)),
          or(
            isNull(queueMessages.orderingKey),
            notExists(
              this.#db
                .select({ id: earlier.id })
                .from(earlier)
                .where(
                  and(
                    eq(earlier.channel, queueMessages.channel),
                    eq(earlier.orderingKey, queueMessages.orderingKey),
                    lt(earlier.id, queueMessages.id),
                  ),
                ),
            ),
          ),
        ),
      )
      .orderBy(asc(queueMessages.availableAt), asc(queueMessages.id))
      .limit(limit as number);
  }

  /**
   * The messages with their shared parts put back, read once per payload: the thousand
   * deliveries of a fan-out then hold one activity, not a copy each.
   */
  async #withPayloads(claimed: ClaimedMessage[]): Promise<ClaimedMessage[]> {
    const missing = [
      ...new Set(claimed.map(({ payloadId }) => payloadId).filter((id) => id !== null)),
    ].filter((id) => !this.#payloads.has(id));
    // A batch naming more payloads than are kept reads them from here, not the cache.
    const read = new Map<string, Readonly<Record<string, unknown>>>();
    if (missing.length > 0) {
      const { queuePayloads } = this.#db.tables;
      const rows = await this.#db
        .select({ id: queuePayloads.id, payload: queuePayloads.payload })
        .from(queuePayloads)
        .where(inArray(queuePayloads.id, missing));
      for (const { id, payload } of rows) {
        read.set(id, payload as Readonly<Record<string, unknown>>);
        this.#payloads.set(id, payload as Readonly<Record<string, unknown>>);
      }
    }
    return claimed.map((each) => {
      if (each.payloadId === null) return each;
      const payload = read.get(each.payloadId) ?? this.#payloads.get(each.payloadId);
      // A payload is deleted only once no message names it (a foreign key holds it).
      if (!payload) throw new Error(`queue payload ${each.payloadId} is missing`);
      return { ...each, message: { ...(each.message as object), ...payload } };
    });
  }

  async #renew(id: number): Promise<void> {
    const { queueMessages } = this.#db.tables;
    await this.#db
      .update(queueMessages)
      .set({ leasedUntil: this.#now() + this.#lease })
      .where(eq(queueMessages.id, id));
  }

  /** How long until the channel's next delayed message is due, at most the poll interval. */
  async #untilNextDue(): Promise<number> {
    const { queueMessages } = this.#db.tables;
    const now = this.#now();
    const [row] = await this.#db
      .select({ next: min(queueMessages.availableAt) })
      .from(queueMessages)
      .where(and(eq(queueMessages.channel, this.#channel), gt(queueMessages.availableAt, now)));
    return Math.max(
      10,
      Math.min(this.#pollInterval, (row?.next ?? Number.POSITIVE_INFINITY) - now),
    );
  }
}

/** A statement prepared by drizzle on SQLite, run with its placeholders' values. */
interface SqlitePrepared<Row> {
  run(values: Record<string, unknown>): Promise<unknown>;
  all(values: Record<string, unknown>): Promise<Row[]>;
}

/** Deletes handled messages and unnamed payloads, given their ids as a JSON array. */
interface QueueDeletion {
  messages(ids: string): Promise<void>;
  payloads(ids: string): Promise<readonly { id: string }[]>;
}

/** What queues messages: the database, or a transaction on it. */
type Writer = Pick<NodeDatabase, "insert" | "update" | "execute">;

/** Rows per insert, a statement each. */
const INSERT_BATCH = 1000;

/** Payloads kept read: a few fan-outs' activities, a few KB each. */
const KEPT_PAYLOADS = 16;

/** Runs a statement drizzle's builders do not make, on SQLite (PostgreSQL has `execute`). */
async function runOnSqlite(db: Writer, query: SQL): Promise<void> {
  await (db as unknown as { run(query: SQL): Promise<unknown> }).run(query);
}

/**
 * Wakes one listener's idle workers. A worker notes `rings` before it looks for work, so
 * that a ring while it looks still cuts its next wait short.
 */
class Doorbell {
  #rings = 0;
  readonly #waiting = new Set<() => void>();

  get rings(): number {
    return this.#rings;
  }

  ring(): void {
    this.#rings++;
    for (const wake of this.#waiting) wake();
  }

  /** Waits `ms`, or until a ring (none since `rings`) or `signal` aborts. */
  async wait(rings: number, ms: number, signal: AbortSignal | undefined): Promise<void> {
    if (this.#rings !== rings || signal?.aborted) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#waiting.delete(done);
        signal?.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#waiting.add(done);
      signal?.addEventListener("abort", done, { once: true });
    });
  }
}

/** Per opened database: its listeners in this process, woken by its enqueues. */
const inProcessEmitters = new WeakMap<NodeDatabase, EventEmitter>();

/**
 * Wakeups within this process only: SQLite has no way to signal another process, whose
 * listeners find new messages by polling.
 */
class InProcessWakeups implements QueueWakeups {
  readonly #emitter: EventEmitter;

  constructor(db: NodeDatabase) {
    let emitter = inProcessEmitters.get(db);
    if (!emitter) {
      emitter = new EventEmitter();
      emitter.setMaxListeners(0);
      inProcessEmitters.set(db, emitter);
    }
    this.#emitter = emitter;
  }

  async announce(channel: string): Promise<void> {
    this.#emitter.emit(channel);
  }

  async watch(channel: string, wake: () => void, signal: AbortSignal | undefined): Promise<void> {
    if (signal?.aborted) return;
    this.#emitter.on(channel, wake);
    await new Promise((resolve) => signal?.addEventListener("abort", resolve, { once: true }));
    this.#emitter.off(channel, wake);
  }
}
