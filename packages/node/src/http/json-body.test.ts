import { describe, expect, it } from "vitest";
import { checkJson, isJsonMediaType, JsonBodyError, MAX_JSON_DEPTH } from "./json-body.ts";

const bytes = (text: string) => new TextEncoder().encode(text);
const nested = (depth: number) => `${"[".repeat(depth)}${"]".repeat(depth)}`;

function refusal(body: Uint8Array): JsonBodyError | undefined {
  try {
    checkJson(body);
    return undefined;
  } catch (error) {
    if (error instanceof JsonBodyError) return error;
    throw error;
  }
}

describe("checkJson", () => {
  it("takes JSON nested up to the limit, and refuses one level more before parsing", () => {
    expect(refusal(bytes(nested(MAX_JSON_DEPTH)))).toBeUndefined();
    expect(refusal(bytes(`{"a":${nested(MAX_JSON_DEPTH - 1)}}`))).toBeUndefined();
    expect(refusal(bytes(nested(MAX_JSON_DEPTH + 1)))?.code).toBe("TOO_DEEP");
    // Far too deep to parse is refused all the same, and says why.
    expect(refusal(bytes(`{"a":${nested(1_000_000)}}`))?.message).toContain(
      `more than ${MAX_JSON_DEPTH} levels`,
    );
  });

  it("does not count brackets inside strings, escaped quotes included", () => {
    const brackets = "[".repeat(MAX_JSON_DEPTH * 2);
    expect(refusal(bytes(JSON.stringify({ text: brackets })))).toBeUndefined();
    expect(refusal(bytes(JSON.stringify({ text: `say \\"${brackets}\\"` })))).toBeUndefined();
    expect(refusal(bytes(JSON.stringify({ text: `a\\\\`, more: brackets })))).toBeUndefined();
  });

  it("refuses what is not JSON in UTF-8, saying so", () => {
    expect(refusal(bytes('{"a": 1'))).toMatchObject({
      code: "MALFORMED_JSON",
      message: expect.stringContaining("not valid JSON"),
    });
    expect(refusal(bytes(""))?.code).toBe("MALFORMED_JSON");
    expect(refusal(new Uint8Array([0x22, 0xff, 0x22]))?.code).toBe("MALFORMED_JSON");
  });
});

describe("isJsonMediaType", () => {
  it("knows JSON and its +json kinds, parameters and case aside", () => {
    expect(isJsonMediaType("application/json; charset=utf-8")).toBe(true);
    expect(isJsonMediaType("application/activity+json")).toBe(true);
    expect(
      isJsonMediaType('Application/LD+JSON; profile="https://www.w3.org/ns/activitystreams"'),
    ).toBe(true);
    expect(isJsonMediaType("text/plain")).toBe(false);
    expect(isJsonMediaType("application/x-www-form-urlencoded")).toBe(false);
    expect(isJsonMediaType(undefined)).toBe(false);
  });
});
