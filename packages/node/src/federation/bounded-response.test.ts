import { describe, expect, it } from "vitest";
import { boundedText } from "./bounded-response.ts";

const tooLarge = () => new Error("too large");

/** A body sent in pieces without a length, as a peer that lies about nothing would. */
function streamed(pieces: readonly string[], onPull?: () => void): Response {
  let next = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      onPull?.();
      const piece = pieces[next++];
      if (piece === undefined) controller.close();
      else controller.enqueue(new TextEncoder().encode(piece));
    },
  });
  return new Response(body);
}

describe("boundedText", () => {
  it("reads an answer within the limit", async () => {
    expect(await boundedText(streamed(['{"a":', "1}"]), 7, tooLarge)).toBe('{"a":1}');
  });

  it("refuses a declared length over the limit before reading the body", async () => {
    let pulls = 0;
    const response = streamed(["x".repeat(10)], () => pulls++);
    const declared = new Response(response.body, { headers: { "content-length": "1000" } });
    await expect(boundedText(declared, 100, tooLarge)).rejects.toThrow("too large");
    expect(pulls).toBeLessThanOrEqual(1);
  });

  it("stops reading a body without a length once it passes the limit", async () => {
    let pulls = 0;
    const endless = streamed(
      Array.from({ length: 1000 }, () => "x".repeat(64)),
      () => pulls++,
    );
    await expect(boundedText(endless, 200, tooLarge)).rejects.toThrow("too large");
    expect(pulls).toBeLessThan(10);
  });
});
