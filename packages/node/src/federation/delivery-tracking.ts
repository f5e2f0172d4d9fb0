import { AsyncLocalStorage } from "node:async_hooks";
import { type MessageQueue, SendActivityError } from "@fedify/fedify";
import type { PeerRepository } from "../peers/peer-repository.ts";
import type { DirectDelivery } from "./direct-delivery.ts";

/** The outcome of the delivery being handled in the current async flow. */
const currentDelivery = new AsyncLocalStorage<{ inbox: URL; failed: boolean }>();

/**
 * How long successes are counted in memory before they are written (ms). Deliveries end
 * one by one, in ticks of their own: written each tick, a fan-out to 1,000 inboxes wrote
 * its peers' rows about 660 times, a twentieth of its database time.
 */
const TALLY_WINDOW = 100;

/**
 * Successful deliveries per host, written together: a fan-out would otherwise write its
 * peer's row once per delivery. At most one write is under way; what arrives meanwhile
 * goes in the next. Counts not yet written when the process dies are lost: they are
 * statistics, the deliveries themselves are done.
 */
class DeliveryTally {
  readonly #peers: PeerRepository;
  #pending = new Map<string, number>();
  #writing: Promise<void> | undefined;
  /** Ends the current window early. */
  #endWindow: (() => void) | undefined;

  constructor(peers: PeerRepository) {
    this.#peers = peers;
  }

  count(host: string): void {
    this.#pending.set(host, (this.#pending.get(host) ?? 0) + 1);
    this.#writing ??= this.#write();
  }

  /**
   * Writes the successes counted so far without waiting for the window's end, and returns
   * once they are written: a failure recorded after them stands, and a node that stops
   * writes them before it closes its database.
   */
  async written(): Promise<void> {
    this.#endWindow?.();
    while (this.#writing) await this.#writing;
  }

  async #write(): Promise<void> {
    // Deliveries ending within the window share the statement.
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => this.#endWindow?.(), TALLY_WINDOW);
      this.#endWindow = () => {
        clearTimeout(timer);
        this.#endWindow = undefined;
        resolve();
      };
    });
    while (this.#pending.size > 0) {
      const counts = this.#pending;
      this.#pending = new Map();
      await this.#peers.recordDeliveries(counts).catch((error: unknown) => {
        console.error(`coursefed: counting deliveries failed: ${(error as Error).message}`);
      });
    }
    this.#writing = undefined;
  }
}

const tallies = new WeakMap<PeerRepository, DeliveryTally>();

function tallyOf(peers: PeerRepository): DeliveryTally {
  let tally = tallies.get(peers);
  if (!tally) {
    tally = new DeliveryTally(peers);
    tallies.set(peers, tally);
  }
  return tally;
}

/**
 * Wraps the queue so that each delivery Fedify makes (an "outbox" message) is counted for
 * its peer: a success unless Fedify reported a failure while handling it. With `direct`,
 * a delivery's first attempt is made there, and only what it does not deliver goes to
 * Fedify's handler.
 */
export function trackDeliveries(
  queue: MessageQueue,
  peers: PeerRepository,
  direct?: DirectDelivery,
): MessageQueue {
  const tally = tallyOf(peers);
  return {
    nativeRetrial: queue.nativeRetrial ?? false,
    enqueue: (message, options) => queue.enqueue(message, options),
    ...(queue.enqueueMany ? { enqueueMany: queue.enqueueMany.bind(queue) } : {}),
    ...(queue.getDepth ? { getDepth: queue.getDepth.bind(queue) } : {}),
    listen: async (handler, options) => {
      try {
        await queue.listen(async (message) => {
          const inbox = outboxInbox(message);
          if (!inbox) return await handler(message);
          if (await direct?.deliver(message)) return tally.count(inbox.host);
          const outcome = { inbox, failed: false };
          await currentDelivery.run(outcome, () => handler(message));
          if (!outcome.failed) tally.count(inbox.host);
        }, options);
      } finally {
        await tally.written();
      }
    },
  };
}

/** For Fedify's onOutboxError: records the failure against the peer being delivered to. */
export function deliveryFailureRecorder(peers: PeerRepository) {
  const tally = tallyOf(peers);
  // Fedify awaits this handler and logs what it throws.
  return async (error: Error): Promise<void> => {
    const outcome = currentDelivery.getStore();
    if (outcome) outcome.failed = true;
    const inbox = error instanceof SendActivityError ? error.inbox : outcome?.inbox;
    const reason = error instanceof SendActivityError ? `HTTP ${error.statusCode}` : error.message;
    await tally.written();
    if (inbox) await peers.recordFailure(inbox.host, reason);
  };
}

function outboxInbox(message: unknown): URL | undefined {
  const candidate = message as { type?: unknown; inbox?: unknown } | null;
  if (candidate?.type !== "outbox" || typeof candidate.inbox !== "string") return undefined;
  return URL.canParse(candidate.inbox) ? new URL(candidate.inbox) : undefined;
}
