import { describe, expect, it } from "vitest";
import { ConfigError } from "../../config-error.ts";
import { parseOidcConfig } from "./oidc-config.ts";

const BASE = {
  COURSEFED_OIDC_ISSUER: "https://login.univ.example/realms/staff",
  COURSEFED_OIDC_CLIENT_ID: "coursefed",
};

function refusal(environment: Record<string, string>): ConfigError {
  try {
    parseOidcConfig(environment);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error("accepted");
}

describe("parseOidcConfig", () => {
  it("is off when no OIDC variable is set", () => {
    expect(parseOidcConfig({ COURSEFED_URL: "https://courses.example/" })).toBeUndefined();
    expect(parseOidcConfig({ COURSEFED_OIDC_ISSUER: " " })).toBeUndefined();
  });

  it("has defaults for everything but the issuer and client id", () => {
    expect(parseOidcConfig(BASE)).toEqual({
      issuer: "https://login.univ.example/realms/staff",
      clientId: "coursefed",
      clientSecret: undefined,
      extraScopes: [],
      roles: { claim: "groups", admin: [], teacher: [], otherwise: "viewer" },
      label: "login.univ.example",
    });
  });

  it("reads every setting", () => {
    expect(
      parseOidcConfig({
        ...BASE,
        COURSEFED_OIDC_ISSUER: "https://idp.example/",
        COURSEFED_OIDC_CLIENT_SECRET: "s3cret",
        COURSEFED_OIDC_SCOPES: "groups, roles openid",
        COURSEFED_OIDC_ROLE_CLAIM: "realm_access.roles",
        COURSEFED_OIDC_ADMIN_VALUES: "coursefed-admins, /staff/it",
        COURSEFED_OIDC_TEACHER_VALUES: "teachers",
        COURSEFED_OIDC_DEFAULT_ROLE: "none",
        COURSEFED_OIDC_LABEL: "Université (SSO)",
      }),
    ).toEqual({
      issuer: "https://idp.example/",
      clientId: "coursefed",
      clientSecret: "s3cret",
      extraScopes: ["groups", "roles"],
      roles: {
        claim: "realm_access.roles",
        admin: ["coursefed-admins", "/staff/it"],
        teacher: ["teachers"],
        otherwise: undefined,
      },
      label: "Université (SSO)",
    });
  });

  it("refuses settings without the issuer, naming those set", () => {
    const error = refusal({ COURSEFED_OIDC_CLIENT_ID: "coursefed" });
    expect(error.setting).toBe("COURSEFED_OIDC_ISSUER");
    expect(error.message).toContain("COURSEFED_OIDC_CLIENT_ID is set");
  });

  it("refuses an issuer without a client id", () => {
    expect(refusal({ COURSEFED_OIDC_ISSUER: BASE.COURSEFED_OIDC_ISSUER }).setting).toBe(
      "COURSEFED_OIDC_CLIENT_ID",
    );
  });

  it("refuses an issuer that is no https URL, except on this machine", () => {
    for (const issuer of ["login.univ.example", "http://login.univ.example", "https://idp/?a=1"]) {
      expect(refusal({ ...BASE, COURSEFED_OIDC_ISSUER: issuer }).setting).toBe(
        "COURSEFED_OIDC_ISSUER",
      );
    }
    expect(
      parseOidcConfig({ ...BASE, COURSEFED_OIDC_ISSUER: "http://127.0.0.1:8080" })?.issuer,
    ).toBe("http://127.0.0.1:8080");
  });

  it("refuses a default role other than viewer or none", () => {
    expect(refusal({ ...BASE, COURSEFED_OIDC_DEFAULT_ROLE: "admin" }).message).toContain(
      "use viewer",
    );
  });

  it("refuses malformed scopes and claim paths", () => {
    expect(refusal({ ...BASE, COURSEFED_OIDC_SCOPES: 'groups "x"' }).setting).toBe(
      "COURSEFED_OIDC_SCOPES",
    );
    expect(refusal({ ...BASE, COURSEFED_OIDC_ROLE_CLAIM: "realm_access..roles" }).setting).toBe(
      "COURSEFED_OIDC_ROLE_CLAIM",
    );
  });
});
