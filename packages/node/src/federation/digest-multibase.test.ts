import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { sha256DigestMultibase, sha256FromDigestMultibase } from "./digest-multibase.ts";

describe("digestMultibase (FEP-1311)", () => {
  it("writes a sha-256 multihash in base58btc, as FEP-1311's example", () => {
    // FEP-1311's example attachment names its image by this value: a sha-256 multihash.
    const example = "zQmaeDPzhNL32WQZnnzB1H6QJWvvFNEHdViDB71yrxyXU1t";
    const sha256 = sha256FromDigestMultibase(example);
    expect(sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(sha256DigestMultibase(sha256 ?? "")).toBe(example);
  });

  it("round-trips any digest, leading zero bytes included", () => {
    for (const sha256 of [
      createHash("sha256").update("course").digest("hex"),
      `00${"ab".repeat(31)}`,
      "0".repeat(64),
    ]) {
      const multibase = sha256DigestMultibase(sha256);
      expect(multibase).toMatch(/^zQm/);
      expect(sha256FromDigestMultibase(multibase)).toBe(sha256);
    }
  });

  it("refuses what is not a base58btc sha-256 multihash", () => {
    const sha256 = createHash("sha256").update("course").digest("hex");
    expect(sha256FromDigestMultibase(`u${sha256}`)).toBeUndefined();
    expect(sha256FromDigestMultibase("z0OIl")).toBeUndefined();
    expect(sha256FromDigestMultibase("z")).toBeUndefined();
    // Another hash function code in the first byte is not sha-256, whatever the length.
    const multibase = sha256DigestMultibase(sha256);
    expect(sha256FromDigestMultibase(multibase.replace(/^zQm/, "zQn"))).toBeUndefined();
    expect(sha256FromDigestMultibase(`${multibase}1`)).toBeUndefined();
  });
});
