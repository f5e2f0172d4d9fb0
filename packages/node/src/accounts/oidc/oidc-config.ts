import { ConfigError } from "../../config-error.ts";
import type { RoleMapping } from "./oidc-claims.ts";

/** Single sign-on through an OpenID Connect provider (or a SAML/Shibboleth bridge speaking it). */
export interface OidcConfig {
  /** The provider's issuer, exactly as its discovery document writes it. */
  readonly issuer: string;
  readonly clientId: string;
  /** Undefined for a public client, which PKCE alone protects. */
  readonly clientSecret: string | undefined;
  /** Asked for beyond `openid profile email`, e.g. `groups`. */
  readonly extraScopes: readonly string[];
  readonly roles: RoleMapping;
  /** Names the provider on the sign-in button: "Sign in with <label>". */
  readonly label: string;
}

export const OIDC_ENVIRONMENT = {
  issuer: "COURSEFED_OIDC_ISSUER",
  clientId: "COURSEFED_OIDC_CLIENT_ID",
  clientSecret: "COURSEFED_OIDC_CLIENT_SECRET",
  scopes: "COURSEFED_OIDC_SCOPES",
  roleClaim: "COURSEFED_OIDC_ROLE_CLAIM",
  adminValues: "COURSEFED_OIDC_ADMIN_VALUES",
  teacherValues: "COURSEFED_OIDC_TEACHER_VALUES",
  defaultRole: "COURSEFED_OIDC_DEFAULT_ROLE",
  label: "COURSEFED_OIDC_LABEL",
} as const;

/** What RFC 6749 §3.3 allows in a scope token. */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

/**
 * The single sign-on settings from the environment, or undefined when COURSEFED_OIDC_ISSUER
 * is not set (the node then has local accounts only). Any other OIDC variable without
 * the issuer is refused: a half-configured sign-on would otherwise be silently off.
 */
export function parseOidcConfig(
  environment: Readonly<Record<string, string | undefined>>,
): OidcConfig | undefined {
  const read = (key: keyof typeof OIDC_ENVIRONMENT) => {
    const value = environment[OIDC_ENVIRONMENT[key]]?.trim();
    return value === "" ? undefined : value;
  };
  const issuerText = read("issuer");
  if (issuerText === undefined) {
    const stray = Object.values(OIDC_ENVIRONMENT).filter((name) => environment[name]?.trim());
    if (stray.length === 0) return undefined;
    throw new ConfigError(
      OIDC_ENVIRONMENT.issuer,
      `missing while ${stray.join(", ")} ${stray.length === 1 ? "is" : "are"} set; set it to your provider's issuer URL (e.g. https://login.univ.example/realms/staff), or unset the other COURSEFED_OIDC_ variables to turn single sign-on off.`,
    );
  }
  // Kept as written: discovery must name the very same string (OIDC Discovery §4.3).
  const issuer = parseIssuer(issuerText);
  const clientId = read("clientId");
  if (clientId === undefined) {
    throw new ConfigError(
      OIDC_ENVIRONMENT.clientId,
      "missing; set it to the client id this node was registered with at the provider.",
    );
  }
  const defaultRole = read("defaultRole") ?? "viewer";
  if (defaultRole !== "viewer" && defaultRole !== "none") {
    throw new ConfigError(
      OIDC_ENVIRONMENT.defaultRole,
      `"${defaultRole}" is not a default role; use viewer (anyone the provider signs in may read the catalog) or none (only those the admin and teacher values name get in).`,
    );
  }
  return {
    issuer: issuerText,
    clientId,
    clientSecret: read("clientSecret"),
    extraScopes: parseScopes(read("scopes") ?? ""),
    roles: {
      claim: parseRoleClaim(read("roleClaim") ?? "groups"),
      admin: parseValues(read("adminValues")),
      teacher: parseValues(read("teacherValues")),
      otherwise: defaultRole === "viewer" ? "viewer" : undefined,
    },
    label: read("label") ?? issuer.host,
  };
}

function parseIssuer(text: string): URL {
  const setting = OIDC_ENVIRONMENT.issuer;
  if (!URL.canParse(text)) {
    throw new ConfigError(
      setting,
      `"${text}" is not a URL; write the provider's issuer, e.g. https://login.univ.example/realms/staff.`,
    );
  }
  const url = new URL(text);
  // The issuer names who signs the tokens: over plain http anyone on the path could.
  const loopback = ["localhost", "127.0.0.1", "[::1]"].includes(url.hostname);
  if (url.protocol !== "https:" && !(url.protocol === "http:" && loopback)) {
    throw new ConfigError(
      setting,
      `"${text}" must be an https URL (plain http is accepted for a provider on this machine only).`,
    );
  }
  if (url.search || url.hash) {
    throw new ConfigError(setting, `"${text}" must have no query or fragment.`);
  }
  return url;
}

function parseScopes(text: string): string[] {
  const scopes = text.split(/[\s,]+/).filter(Boolean);
  for (const scope of scopes) {
    if (!SCOPE_TOKEN.test(scope)) {
      throw new ConfigError(
        OIDC_ENVIRONMENT.scopes,
        `"${scope}" is not a scope; list scope names separated by spaces or commas, e.g. "groups roles".`,
      );
    }
  }
  return scopes.filter((scope) => !["openid", "profile", "email"].includes(scope));
}

function parseRoleClaim(text: string): string {
  if (text.split(".").some((part) => part === "")) {
    throw new ConfigError(
      OIDC_ENVIRONMENT.roleClaim,
      `"${text}" is not a claim name or path; write e.g. groups, roles or realm_access.roles.`,
    );
  }
  return text;
}

function parseValues(text: string | undefined): string[] {
  return (text ?? "")
    .split(",")
    .map((value) => value.trim())
    .filter(Boolean);
}
