import { type InboxContext, MemoryKvStore } from "@fedify/fedify";
import { Create, Follow } from "@fedify/vocab";
import { describe, expect, it } from "vitest";
import { Temporal } from "../temporal.ts";
import {
  INBOX_RETRY_SCHEDULE,
  inboxAttempts,
  inboxRetryPolicy,
  loggingInboxFailures,
} from "./inbox-retry.ts";

/** The delays the policy asks for after each failure, until it gives up. */
function delaysOf(policy: ReturnType<typeof inboxRetryPolicy>): number[] {
  const delays: number[] = [];
  for (let attempts = 0; attempts < 100; attempts++) {
    const delay = policy({ elapsedTime: Temporal.Duration.from({ seconds: 0 }), attempts });
    if (delay === null) break;
    delays.push(delay.total("second"));
  }
  return delays;
}

describe("inboxRetryPolicy", () => {
  it("rides out a publisher down for a restart or a deploy: tries over about an hour, further apart each time, then gives up", () => {
    // Fedify counts the first try as attempt 0: the policy is asked after each failure.
    const delays = delaysOf(inboxRetryPolicy());
    expect(delays).toEqual([60, 300, 900, 2400]);
    expect(delays).toHaveLength(inboxAttempts(INBOX_RETRY_SCHEDULE) - 1);
  });

  it("follows a shorter schedule when given one", () => {
    const schedule = ["PT1S", "PT2S"].map((delay) => Temporal.Duration.from(delay));
    expect(delaysOf(inboxRetryPolicy(schedule))).toEqual([1, 2]);
    expect(inboxAttempts(schedule)).toBe(3);
  });
});

describe("loggingInboxFailures", () => {
  const ctx = {} as InboxContext<unknown>;
  const activity = new Create({
    id: new URL("https://peer.example/creates/1"),
    actor: new URL("https://peer.example/actors/institution"),
  });

  it("logs each failed attempt in one line with the activity, its actor and why, and rethrows", async () => {
    const lines: string[] = [];
    const handler = loggingInboxFailures(
      new MemoryKvStore(),
      async () => {
        throw new Error("The manifest at\nhttps://peer.example/m answered 404.");
      },
      { log: (line) => lines.push(line) },
    );
    for (let attempt = 1; attempt <= 5; attempt++) {
      await expect(handler(ctx, activity)).rejects.toThrow("answered 404");
    }
    expect(lines).toHaveLength(5);
    expect(lines[0]).toBe(
      "coursefed: inbox: Create https://peer.example/creates/1 from https://peer.example/actors/institution failed (attempt 1 of 5): The manifest at https://peer.example/m answered 404.; tried again in 1 min",
    );
    expect(lines.slice(1, 4).map((line) => /tried again in .*$/.exec(line)?.[0])).toEqual([
      "tried again in 5 min",
      "tried again in 15 min",
      "tried again in 40 min",
    ]);
    expect(lines.at(-1)).toMatch(/\(attempt 5 of 5\).*; dropped$/);
    // Its count is forgotten once dropped: the same activity sent again starts afresh.
    await expect(handler(ctx, activity)).rejects.toThrow();
    expect(lines.at(-1)).toContain("(attempt 1 of 5)");
  });

  it("counts attempts against the schedule it is given", async () => {
    const lines: string[] = [];
    const handler = loggingInboxFailures(
      new MemoryKvStore(),
      async () => {
        throw new Error("down");
      },
      { schedule: [Temporal.Duration.from("PT30S")], log: (line) => lines.push(line) },
    );
    await expect(handler(ctx, activity)).rejects.toThrow();
    await expect(handler(ctx, activity)).rejects.toThrow();
    expect(lines).toEqual([
      expect.stringMatching(/\(attempt 1 of 2\): down; tried again in 30 s$/),
      expect.stringMatching(/\(attempt 2 of 2\): down; dropped$/),
    ]);
  });

  it("tells of an activity dropped after its last try, and only then, even when telling fails", async () => {
    const lines: string[] = [];
    const dropped: string[] = [];
    let telling = 0;
    const handler = loggingInboxFailures(
      new MemoryKvStore(),
      async () => {
        throw new Error("down");
      },
      {
        schedule: [Temporal.Duration.from("PT1S")],
        log: (line) => lines.push(line),
        onDropped: async (_ctx, failed) => {
          if (++telling === 2) throw new Error("the database is gone");
          dropped.push(failed.actorId?.href ?? "");
        },
      },
    );
    await expect(handler(ctx, activity)).rejects.toThrow("down");
    expect(dropped).toEqual([]);
    await expect(handler(ctx, activity)).rejects.toThrow("down");
    expect(dropped).toEqual(["https://peer.example/actors/institution"]);
    // A failure to tell is logged, and the activity's own failure is what is thrown.
    await expect(handler(ctx, activity)).rejects.toThrow("down");
    await expect(handler(ctx, activity)).rejects.toThrow("down");
    expect(lines.at(-1)).toBe(
      "coursefed: inbox: after dropping https://peer.example/creates/1: the database is gone",
    );
  });

  it("logs nothing for an activity handled, and counts activities apart", async () => {
    const lines: string[] = [];
    const kv = new MemoryKvStore();
    const failing = loggingInboxFailures(
      kv,
      async () => {
        throw new Error("no");
      },
      { log: (line) => lines.push(line) },
    );
    const handled = loggingInboxFailures(kv, async () => {}, { log: (line) => lines.push(line) });
    await handled(ctx, activity);
    expect(lines).toEqual([]);
    const other = new Follow({
      id: new URL("https://peer.example/follows/2"),
      actor: new URL("https://peer.example/actors/institution"),
    });
    await expect(failing(ctx, activity)).rejects.toThrow();
    await expect(failing(ctx, other)).rejects.toThrow();
    expect(lines.map((line) => /attempt (\d)/.exec(line)?.[1])).toEqual(["1", "1"]);
    expect(lines[1]).toContain("Follow https://peer.example/follows/2");
  });
});
