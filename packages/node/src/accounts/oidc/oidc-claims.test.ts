import { describe, expect, it } from "vitest";
import { accountNames, claimValues, type RoleMapping, roleFromClaims } from "./oidc-claims.ts";

const MAPPING: RoleMapping = {
  claim: "groups",
  admin: ["coursefed-admins", "/staff/it"],
  teacher: ["coursefed-teachers"],
  otherwise: "viewer",
};

describe("roleFromClaims", () => {
  it("reads a string claim or an array claim", () => {
    expect(roleFromClaims({ groups: "coursefed-teachers" }, MAPPING)).toBe("teacher");
    expect(roleFromClaims({ groups: ["staff", "/staff/it"] }, MAPPING)).toBe("admin");
  });

  it("gives the highest role when several values match", () => {
    expect(roleFromClaims({ groups: ["coursefed-teachers", "coursefed-admins"] }, MAPPING)).toBe(
      "admin",
    );
  });

  it("gives the default role, or none, to everyone else", () => {
    expect(roleFromClaims({ groups: ["students"] }, MAPPING)).toBe("viewer");
    expect(roleFromClaims({}, MAPPING)).toBe("viewer");
    expect(roleFromClaims({ groups: ["students"] }, { ...MAPPING, otherwise: undefined })).toBe(
      undefined,
    );
  });

  it("compares values exactly", () => {
    expect(roleFromClaims({ groups: ["Coursefed-Admins", "coursefed-admins "] }, MAPPING)).toBe(
      "viewer",
    );
  });

  it("follows a dotted path into nested claims", () => {
    const keycloak = {
      realm_access: { roles: ["offline_access", "coursefed-teachers"] },
      resource_access: { coursefed: { roles: ["coursefed-admins"] } },
    };
    expect(roleFromClaims(keycloak, { ...MAPPING, claim: "realm_access.roles" })).toBe("teacher");
    expect(roleFromClaims(keycloak, { ...MAPPING, claim: "resource_access.coursefed.roles" })).toBe(
      "admin",
    );
    expect(roleFromClaims(keycloak, { ...MAPPING, claim: "realm_access.missing.roles" })).toBe(
      "viewer",
    );
  });
});

describe("claimValues", () => {
  it("takes a claim named with dots whole before reading it as a path", () => {
    const claims = { "https://univ.example/roles": ["teacher"], https: { x: "no" } };
    expect(claimValues(claims, "https://univ.example/roles")).toEqual(["teacher"]);
  });

  it("keeps strings only", () => {
    expect(claimValues({ groups: ["a", 1, null, { b: 2 }, "c"] }, "groups")).toEqual(["a", "c"]);
    expect(claimValues({ groups: 7 }, "groups")).toEqual([]);
  });

  it("does not read inherited properties", () => {
    expect(claimValues({}, "constructor")).toEqual([]);
    expect(claimValues({ a: {} }, "a.toString")).toEqual([]);
  });
});

describe("accountNames", () => {
  it("uses preferred_username and name", () => {
    expect(
      accountNames("https://idp", "1", { preferred_username: "Marie.Curie", name: "Marie Curie" }),
    ).toEqual({ username: "marie.curie", displayName: "Marie Curie" });
  });

  it("makes a handle of an e-mail-shaped username and joins given and family names", () => {
    expect(
      accountNames("https://idp", "1", {
        preferred_username: "j.dupont+moodle@univ.example",
        given_name: "Jeanne",
        family_name: "Dupont",
      }),
    ).toEqual({ username: "j.dupont-moodle", displayName: "Jeanne Dupont" });
    expect(accountNames("https://idp", "1", { email: "paul@univ.example" }).username).toBe("paul");
  });

  it("falls back on the subject's hash, stable per issuer", () => {
    const first = accountNames("https://idp", "f81d4fae", { preferred_username: "@@@" });
    expect(first.username).toMatch(/^user-[0-9a-f]{12}$/);
    expect(first.displayName).toBe(first.username);
    expect(accountNames("https://idp", "f81d4fae", {}).username).toBe(first.username);
    expect(accountNames("https://other", "f81d4fae", {}).username).not.toBe(first.username);
  });
});
