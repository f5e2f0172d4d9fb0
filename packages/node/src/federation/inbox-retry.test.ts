import { type InboxContext, MemoryKvStore } from "@fedify/fedify";
import { Create, Follow } from "@fedify/vocab";
import { describe, expect, it } from "vitest";
import { Temporal } from "../temporal.ts";
import { INBOX_ATTEMPTS, inboxRetryPolicy, loggingInboxFailures } from "./inbox-retry.ts";

describe("inboxRetryPolicy", () => {
  it("tries again a few times within seconds, then gives up", () => {
    const policy = inboxRetryPolicy();
    const delays: number[] = [];
    for (let attempts = 0; attempts < 100; attempts++) {
      const delay = policy({ elapsedTime: Temporal.Duration.from({ seconds: 0 }), attempts });
      if (delay === null) break;
      delays.push(delay.total("second"));
    }
    // Fedify counts the first try as attempt 0: the policy is asked after each failure.
    expect(delays).toHaveLength(INBOX_ATTEMPTS - 1);
    expect(delays.reduce((sum, delay) => sum + delay, 0)).toBeLessThan(15);
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
      (line) => lines.push(line),
    );
    for (let attempt = 1; attempt <= INBOX_ATTEMPTS; attempt++) {
      await expect(handler(ctx, activity)).rejects.toThrow("answered 404");
    }
    expect(lines).toHaveLength(INBOX_ATTEMPTS);
    expect(lines[0]).toBe(
      `coursefed: inbox: Create https://peer.example/creates/1 from https://peer.example/actors/institution failed (attempt 1 of ${INBOX_ATTEMPTS}): The manifest at https://peer.example/m answered 404.; tried again later`,
    );
    expect(lines.at(-1)).toMatch(new RegExp(`\\(attempt ${INBOX_ATTEMPTS} of .*; dropped$`));
    // Its count is forgotten once dropped: the same activity sent again starts afresh.
    await expect(handler(ctx, activity)).rejects.toThrow();
    expect(lines.at(-1)).toContain(`(attempt 1 of ${INBOX_ATTEMPTS})`);
  });

  it("logs nothing for an activity handled, and counts activities apart", async () => {
    const lines: string[] = [];
    const kv = new MemoryKvStore();
    const failing = loggingInboxFailures(
      kv,
      async () => {
        throw new Error("no");
      },
      (line) => lines.push(line),
    );
    const handled = loggingInboxFailures(
      kv,
      async () => {},
      (line) => lines.push(line),
    );
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
