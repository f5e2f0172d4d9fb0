import { EventEmitter } from "node:events";
import type {
  MessageQueue,
  MessageQueueDepth,
  MessageQueueEnqueueOptions,
  MessageQueueListenOptions,
} from "@fedify/fedify";
import { and, asc, count, eq, gt, isNull, lt, lte, min, notExists, or, sql } from "drizzle-orm";
import { alias } from "drizzle-orm/sqlite-core";
import type { NodeDatabase } from "../db/database.ts";
import { queueMessages } from "../db/schema.ts";

export interface DatabaseMessageQueueOptions {
  /**
   * The queue's name in the shared table: listeners take only their channel's messages,
   * so that each kind of work can have its own concurrency. "outbox" by default.
   */
  readonly channel?: string;
  /** How often to look for messages queued by other processes (ms). */
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

/** Listeners in this process sharing a database are woken at once by an enqueue. */
const wakeups = new WeakMap<object, EventEmitter>();

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
  readonly #channel: string;
  readonly #pollInterval: number;
  readonly #lease: number;
  readonly #concurrency: number;
  readonly #now: () => number;
  readonly #wakeup: EventEmitter;

  constructor(db: NodeDatabase, options: DatabaseMessageQueueOptions = {}) {
    this.#db = db;
    this.#channel = options.channel ?? "outbox";
    this.#pollInterval = options.pollInterval ?? 1000;
    this.#lease = options.lease ?? 30_000;
    this.#concurrency = options.concurrency ?? 1;
    this.#now = options.now ?? Date.now;
    let wakeup = wakeups.get(db.$client);
    if (!wakeup) {
      wakeup = new EventEmitter();
      wakeup.setMaxListeners(0);
      wakeups.set(db.$client, wakeup);
    }
    this.#wakeup = wakeup;
  }

  async enqueue(message: unknown, options?: MessageQueueEnqueueOptions): Promise<void> {
    await this.enqueueMany([message], options);
  }

  async enqueueMany(
    messages: readonly unknown[],
    options?: MessageQueueEnqueueOptions,
  ): Promise<void> {
    if (messages.length === 0) return;
    const now = this.#now();
    const availableAt = now + (options?.delay?.total({ unit: "millisecond" }) ?? 0);
    this.#db
      .insert(queueMessages)
      .values(
        messages.map((message) => ({
          channel: this.#channel,
          message,
          orderingKey: options?.orderingKey ?? null,
          availableAt,
          enqueuedAt: now,
        })),
      )
      .run();
    this.#wakeup.emit("enqueued");
  }

  async listen(
    handler: (message: unknown) => Promise<void> | void,
    options: MessageQueueListenOptions = {},
  ): Promise<void> {
    await Promise.all(
      Array.from({ length: this.#concurrency }, () => this.#work(handler, options.signal)),
    );
  }

  async #work(
    handler: (message: unknown) => Promise<void> | void,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    while (!signal?.aborted) {
      const claimed = this.#claim();
      if (!claimed) {
        await this.#idle(signal);
        continue;
      }
      const renewal = setInterval(() => this.#renew(claimed.id), this.#lease / 3);
      try {
        await handler(claimed.message);
        this.#db.delete(queueMessages).where(eq(queueMessages.id, claimed.id)).run();
      } catch {
        // Fedify's own handlers do not throw; anything else gets another try later,
        // backing off so that a poison message does not spin.
        const backoff = Math.min(2 ** claimed.attempts * 1000, 3_600_000);
        this.#db
          .update(queueMessages)
          .set({ leasedUntil: null, availableAt: this.#now() + backoff })
          .where(eq(queueMessages.id, claimed.id))
          .run();
      } finally {
        clearInterval(renewal);
      }
    }
  }

  async getDepth(): Promise<MessageQueueDepth> {
    const now = this.#now();
    const [row] = this.#db
      .select({
        queued: count(),
        delayed: sql<number>`coalesce(sum(case when ${queueMessages.availableAt} > ${now} then 1 else 0 end), 0)`,
      })
      .from(queueMessages)
      .where(eq(queueMessages.channel, this.#channel))
      .all();
    const queued = row?.queued ?? 0;
    const delayed = Number(row?.delayed ?? 0);
    return { queued, delayed, ready: queued - delayed };
  }

  /** Takes the next message that is due, not held by a worker, and first of its ordering key. */
  #claim(): { id: number; message: unknown; attempts: number } | undefined {
    const earlier = alias(queueMessages, "earlier");
    return this.#db.transaction(
      (tx) => {
        const now = this.#now();
        const next = tx
          .select({
            id: queueMessages.id,
            message: queueMessages.message,
            attempts: queueMessages.attempts,
          })
          .from(queueMessages)
          .where(
            and(
              eq(queueMessages.channel, this.#channel),
              lte(queueMessages.availableAt, now),
              or(isNull(queueMessages.leasedUntil), lte(queueMessages.leasedUntil, now)),
              or(
                isNull(queueMessages.orderingKey),
                notExists(
                  tx
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
          .limit(1)
          .get();
        if (!next) return undefined;
        tx.update(queueMessages)
          .set({ leasedUntil: now + this.#lease, attempts: next.attempts + 1 })
          .where(eq(queueMessages.id, next.id))
          .run();
        return next;
      },
      { behavior: "immediate" },
    );
  }

  #renew(id: number): void {
    this.#db
      .update(queueMessages)
      .set({ leasedUntil: this.#now() + this.#lease })
      .where(eq(queueMessages.id, id))
      .run();
  }

  /** Waits for an enqueue here, the next delayed message, the poll interval, or abort. */
  async #idle(signal: AbortSignal | undefined): Promise<void> {
    const now = this.#now();
    const [row] = this.#db
      .select({ next: min(queueMessages.availableAt) })
      .from(queueMessages)
      .where(and(eq(queueMessages.channel, this.#channel), gt(queueMessages.availableAt, now)))
      .all();
    const wait = Math.max(
      10,
      Math.min(this.#pollInterval, (row?.next ?? Number.POSITIVE_INFINITY) - now),
    );
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#wakeup.off("enqueued", done);
        signal?.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, wait);
      this.#wakeup.once("enqueued", done);
      signal?.addEventListener("abort", done, { once: true });
    });
  }
}
