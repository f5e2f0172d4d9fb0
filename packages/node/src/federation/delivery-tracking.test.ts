import type { MessageQueue } from "@fedify/fedify";
import { describe, expect, it } from "vitest";
import { eventually } from "../../../../test/support/eventually.ts";
import type { PeerRepository } from "../peers/peer-repository.ts";
import { trackDeliveries } from "./delivery-tracking.ts";
import type { DirectDelivery } from "./direct-delivery.ts";

/** The queue's handler as trackDeliveries wraps it, with deliveries that all succeed. */
async function trackedHandler(peers: PeerRepository) {
  let wrapped: ((message: unknown) => Promise<void> | void) | undefined;
  const queue: MessageQueue = {
    enqueue: async () => {},
    listen: async (handler) => {
      wrapped = handler;
    },
  };
  const direct = { deliver: async () => true } as unknown as DirectDelivery;
  await trackDeliveries(queue, peers, direct).listen(() => {});
  if (!wrapped) throw new Error("trackDeliveries did not listen");
  return wrapped;
}

describe("trackDeliveries", () => {
  it("counts deliveries that end one by one, in ticks of their own, in one write", async () => {
    const writes: Map<string, number>[] = [];
    const peers = {
      recordDeliveries: async (counts: ReadonlyMap<string, number>) => {
        writes.push(new Map(counts));
      },
    } as unknown as PeerRepository;
    const handle = await trackedHandler(peers);
    for (let n = 0; n < 40; n++) {
      const host = n % 2 === 0 ? "school.example" : "college.example";
      await handle({ type: "outbox", inbox: `https://${host}/users/${n}/inbox` });
      // As deliveries of a fan-out end: each answer arrives in an I/O tick of its own.
      await new Promise((resolve) => setImmediate(resolve));
    }
    const counted = (host: string) => writes.reduce((sum, each) => sum + (each.get(host) ?? 0), 0);
    await eventually(() => counted("school.example") + counted("college.example") === 40);
    expect(counted("school.example")).toBe(20);
    expect(writes.length).toBeLessThanOrEqual(2);
  });
});
