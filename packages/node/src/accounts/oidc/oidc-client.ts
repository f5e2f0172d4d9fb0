import { createHash, randomBytes } from "node:crypto";
import { createRemoteJWKSet, errors, type JWTPayload, jwtVerify } from "jose";
import { CodedError } from "../../coded-error.ts";
import type { Claims } from "./oidc-claims.ts";
import { OIDC_ENVIRONMENT, type OidcConfig } from "./oidc-config.ts";

export type OidcErrorCode =
  /** The provider did not answer, or not in time. */
  | "UNREACHABLE"
  /** Its discovery document is unusable, or asks for what this client does not do. */
  | "BAD_DISCOVERY"
  /** The provider, or a token or an answer, names another issuer than the configured one. */
  | "ISSUER_MISMATCH"
  /** The provider sent the browser back with an error (the person cancelled, was refused...). */
  | "PROVIDER_REFUSED"
  /** The answer does not belong to the sign-in this browser started. */
  | "STATE_MISMATCH"
  /** The token endpoint refused the code or the client's credentials. */
  | "TOKEN_REFUSED"
  | "INVALID_ID_TOKEN"
  /** The ID token was issued for another sign-in (a replay, or a token injected). */
  | "NONCE_MISMATCH"
  | "USERINFO_FAILED";

export class OidcError extends CodedError<OidcErrorCode> {
  override readonly name = "OidcError";
}

/** What the browser's sign-in must bring back; kept by the browser between the two legs. */
export interface PendingLogin {
  readonly state: string;
  readonly nonce: string;
  readonly codeVerifier: string;
}

/** Who the provider says signed in. */
export interface OidcIdentity {
  readonly issuer: string;
  readonly subject: string;
  /** The verified ID token's claims, completed by the userinfo endpoint's. */
  readonly claims: Claims;
}

export interface OidcClientSettings
  extends Pick<OidcConfig, "issuer" | "clientId" | "clientSecret" | "extraScopes"> {
  /** Where the provider sends the browser back: this node's callback route. */
  readonly redirectUri: string;
  /** How long any request to the provider may take. */
  readonly timeoutMs?: number;
  /** How long the discovery document is trusted before it is fetched again. */
  readonly discoveryTtlMs?: number;
  /** How far the provider's clock may be from ours when checking exp, iat and nbf. */
  readonly clockToleranceSeconds?: number;
  readonly now?: () => number;
}

/** The discovery document, checked and reduced to what the flow uses. */
interface ProviderMetadata {
  readonly authorizationEndpoint: URL;
  readonly tokenEndpoint: URL;
  readonly userinfoEndpoint: URL | undefined;
  readonly jwksUri: URL;
  readonly algorithms: readonly string[];
  readonly tokenAuthMethods: readonly string[];
  /** RFC 9207: the provider names itself in every authorization response. */
  readonly sendsIssParameter: boolean;
}

/** Public-key signatures only: "none" proves nothing, and HS* are keyed by the client secret, not by the provider's published keys. */
const SIGNATURE_ALGORITHMS = new Set([
  ...["RS256", "RS384", "RS512", "PS256", "PS384", "PS512"],
  ...["ES256", "ES384", "ES512", "EdDSA", "Ed25519"],
]);

const BASE_SCOPES = ["openid", "profile", "email"];

/**
 * A relying party for the authorization code flow with PKCE (S256), state and nonce, as
 * OpenID Connect Core and RFC 9700 ask of a confidential or public web client.
 */
export class OidcClient {
  readonly #settings: OidcClientSettings;
  readonly #timeoutMs: number;
  readonly #discoveryTtlMs: number;
  readonly #now: () => number;
  #discovery: { metadata: Promise<ProviderMetadata>; fetchedAt: number } | undefined;
  #jwks: { uri: string; keys: ReturnType<typeof createRemoteJWKSet> } | undefined;

  constructor(settings: OidcClientSettings) {
    this.#settings = settings;
    this.#timeoutMs = settings.timeoutMs ?? 10_000;
    this.#discoveryTtlMs = settings.discoveryTtlMs ?? 3600_000;
    this.#now = settings.now ?? Date.now;
  }

  /** Where to send the browser to sign in, and what its return must match. */
  async start(): Promise<{ url: URL; pending: PendingLogin }> {
    const metadata = await this.#metadata();
    const pending: PendingLogin = {
      state: randomToken(),
      nonce: randomToken(),
      codeVerifier: randomToken(),
    };
    const url = new URL(metadata.authorizationEndpoint);
    const scopes = [...new Set([...BASE_SCOPES, ...this.#settings.extraScopes])];
    for (const [name, value] of Object.entries({
      response_type: "code",
      client_id: this.#settings.clientId,
      redirect_uri: this.#settings.redirectUri,
      scope: scopes.join(" "),
      state: pending.state,
      nonce: pending.nonce,
      code_challenge: createHash("sha256").update(pending.codeVerifier).digest("base64url"),
      code_challenge_method: "S256",
    })) {
      url.searchParams.set(name, value);
    }
    return { url, pending };
  }

  /**
   * Checks the provider's answer (the callback URL the browser arrived at) against the
   * sign-in it started, exchanges the code, verifies the ID token and completes its
   * claims from the userinfo endpoint.
   */
  async finish(callback: URL, pending: PendingLogin): Promise<OidcIdentity> {
    const answer = callback.searchParams;
    if (answer.get("state") !== pending.state) {
      throw new OidcError(
        "STATE_MISMATCH",
        "The provider's answer does not match the sign-in this browser started (its state differs): start again from the sign-in page.",
      );
    }
    const metadata = await this.#metadata();
    const iss = answer.get("iss");
    if ((iss !== null || metadata.sendsIssParameter) && iss !== this.#settings.issuer) {
      throw new OidcError(
        "ISSUER_MISMATCH",
        `The answer comes from ${iss === null ? "an unnamed issuer" : `"${iss}"`}, not from "${this.#settings.issuer}": another provider answered. Start again from the sign-in page.`,
      );
    }
    const error = answer.get("error");
    if (error !== null) {
      const description = answer.get("error_description");
      throw new OidcError(
        "PROVIDER_REFUSED",
        `The provider refused the sign-in: ${error}${description ? ` (${description})` : ""}.`,
      );
    }
    const code = answer.get("code");
    if (!code) {
      throw new OidcError(
        "PROVIDER_REFUSED",
        "The provider sent the browser back without a code: start again from the sign-in page.",
      );
    }
    const tokens = await this.#exchange(metadata, code, pending.codeVerifier);
    const idClaims = await this.verifyIdToken(tokens.idToken, pending.nonce);
    const subject = idClaims.sub as string; // verifyIdToken checked it is one
    const userinfo =
      metadata.userinfoEndpoint && tokens.accessToken
        ? await this.#userinfo(metadata.userinfoEndpoint, tokens.accessToken, subject)
        : {};
    // The ID token is signed: where both name a claim, its value wins.
    return { issuer: this.#settings.issuer, subject, claims: { ...userinfo, ...idClaims } };
  }

  /**
   * The claims of an ID token signed by one of the provider's keys with an algorithm it
   * announces, issued by it, for this client, for this sign-in (nonce), and still valid.
   */
  async verifyIdToken(idToken: string, nonce: string): Promise<JWTPayload> {
    const metadata = await this.#metadata();
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(idToken, this.#keys(metadata.jwksUri), {
        issuer: this.#settings.issuer,
        audience: this.#settings.clientId,
        algorithms: [...metadata.algorithms],
        clockTolerance: this.#settings.clockToleranceSeconds ?? 60,
        currentDate: new Date(this.#now()),
        requiredClaims: ["sub", "iat", "exp"],
      }));
    } catch (error) {
      throw this.#tokenError(error, metadata.jwksUri);
    }
    if (typeof payload.sub !== "string" || payload.sub === "") {
      throw new OidcError("INVALID_ID_TOKEN", "The ID token names no subject (sub).");
    }
    if (payload.nonce !== nonce) {
      throw new OidcError(
        "NONCE_MISMATCH",
        "The ID token was issued for another sign-in (its nonce differs): start again from the sign-in page.",
      );
    }
    // OIDC Core §3.1.3.7: with several audiences, the one it was issued to must be us.
    const audiences = [payload.aud].flat();
    if (
      (audiences.length > 1 || payload.azp !== undefined) &&
      payload.azp !== this.#settings.clientId
    ) {
      throw new OidcError(
        "INVALID_ID_TOKEN",
        `The ID token was issued to ${payload.azp === undefined ? "an unnamed party" : `"${String(payload.azp)}"`} (azp), not to this node's client "${this.#settings.clientId}": check ${OIDC_ENVIRONMENT.clientId}.`,
      );
    }
    return payload;
  }

  #tokenError(error: unknown, jwksUri: URL): OidcError {
    if (error instanceof errors.JWTExpired) {
      return new OidcError(
        "INVALID_ID_TOKEN",
        "The ID token has expired. If this keeps happening, the clock of this node or of the provider is wrong: set both by NTP.",
      );
    }
    if (error instanceof errors.JWTClaimValidationFailed) {
      if (error.claim === "iss") {
        return new OidcError(
          "ISSUER_MISMATCH",
          `The ID token was not issued by "${this.#settings.issuer}": check ${OIDC_ENVIRONMENT.issuer}.`,
        );
      }
      if (error.claim === "aud") {
        return new OidcError(
          "INVALID_ID_TOKEN",
          `The ID token is not meant for this node's client "${this.#settings.clientId}": check ${OIDC_ENVIRONMENT.clientId}.`,
        );
      }
      return new OidcError(
        "INVALID_ID_TOKEN",
        `The ID token's ${error.claim} claim is refused (${error.reason}). If it is about time (iat, nbf), the clock of this node or of the provider is wrong: set both by NTP.`,
      );
    }
    // Network failures, timeouts, and (a plain JOSEError) a key set that is not one.
    if (
      !(error instanceof errors.JOSEError) ||
      error instanceof errors.JWKSTimeout ||
      error instanceof errors.JWKSInvalid ||
      error.code === "ERR_JOSE_GENERIC"
    ) {
      return new OidcError(
        "UNREACHABLE",
        `Could not read the provider's signing keys at ${jwksUri.href}: ${reasonOf(error, this.#timeoutMs)}.`,
      );
    }
    if (error instanceof errors.JOSEAlgNotAllowed) {
      return new OidcError(
        "INVALID_ID_TOKEN",
        "The ID token is signed with an algorithm the provider's discovery document does not announce: it is refused.",
      );
    }
    if (error instanceof errors.JWSSignatureVerificationFailed) {
      return new OidcError(
        "INVALID_ID_TOKEN",
        "The ID token's signature does not verify: it was altered, or not signed by the provider.",
      );
    }
    if (error instanceof errors.JWKSNoMatchingKey) {
      return new OidcError(
        "INVALID_ID_TOKEN",
        `The ID token is signed with a key the provider does not publish at ${jwksUri.href}.`,
      );
    }
    return new OidcError("INVALID_ID_TOKEN", `The ID token is malformed: ${error.message}.`);
  }

  /** The discovery document, fetched again once it is older than the TTL or failed. */
  #metadata(): Promise<ProviderMetadata> {
    const now = this.#now();
    if (!this.#discovery || now - this.#discovery.fetchedAt >= this.#discoveryTtlMs) {
      const metadata = this.#discover();
      this.#discovery = { metadata, fetchedAt: now };
      metadata.catch(() => {
        if (this.#discovery?.metadata === metadata) this.#discovery = undefined;
      });
    }
    return this.#discovery.metadata;
  }

  async #discover(): Promise<ProviderMetadata> {
    const { issuer } = this.#settings;
    const url = new URL(`${issuer.replace(/\/$/, "")}/.well-known/openid-configuration`);
    const document = await this.#json(
      url,
      { headers: { accept: "application/json" } },
      { what: "discovery document", failure: "BAD_DISCOVERY" },
      () => `check ${OIDC_ENVIRONMENT.issuer} (the issuer URL, without /.well-known/…)`,
    );
    if (document.issuer !== issuer) {
      throw new OidcError(
        "ISSUER_MISMATCH",
        `The provider at ${url.href} names itself "${String(document.issuer)}", not "${issuer}": if it is yours, set ${OIDC_ENVIRONMENT.issuer} to exactly "${String(document.issuer)}".`,
      );
    }
    const endpoint = (field: string, required: boolean): URL | undefined => {
      const value = document[field];
      if (typeof value === "string" && URL.canParse(value)) return new URL(value);
      if (!required && value === undefined) return undefined;
      throw new OidcError(
        "BAD_DISCOVERY",
        `The provider's discovery document at ${url.href} has no usable ${field}.`,
      );
    };
    const list = (field: string): string[] | undefined => {
      const value = document[field];
      return Array.isArray(value)
        ? value.filter((item): item is string => typeof item === "string")
        : undefined;
    };
    if (!(list("response_types_supported") ?? []).includes("code")) {
      throw new OidcError(
        "BAD_DISCOVERY",
        "The provider does not offer the authorization code flow (response type code), the only one this node uses.",
      );
    }
    const challenges = list("code_challenge_methods_supported");
    if (challenges && !challenges.includes("S256")) {
      throw new OidcError(
        "BAD_DISCOVERY",
        "The provider does not support PKCE with S256, which this node requires: enable it for this client at the provider.",
      );
    }
    const announced = list("id_token_signing_alg_values_supported") ?? [];
    const algorithms = announced.filter((algorithm) => SIGNATURE_ALGORITHMS.has(algorithm));
    if (algorithms.length === 0) {
      throw new OidcError(
        "BAD_DISCOVERY",
        `The provider signs ID tokens with ${announced.join(", ") || "no announced algorithm"}; this node verifies public-key signatures only (RS256, PS256, ES256, EdDSA…): set this client's ID token signature algorithm to RS256 at the provider.`,
      );
    }
    return {
      authorizationEndpoint: endpoint("authorization_endpoint", true) as URL,
      tokenEndpoint: endpoint("token_endpoint", true) as URL,
      userinfoEndpoint: endpoint("userinfo_endpoint", false),
      jwksUri: endpoint("jwks_uri", true) as URL,
      algorithms,
      // The default OpenID Connect Discovery §3 gives when the field is absent.
      tokenAuthMethods: list("token_endpoint_auth_methods_supported") ?? ["client_secret_basic"],
      sendsIssParameter: document.authorization_response_iss_parameter_supported === true,
    };
  }

  /** One key set per jwks_uri, so that its cache and rotation handling outlive a rediscovery. */
  #keys(uri: URL): ReturnType<typeof createRemoteJWKSet> {
    if (this.#jwks?.uri !== uri.href) {
      this.#jwks = {
        uri: uri.href,
        keys: createRemoteJWKSet(uri, { timeoutDuration: this.#timeoutMs }),
      };
    }
    return this.#jwks.keys;
  }

  async #exchange(
    metadata: ProviderMetadata,
    code: string,
    codeVerifier: string,
  ): Promise<{ idToken: string; accessToken: string | undefined }> {
    const { clientId, clientSecret, redirectUri } = this.#settings;
    const body = new URLSearchParams({
      grant_type: "authorization_code",
      code,
      redirect_uri: redirectUri,
      code_verifier: codeVerifier,
    });
    const headers: Record<string, string> = {
      accept: "application/json",
      "content-type": "application/x-www-form-urlencoded",
    };
    if (clientSecret === undefined) {
      body.set("client_id", clientId);
    } else if (metadata.tokenAuthMethods.includes("client_secret_basic")) {
      // RFC 6749 §2.3.1: each part is form-encoded before the pair is base64-encoded.
      const credentials = `${formEncode(clientId)}:${formEncode(clientSecret)}`;
      headers.authorization = `Basic ${Buffer.from(credentials).toString("base64")}`;
    } else if (metadata.tokenAuthMethods.includes("client_secret_post")) {
      body.set("client_id", clientId);
      body.set("client_secret", clientSecret);
    } else {
      throw new OidcError(
        "BAD_DISCOVERY",
        `The provider takes client credentials only as ${metadata.tokenAuthMethods.join(", ")}; this node sends a secret by client_secret_basic or client_secret_post, or none: unset ${OIDC_ENVIRONMENT.clientSecret} for a public client.`,
      );
    }
    const answer = await this.#json(
      metadata.tokenEndpoint,
      { method: "POST", headers, body },
      { what: "token endpoint", failure: "TOKEN_REFUSED" },
      (refusal) =>
        refusal?.startsWith("invalid_client")
          ? `check ${OIDC_ENVIRONMENT.clientId} and ${OIDC_ENVIRONMENT.clientSecret}`
          : refusal?.startsWith("invalid_grant")
            ? `the sign-in took too long or was replayed, or the redirect URI registered at the provider is not ${redirectUri}: start again from the sign-in page`
            : "check this client's registration at the provider",
    );
    if (typeof answer.id_token !== "string") {
      throw new OidcError(
        "TOKEN_REFUSED",
        "The provider's token endpoint answered without an ID token: check that the client is allowed the openid scope at the provider.",
      );
    }
    return {
      idToken: answer.id_token,
      accessToken: typeof answer.access_token === "string" ? answer.access_token : undefined,
    };
  }

  async #userinfo(endpoint: URL, accessToken: string, subject: string): Promise<Claims> {
    const claims = await this.#json(
      endpoint,
      { headers: { accept: "application/json", authorization: `Bearer ${accessToken}` } },
      { what: "userinfo endpoint", failure: "USERINFO_FAILED" },
      () => "check that this client may read the userinfo endpoint at the provider",
    );
    // OIDC Core §5.3.4: otherwise the answer could be about someone else.
    if (claims.sub !== subject) {
      throw new OidcError(
        "USERINFO_FAILED",
        "The provider's userinfo endpoint answered about another subject than the ID token's: the sign-in is refused.",
      );
    }
    return claims;
  }

  /**
   * A JSON object from the provider. Redirects are not followed: the token request
   * carries the client's secret, and no endpoint of these has a reason to redirect.
   */
  async #json(
    url: URL,
    init: RequestInit,
    endpoint: { what: string; failure: OidcErrorCode },
    advice: (refusal: string | undefined) => string,
  ): Promise<Record<string, unknown>> {
    let response: Response;
    let text: string;
    try {
      response = await fetch(url, {
        ...init,
        redirect: "manual",
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
      text = await response.text();
    } catch (error) {
      throw new OidcError(
        "UNREACHABLE",
        `Could not reach the provider's ${endpoint.what} at ${url.href}: ${reasonOf(error, this.#timeoutMs)}. Check ${OIDC_ENVIRONMENT.issuer} and that this node can reach the provider.`,
      );
    }
    const object = jsonObject(text);
    if (response.status !== 200) {
      const refusal = refusalOf(object);
      throw new OidcError(
        endpoint.failure,
        `The provider's ${endpoint.what} at ${url.href} answered ${response.status}${refusal ? ` (${refusal})` : ""}: ${advice(refusal)}.`,
      );
    }
    if (!object) {
      const signed = response.headers.get("content-type")?.includes("jwt");
      throw new OidcError(
        endpoint.failure,
        `The provider's ${endpoint.what} at ${url.href} did not answer a JSON object${signed ? " (it signs its answers: turn that off for this client at the provider)" : ""}.`,
      );
    }
    return object;
  }
}

function jsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** OAuth's error answer, "error: description", if the body is one. */
function refusalOf(body: Record<string, unknown> | undefined): string | undefined {
  if (typeof body?.error !== "string") return undefined;
  return typeof body.error_description === "string"
    ? `${body.error}: ${body.error_description}`
    : body.error;
}

function reasonOf(error: unknown, timeoutMs: number): string {
  if (
    error instanceof Error &&
    (error.name === "TimeoutError" || error instanceof errors.JWKSTimeout)
  ) {
    return `no answer within ${timeoutMs / 1000} seconds`;
  }
  const cause = error instanceof Error ? error.cause : undefined;
  return cause instanceof Error ? cause.message : String((error as Error)?.message ?? error);
}

/** application/x-www-form-urlencoded, as HTTP Basic credentials need them for OAuth. */
function formEncode(value: string): string {
  return new URLSearchParams([["", value]]).toString().slice(1);
}

/** 256 random bits: unguessable state, nonce and PKCE verifier (43 characters, as RFC 7636 allows). */
function randomToken(): string {
  return randomBytes(32).toString("base64url");
}
