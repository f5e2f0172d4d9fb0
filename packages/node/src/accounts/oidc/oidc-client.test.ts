import { createServer, type Server } from "node:net";
import { decodeJwt, generateKeyPair, importJWK, SignJWT, UnsecuredJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type RegisteredClient,
  signInAtProvider,
  startOidcProvider,
  type TestOidcProvider,
} from "../../../../../test/support/oidc-provider.ts";
import { roleFromClaims } from "./oidc-claims.ts";
import { OidcClient, type OidcClientSettings, type PendingLogin } from "./oidc-client.ts";

const REDIRECT = "http://127.0.0.1:9/login/oidc/callback";
const SECRET = "s3cret with spaces & symbols:%";
const MAPPING = {
  claim: "groups",
  admin: ["coursefed-admins"],
  teacher: ["coursefed-teachers"],
  otherwise: "viewer",
} as const;
const PEOPLE = {
  alice: {
    name: "Alice Martin",
    preferred_username: "alice",
    email: "alice@univ.example",
    groups: ["staff", "coursefed-teachers", "coursefed-admins"],
  },
  bob: { given_name: "Bob", family_name: "Durand", groups: "coursefed-teachers" },
  carol: { name: "Carol", email: "carol@univ.example" },
};

let provider: TestOidcProvider;
/** A second provider that takes client secrets in the form only. */
let postProvider: TestOidcProvider;

beforeAll(async () => {
  const clients: RegisteredClient[] = [
    { client_id: "coursefed", client_secret: SECRET, redirect_uris: [REDIRECT] },
    {
      client_id: "coursefed-public",
      redirect_uris: [REDIRECT],
      token_endpoint_auth_method: "none",
    },
  ];
  provider = await startOidcProvider({ clients, people: PEOPLE });
  postProvider = await startOidcProvider({
    clients: [
      {
        client_id: "coursefed",
        client_secret: SECRET,
        redirect_uris: [REDIRECT],
        token_endpoint_auth_method: "client_secret_post",
      },
    ],
    people: PEOPLE,
    clientAuthMethods: ["client_secret_post"],
  });
});

afterAll(async () => {
  await provider?.stop();
  await postProvider?.stop();
});

function client(settings: Partial<OidcClientSettings> = {}): OidcClient {
  return new OidcClient({
    issuer: provider.issuer,
    clientId: "coursefed",
    clientSecret: SECRET,
    extraScopes: ["groups"],
    redirectUri: REDIRECT,
    ...settings,
  });
}

/** Starts a sign-in with `rp` and signs in at the provider: the callback URL and what it must match. */
async function signIn(rp: OidcClient, login: string, options: { abort?: boolean } = {}) {
  const { url, pending } = await rp.start();
  return { url, pending, callback: await signInAtProvider(url, login, REDIRECT, options) };
}

/** The provider's real ID token for a sign-in, exchanged as any holder of the code could. */
async function idTokenFor(login: string): Promise<{ idToken: string; nonce: string }> {
  const { pending, callback } = await signIn(client(), login);
  const response = await fetch(`${provider.issuer}/token`, {
    method: "POST",
    headers: {
      authorization: `Basic ${Buffer.from(`coursefed:${encodeURIComponent(SECRET)}`).toString("base64")}`,
      "content-type": "application/x-www-form-urlencoded",
    },
    body: new URLSearchParams({
      grant_type: "authorization_code",
      code: callback.searchParams.get("code") ?? "",
      redirect_uri: REDIRECT,
      code_verifier: pending.codeVerifier,
    }),
  });
  const { id_token } = (await response.json()) as { id_token: string };
  return { idToken: id_token, nonce: pending.nonce };
}

/** A token signed with the provider's own key, for claims a real provider would not send. */
async function mint(claims: Record<string, unknown>): Promise<string> {
  const key = await importJWK(provider.signingKey, "RS256");
  return await new SignJWT({ iss: provider.issuer, sub: "alice", ...claims })
    .setProtectedHeader({ alg: "RS256", kid: provider.signingKey.kid as string })
    .setIssuedAt()
    .setExpirationTime("5m")
    .sign(key);
}

describe("OidcClient against a real provider", () => {
  it("asks for a code with PKCE S256, state, nonce and the scopes", async () => {
    const { url, pending } = await client().start();
    expect(url.origin + url.pathname).toBe(`${provider.issuer}/auth`);
    const query = Object.fromEntries(url.searchParams);
    expect(query).toMatchObject({
      response_type: "code",
      client_id: "coursefed",
      redirect_uri: REDIRECT,
      scope: "openid profile email groups",
      state: pending.state,
      nonce: pending.nonce,
      code_challenge_method: "S256",
    });
    expect(query.code_challenge).toMatch(/^[\w-]{43}$/);
    expect(query.code_challenge).not.toBe(pending.codeVerifier);
    expect(pending.codeVerifier).toMatch(/^[\w-]{43}$/);
    const other = await client().start();
    expect(other.pending.state).not.toBe(pending.state);
    expect(other.pending.nonce).not.toBe(pending.nonce);
  });

  it("signs in through the whole code flow and maps the claims to roles", async () => {
    const rp = client();
    const roles: Record<string, string | undefined> = {};
    for (const login of ["alice", "bob", "carol"]) {
      const { pending, callback } = await signIn(rp, login);
      const identity = await rp.finish(callback, pending);
      expect(identity.issuer).toBe(provider.issuer);
      expect(identity.subject).toBe(login);
      roles[login] = roleFromClaims(identity.claims, MAPPING);
    }
    expect(roles).toEqual({ alice: "admin", bob: "teacher", carol: "viewer" });
    expect(roleFromClaims({ sub: "carol" }, { ...MAPPING, otherwise: undefined })).toBeUndefined();
  });

  it("completes the ID token's claims from the userinfo endpoint", async () => {
    const rp = client();
    const { pending, callback } = await signIn(rp, "alice");
    const { claims } = await rp.finish(callback, pending);
    expect(claims).toMatchObject({
      sub: "alice",
      name: "Alice Martin",
      email: "alice@univ.example",
      groups: PEOPLE.alice.groups,
      nonce: pending.nonce,
    });
    // The provider keeps scope claims out of its ID tokens: they came from userinfo.
    const { idToken } = await idTokenFor("alice");
    expect(decodeJwt(idToken)).not.toHaveProperty("groups");
  });

  it("signs in as a public client with PKCE alone", async () => {
    const rp = client({ clientId: "coursefed-public", clientSecret: undefined });
    const { pending, callback } = await signIn(rp, "bob");
    expect((await rp.finish(callback, pending)).subject).toBe("bob");
  });

  it("sends the secret in the form to a provider that takes it only there", async () => {
    const rp = client({ issuer: postProvider.issuer });
    const { pending, callback } = await signIn(rp, "bob");
    expect((await rp.finish(callback, pending)).subject).toBe("bob");
  });

  it("caches the discovery document for its TTL", async () => {
    let now = Date.now();
    const rp = client({ now: () => now, discoveryTtlMs: 60_000 });
    const discoveries = () =>
      provider.requests.filter((path) => path === "/.well-known/openid-configuration").length;
    const before = discoveries();
    await rp.start();
    await rp.start();
    expect(discoveries()).toBe(before + 1);
    now += 61_000;
    await rp.start();
    expect(discoveries()).toBe(before + 2);
  });

  it("refuses an answer whose state is not the sign-in's", async () => {
    const rp = client();
    const { pending, callback } = await signIn(rp, "alice");
    const other = await rp.start();
    await expect(rp.finish(callback, other.pending)).rejects.toMatchObject({
      code: "STATE_MISMATCH",
    });
    const without = new URL(callback);
    without.searchParams.delete("state");
    await expect(rp.finish(without, pending)).rejects.toMatchObject({ code: "STATE_MISMATCH" });
  });

  it("refuses an ID token issued for another sign-in (nonce)", async () => {
    const rp = client();
    const { pending, callback } = await signIn(rp, "alice");
    const replayed: PendingLogin = { ...pending, nonce: "another-sign-in" };
    await expect(rp.finish(callback, replayed)).rejects.toMatchObject({
      code: "NONCE_MISMATCH",
      message: expect.stringContaining("nonce"),
    });
  });

  it("refuses a code sent back without its PKCE verifier", async () => {
    const rp = client();
    const { pending, callback } = await signIn(rp, "alice");
    const stolen: PendingLogin = { ...pending, codeVerifier: "x".repeat(43) };
    await expect(rp.finish(callback, stolen)).rejects.toMatchObject({
      code: "TOKEN_REFUSED",
      message: expect.stringContaining("invalid_grant"),
    });
  });

  it("names the client settings when the provider refuses the secret", async () => {
    const rp = client({ clientSecret: "wrong" });
    const { pending, callback } = await signIn(rp, "alice");
    await expect(rp.finish(callback, pending)).rejects.toMatchObject({
      code: "TOKEN_REFUSED",
      message: expect.stringContaining("COURSEFED_OIDC_CLIENT_SECRET"),
    });
  });

  it("reports the person's refusal at the provider", async () => {
    const rp = client();
    const { pending, callback } = await signIn(rp, "alice", { abort: true });
    await expect(rp.finish(callback, pending)).rejects.toMatchObject({
      code: "PROVIDER_REFUSED",
      message: expect.stringContaining("access_denied"),
    });
  });

  it("refuses an answer naming another issuer (RFC 9207 mix-up)", async () => {
    const rp = client();
    const { pending, callback } = await signIn(rp, "alice");
    expect(callback.searchParams.get("iss")).toBe(provider.issuer);
    const mixedUp = new URL(callback);
    mixedUp.searchParams.set("iss", postProvider.issuer);
    await expect(rp.finish(mixedUp, pending)).rejects.toMatchObject({ code: "ISSUER_MISMATCH" });
    mixedUp.searchParams.delete("iss");
    await expect(rp.finish(mixedUp, pending)).rejects.toMatchObject({ code: "ISSUER_MISMATCH" });
  });

  it("refuses a provider whose discovery names another issuer, saying which", async () => {
    const rp = client({ issuer: `${provider.issuer}/` });
    await expect(rp.start()).rejects.toMatchObject({
      code: "ISSUER_MISMATCH",
      message: expect.stringContaining(`set COURSEFED_OIDC_ISSUER to exactly "${provider.issuer}"`),
    });
  });

  it("says when the provider cannot be reached, or does not answer in time", async () => {
    const closed = await listening(createServer());
    await new Promise((resolve) => closed.server.close(resolve));
    await expect(client({ issuer: closed.origin }).start()).rejects.toMatchObject({
      code: "UNREACHABLE",
      message: expect.stringContaining("COURSEFED_OIDC_ISSUER"),
    });
    const silent = await listening(createServer(() => {}));
    try {
      await expect(client({ issuer: silent.origin, timeoutMs: 300 }).start()).rejects.toMatchObject(
        { code: "UNREACHABLE", message: expect.stringContaining("no answer within 0.3 seconds") },
      );
    } finally {
      silent.server.close();
    }
  });
});

/** A TCP server on a loopback port, and its origin as an http URL. */
async function listening(server: Server): Promise<{ server: Server; origin: string }> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  return {
    server,
    origin: `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`,
  };
}

describe("ID token verification", () => {
  it("accepts the provider's token and refuses it for another audience", async () => {
    const { idToken, nonce } = await idTokenFor("alice");
    await expect(client().verifyIdToken(idToken, nonce)).resolves.toMatchObject({
      sub: "alice",
      aud: "coursefed",
    });
    await expect(
      client({ clientId: "someone-else" }).verifyIdToken(idToken, nonce),
    ).rejects.toMatchObject({
      code: "INVALID_ID_TOKEN",
      message: expect.stringContaining("COURSEFED_OIDC_CLIENT_ID"),
    });
    await expect(client().verifyIdToken(idToken, "other")).rejects.toMatchObject({
      code: "NONCE_MISMATCH",
    });
  });

  it("refuses an expired token, with the clock named", async () => {
    const { idToken, nonce } = await idTokenFor("alice");
    const { exp } = decodeJwt(idToken);
    const later = client({ now: () => ((exp as number) + 61) * 1000 });
    await expect(later.verifyIdToken(idToken, nonce)).rejects.toMatchObject({
      code: "INVALID_ID_TOKEN",
      message: expect.stringContaining("expired"),
    });
    // Within the tolerance for clock skew it still passes.
    const skewed = client({ now: () => ((exp as number) + 30) * 1000 });
    await expect(skewed.verifyIdToken(idToken, nonce)).resolves.toMatchObject({ sub: "alice" });
  });

  it("refuses a tampered token", async () => {
    const { idToken, nonce } = await idTokenFor("alice");
    const [header, payload, signature] = idToken.split(".") as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, "base64url").toString());
    const forged = Buffer.from(JSON.stringify({ ...claims, sub: "bob" })).toString("base64url");
    await expect(
      client().verifyIdToken(`${header}.${forged}.${signature}`, nonce),
    ).rejects.toMatchObject({
      code: "INVALID_ID_TOKEN",
      message: expect.stringContaining("signature"),
    });
    const flipped = `${signature.slice(0, -4)}${signature.endsWith("AAAA") ? "BBBB" : "AAAA"}`;
    await expect(
      client().verifyIdToken(`${header}.${payload}.${flipped}`, nonce),
    ).rejects.toMatchObject({ code: "INVALID_ID_TOKEN" });
  });

  it("refuses a token signed by another key under the provider's key id", async () => {
    const { privateKey } = await generateKeyPair("RS256");
    const token = await new SignJWT({ nonce: "n" })
      .setProtectedHeader({ alg: "RS256", kid: provider.signingKey.kid as string })
      .setIssuer(provider.issuer)
      .setAudience("coursefed")
      .setSubject("alice")
      .setIssuedAt()
      .setExpirationTime("5m")
      .sign(privateKey);
    await expect(client().verifyIdToken(token, "n")).rejects.toMatchObject({
      code: "INVALID_ID_TOKEN",
      message: expect.stringContaining("signature"),
    });
  });

  it("refuses an unsigned token", async () => {
    const token = new UnsecuredJWT({ nonce: "n" })
      .setIssuer(provider.issuer)
      .setAudience("coursefed")
      .setSubject("alice")
      .setIssuedAt()
      .setExpirationTime("5m")
      .encode();
    await expect(client().verifyIdToken(token, "n")).rejects.toMatchObject({
      code: "INVALID_ID_TOKEN",
    });
  });

  it("refuses a token of another issuer, even signed with the provider's key", async () => {
    const token = await mint({ aud: "coursefed", nonce: "n", iss: postProvider.issuer });
    await expect(client().verifyIdToken(token, "n")).rejects.toMatchObject({
      code: "ISSUER_MISMATCH",
    });
  });

  it("asks a token for several audiences to name this client as its azp", async () => {
    const shared = await mint({ aud: ["coursefed", "moodle"], nonce: "n" });
    await expect(client().verifyIdToken(shared, "n")).rejects.toMatchObject({
      code: "INVALID_ID_TOKEN",
      message: expect.stringContaining("azp"),
    });
    const theirs = await mint({ aud: ["coursefed", "moodle"], azp: "moodle", nonce: "n" });
    await expect(client().verifyIdToken(theirs, "n")).rejects.toMatchObject({
      code: "INVALID_ID_TOKEN",
    });
    const ours = await mint({ aud: ["coursefed", "moodle"], azp: "coursefed", nonce: "n" });
    await expect(client().verifyIdToken(ours, "n")).resolves.toMatchObject({ azp: "coursefed" });
  });
});
