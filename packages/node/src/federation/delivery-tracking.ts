import { AsyncLocalStorage } from "node:async_hooks";
import { type MessageQueue, SendActivityError } from "@fedify/fedify";
import type { PeerRepository } from "../peers/peer-repository.ts";

/** The outcome of the delivery being handled in the current async flow. */
const currentDelivery = new AsyncLocalStorage<{ inbox: URL; failed: boolean }>();

/**
 * Wraps the queue so that each delivery Fedify makes (an "outbox" message) is counted for
 * its peer: a success unless Fedify reported a failure while handling it.
 */
export function trackDeliveries(queue: MessageQueue, peers: PeerRepository): MessageQueue {
  return {
    nativeRetrial: queue.nativeRetrial ?? false,
    enqueue: (message, options) => queue.enqueue(message, options),
    ...(queue.enqueueMany ? { enqueueMany: queue.enqueueMany.bind(queue) } : {}),
    ...(queue.getDepth ? { getDepth: queue.getDepth.bind(queue) } : {}),
    listen: (handler, options) =>
      queue.listen(async (message) => {
        const inbox = outboxInbox(message);
        if (!inbox) return await handler(message);
        const outcome = { inbox, failed: false };
        await currentDelivery.run(outcome, () => handler(message));
        if (!outcome.failed) await peers.recordDelivery(inbox.host);
      }, options),
  };
}

/** For Fedify's onOutboxError: records the failure against the peer being delivered to. */
export function deliveryFailureRecorder(peers: PeerRepository) {
  // Fedify awaits this handler and logs what it throws.
  return async (error: Error): Promise<void> => {
    const outcome = currentDelivery.getStore();
    if (outcome) outcome.failed = true;
    const inbox = error instanceof SendActivityError ? error.inbox : outcome?.inbox;
    const reason = error instanceof SendActivityError ? `HTTP ${error.statusCode}` : error.message;
    if (inbox) await peers.recordFailure(inbox.host, reason);
  };
}

function outboxInbox(message: unknown): URL | undefined {
  const candidate = message as { type?: unknown; inbox?: unknown } | null;
  if (candidate?.type !== "outbox" || typeof candidate.inbox !== "string") return undefined;
  return URL.canParse(candidate.inbox) ? new URL(candidate.inbox) : undefined;
}
