import { setTimeout as delay } from "node:timers/promises";
import pg from "pg";
import type { NodeDatabase } from "../db/database.ts";
import type { QueueWakeups } from "./queue-wakeups.ts";

/** The notification channel the node's queues share; a notification's payload names the queue. */
const NOTIFICATION_CHANNEL = "coursefed_queue";

/** How long connecting may take before it counts as failed (ms). */
const CONNECT_TIMEOUT = 10_000;

/** How long to wait before listening again once the listening connection is lost (ms). */
const RECONNECT_DELAY = 1000;

/**
 * Wakes queue listeners in every process on the database, with LISTEN/NOTIFY. A listener
 * holds a connection of its own outside the pool (a listening connection cannot serve
 * other queries), and opens another if it drops; meanwhile its workers poll.
 */
export class PostgresWakeups implements QueueWakeups {
  readonly #pool: pg.Pool;

  constructor(db: NodeDatabase) {
    this.#pool = (db as unknown as { $client: pg.Pool }).$client;
  }

  async announce(channel: string): Promise<void> {
    await this.#pool.query("select pg_notify($1, $2)", [NOTIFICATION_CHANNEL, channel]);
  }

  async watch(channel: string, wake: () => void, signal: AbortSignal | undefined): Promise<void> {
    while (!signal?.aborted) {
      await this.#listenUntilLost(channel, wake, signal);
      await delay(RECONNECT_DELAY, undefined, { signal }).catch(() => {});
    }
  }

  /** Listens on one new connection until it is lost or `signal` aborts, then closes it. */
  async #listenUntilLost(
    channel: string,
    wake: () => void,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    const client = new pg.Client({
      ...this.#pool.options,
      // The pool keeps it as a hidden property, which spreading leaves out.
      password: this.#pool.options.password,
      // The connection only ever receives: keepalives notice a peer that went away silently.
      keepAlive: true,
      connectionTimeoutMillis: CONNECT_TIMEOUT,
    });
    const ended = new Promise((resolve) => client.once("end", resolve));
    // A lost connection emits an error, then ends; unheard, the error would end the process.
    client.on("error", () => {});
    client.on("notification", ({ payload }) => {
      if (payload === channel) wake();
    });
    const stop = () => void client.end();
    signal?.addEventListener("abort", stop, { once: true });
    const listening = (async () => {
      await client.connect();
      await client.query(`listen ${NOTIFICATION_CHANNEL}`);
      // Messages queued while no connection was listening.
      wake();
    })();
    listening.catch(() => {});
    try {
      // A client ended while it connects leaves connect() pending for good; it does end.
      await Promise.race([listening.then(() => ended), ended]);
    } catch {
      // Could not connect, or lost the connection while setting up: the caller retries.
    } finally {
      signal?.removeEventListener("abort", stop);
      await client.end();
    }
  }
}
