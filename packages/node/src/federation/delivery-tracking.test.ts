import type { MessageQueue } from "@fedify/fedify";
import { describe, expect, it } from "vitest";
import { eventually } from "../../../../test/support/eventually.ts";
import type { PeerRepository } from "../peers/peer-repository.ts";
import { trackDeliveries } from "./delivery-tracking.ts";
import type { DirectDelivery } from "./direct-delivery.ts";

/**
 * The queue's handler as trackDeliveries wraps it, with deliveries that all succeed, and
 * the queue's listening, which ends with `stop()`.
 */
function tracked(peers: PeerRepository) {
  let wrapped: ((message: unknown) => Promise<void> | void) | undefined;
  let stop = () => {};
  const queue: MessageQueue = {
    enqueue: async () => {},
    listen: async (handler) => {
      wrapped = handler;
      await new Promise<void>((resolve) => {
        stop = resolve;
      });
    },
  };
  const direct = { deliver: async () => true } as unknown as DirectDelivery;
  const listening = trackDeliveries(queue, peers, direct).listen(() => {});
  const handle = (message: unknown) => {
    if (!wrapped) throw new Error("trackDeliveries did not listen");
    return wrapped(message);
  };
  return { handle, stop: () => stop(), listening };
}

/** A peer repository that keeps what it is asked to write. */
function recordingPeers() {
  const writes: Map<string, number>[] = [];
  const peers = {
    recordDeliveries: async (counts: ReadonlyMap<string, number>) => {
      writes.push(new Map(counts));
    },
  } as unknown as PeerRepository;
  const counted = (host: string) => writes.reduce((sum, each) => sum + (each.get(host) ?? 0), 0);
  return { peers, writes, counted };
}

describe("trackDeliveries", () => {
  it("counts deliveries that end one by one, in ticks of their own, in one write", async () => {
    const { peers, writes, counted } = recordingPeers();
    const { handle, stop, listening } = tracked(peers);
    for (let n = 0; n < 40; n++) {
      const host = n % 2 === 0 ? "school.example" : "college.example";
      await handle({ type: "outbox", inbox: `https://${host}/users/${n}/inbox` });
      // As deliveries of a fan-out end: each answer arrives in an I/O tick of its own.
      await new Promise((resolve) => setImmediate(resolve));
    }
    await eventually(() => counted("school.example") + counted("college.example") === 40);
    expect(counted("school.example")).toBe(20);
    expect(writes.length).toBeLessThanOrEqual(2);
    stop();
    await listening;
  });

  it("writes what it counted once the queue stops, before the node closes its database", async () => {
    const { peers, counted } = recordingPeers();
    const { handle, stop, listening } = tracked(peers);
    await handle({ type: "outbox", inbox: "https://school.example/users/1/inbox" });
    stop();
    await listening;
    expect(counted("school.example")).toBe(1);
  });
});
