import { describe, expect, it } from "vitest";
import { signerHost } from "../http/federation-guard.ts";
import { federatesWith } from "./federation-policy.ts";

describe("federation policy", () => {
  it("lets everyone in when open", () => {
    expect(federatesWith({ mode: "open", domains: [] }, "anything.example")).toBe(true);
  });

  it("with an allowlist, federates only with listed hosts and their subdomains", () => {
    const policy = { mode: "allowlist", domains: ["univ.example"] } as const;
    expect(federatesWith(policy, new URL("https://courses.univ.example/actors/x"))).toBe(true);
    expect(federatesWith(policy, "univ.example")).toBe(true);
    expect(federatesWith(policy, "notuniv.example")).toBe(false);
  });

  it("with a blocklist, refuses listed hosts and their subdomains", () => {
    const policy = { mode: "blocklist", domains: ["spam.example"] } as const;
    expect(federatesWith(policy, "a.spam.example")).toBe(false);
    expect(federatesWith(policy, "ham.example")).toBe(true);
  });

  it("finds the signing server in either signature format", () => {
    const rfc9421 = new Headers({
      "signature-input": 'sig1=("@method");keyid="https://a.example/actors/x#main-key"',
    });
    expect(signerHost(rfc9421)).toBe("a.example");
    const cavage = new Headers({
      signature: 'keyId="https://B.example/u#k",algorithm="rsa-sha256",signature="..."',
    });
    expect(signerHost(cavage)).toBe("b.example");
    expect(signerHost(new Headers())).toBeUndefined();
  });
});
