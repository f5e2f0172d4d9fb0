import type { MessageQueue, MessageQueueEnqueueOptions } from "@fedify/fedify";
import type { DatabaseMessageQueue, QueuedMessage } from "./message-queue.ts";

/**
 * Wraps the deliveries queue so that what is sent about one thing reaches each recipient
 * in the order it was sent: a course's Update after its Create, its Delete after both, an
 * Undo after the Follow it undoes. Each delivery (an "outbox" message) is queued under
 * the ordering key of its subject and inbox, and each fan-out (the "fanout" message that
 * becomes one delivery per follower) under its subject's, so that a fan-out has queued
 * all its deliveries before the next one about the same subject queues any.
 *
 * Fedify's own ordering key is per recipient server, which would make a fan-out to the
 * many people of one big server one delivery at a time, and it queues keyed deliveries
 * one statement each; keys made here keep deliveries to distinct inboxes concurrent and
 * a fan-out's deliveries in one statement per thousand. A failed delivery's next attempt
 * keeps its place in line (DatabaseMessageQueue.enqueueEach).
 */
export function orderDeliveries(queue: DatabaseMessageQueue): MessageQueue {
  const entries = (
    messages: readonly unknown[],
    options: MessageQueueEnqueueOptions | undefined,
  ): QueuedMessage[] => {
    const shared = sharedParts();
    return messages.map((message) => ({
      message,
      orderingKey: options?.orderingKey ?? deliveryOrderingKey(message),
      delay: options?.delay,
      shared: shared(message),
    }));
  };
  return {
    nativeRetrial: queue.nativeRetrial,
    enqueue: (message, options) => queue.enqueueEach(entries([message], options)),
    enqueueMany: (messages, options) => queue.enqueueEach(entries(messages, options)),
    getDepth: () => queue.getDepth(),
    listen: (handler, options) => queue.listen(handler, options),
  };
}

/**
 * What a delivery shares with the other deliveries of its fan-out: Fedify gives each of
 * them the same activity (signed, a few KB) and the sender's private keys, which the
 * queue then stores once rather than once per inbox. One object per activity and keys,
 * so that the queue recognizes them as one.
 */
function sharedParts(): (message: unknown) => Readonly<Record<string, unknown>> | undefined {
  const byActivity = new Map<unknown, Map<unknown, Readonly<Record<string, unknown>>>>();
  return (message) => {
    const queued = message as { type?: unknown; activity?: unknown; keys?: unknown } | null;
    if (
      queued?.type !== "outbox" ||
      typeof queued.activity !== "object" ||
      !queued.activity ||
      !queued.keys
    ) {
      return undefined;
    }
    let byKeys = byActivity.get(queued.activity);
    if (!byKeys) {
      byKeys = new Map();
      byActivity.set(queued.activity, byKeys);
    }
    let parts = byKeys.get(queued.keys);
    if (!parts) {
      parts = { activity: queued.activity, keys: queued.keys };
      byKeys.set(queued.keys, parts);
    }
    return parts;
  };
}

/**
 * The ordering key of one of Fedify's queued messages: its activity's subject, and for a
 * delivery the inbox too; none for a message whose activity names no subject.
 */
export function deliveryOrderingKey(message: unknown): string | undefined {
  const queued = message as { type?: unknown; activity?: unknown; inbox?: unknown } | null;
  const subject = subjectOf(queued?.activity);
  if (subject === undefined) return undefined;
  if (queued?.type === "fanout") return subject;
  if (queued?.type === "outbox" && typeof queued.inbox === "string")
    return `${subject} ${queued.inbox}`;
  return undefined;
}

/**
 * The id of what an activity (compact JSON-LD) is about: its object's, or for an activity
 * about another activity (an Undo of a Follow) that one's object's, so that both fall in
 * the same line.
 */
function subjectOf(activity: unknown): string | undefined {
  const object = (activity as { object?: unknown } | null)?.object;
  const single = Array.isArray(object) ? (object.length === 1 ? object[0] : undefined) : object;
  if (typeof single === "string") return single;
  if (typeof single !== "object" || single === null) return undefined;
  const inner = single as { id?: unknown; object?: unknown };
  if (inner.object !== undefined) {
    const nested = subjectOf(inner);
    if (nested !== undefined) return nested;
  }
  return typeof inner.id === "string" ? inner.id : undefined;
}
