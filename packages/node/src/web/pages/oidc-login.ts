import { hkdfSync } from "node:crypto";
import type { Hono } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { EncryptJWT, jwtDecrypt } from "jose";
import { accountNames, roleFromClaims } from "../../accounts/oidc/oidc-claims.ts";
import { OidcClient, OidcError, type PendingLogin } from "../../accounts/oidc/oidc-client.ts";
import { refusalStatus } from "../../http/error-problems.ts";
import { redirectTarget } from "../redirect-target.ts";
import { cookieOptions, setSessionCookie } from "../session-cookie.ts";
import type { OidcLoginDependencies, WebContext, WebEnv } from "../web-env.ts";
import { errorPage } from "./error-page.ts";

/** Holds the sign-in under way between its two legs; sent back to /login/oidc/… only. */
const PENDING_COOKIE = "coursefed_oidc";
const PENDING_PATH = "/login/oidc";
const PENDING_SECONDS = 600;
export const OIDC_CALLBACK_PATH = "/login/oidc/callback";

/**
 * Sign-in through the OpenID Connect provider: `GET /login/oidc` sends the browser there,
 * `GET /login/oidc/callback` takes it back, verifies who signed in and opens a session
 * as the password sign-in does. Both are GETs: the sign-in button is a link (a form's
 * redirect to another site would break form-action 'self') and the provider comes back
 * with a top-level GET.
 */
export function oidcLoginRoutes(
  app: Hono<WebEnv>,
  { config, publicUrl, accounts, sessions, secret }: OidcLoginDependencies,
): void {
  if (secret.byteLength < 32) throw new RangeError("the OIDC cookie secret needs 32 bytes");
  const client = new OidcClient({
    ...config,
    redirectUri: new URL(OIDC_CALLBACK_PATH, publicUrl).href,
  });
  const key = new Uint8Array(
    hkdfSync("sha256", secret, new Uint8Array(), "coursefed oidc sign-in cookie", 32),
  );
  // The verifier and nonce must stay unreadable to the page, and the cookie unforgeable:
  // it is encrypted (AES-GCM authenticates it too), HttpOnly, and expires with the sign-in.
  const pendingCookie = { ...cookieOptions(publicUrl), path: PENDING_PATH };

  const failure = (c: WebContext, error: unknown) => {
    if (!(error instanceof OidcError)) throw error;
    const t = c.get("t");
    switch (error.code) {
      case "STATE_MISMATCH":
      case "NONCE_MISMATCH":
        return errorPage(c, refusalStatus(error), t.oidcFailedTitle, t.oidcStartAgain);
      case "PROVIDER_REFUSED":
        return errorPage(
          c,
          refusalStatus(error),
          t.oidcFailedTitle,
          `${t.oidcRefused(config.label)} ${error.message}`,
        );
      default:
        // The rest is for the node's administrator to fix: the details say what.
        return errorPage(
          c,
          refusalStatus(error),
          t.oidcFailedTitle,
          `${t.oidcUnavailable(config.label)} ${error.message}`,
        );
    }
  };

  app.get(PENDING_PATH, async (c) => {
    const next = redirectTarget(c.req.query("next"), publicUrl);
    if (c.get("session")) return c.redirect(next, 303);
    let start: Awaited<ReturnType<OidcClient["start"]>>;
    try {
      start = await client.start();
    } catch (error) {
      return failure(c, error);
    }
    const sealed = await new EncryptJWT({ ...start.pending, next })
      .setProtectedHeader({ alg: "dir", enc: "A256GCM" })
      .setExpirationTime(`${PENDING_SECONDS}s`)
      .encrypt(key);
    setCookie(c, PENDING_COOKIE, sealed, { ...pendingCookie, maxAge: PENDING_SECONDS });
    return c.redirect(start.url.href, 303);
  });

  app.get(OIDC_CALLBACK_PATH, async (c) => {
    const t = c.get("t");
    const sealed = getCookie(c, PENDING_COOKIE);
    // One answer per sign-in: a replayed callback finds no cookie.
    deleteCookie(c, PENDING_COOKIE, pendingCookie);
    const pending = sealed ? await unseal(sealed, key) : undefined;
    if (!pending) return errorPage(c, 400, t.oidcFailedTitle, t.oidcStartAgain);
    let identity: Awaited<ReturnType<OidcClient["finish"]>>;
    try {
      identity = await client.finish(new URL(c.req.url), pending);
    } catch (error) {
      return failure(c, error);
    }
    const role = roleFromClaims(identity.claims, config.roles);
    if (!role) return errorPage(c, 403, t.oidcFailedTitle, t.oidcNoRole(config.label));
    const account = await accounts.findOrCreate({
      issuer: identity.issuer,
      subject: identity.subject,
      ...accountNames(identity.issuer, identity.subject, identity.claims),
      role,
    });
    if ("refused" in account) {
      const { refused } = account;
      return errorPage(
        c,
        403,
        t.oidcFailedTitle,
        refused.code === "DISABLED"
          ? t.accountDisabled
          : `${t.oidcAccountRefused} ${refused.message}`,
      );
    }
    const previous = c.get("sessionId");
    if (previous) await sessions.destroy(previous);
    const { id } = await sessions.create(account.id);
    setSessionCookie(c, publicUrl, id);
    // Checked again: the cookie outlives a change of the rules.
    return c.redirect(redirectTarget(pending.next, publicUrl), 303);
  });
}

/** The sign-in the cookie holds, if it is ours, intact and not expired. */
async function unseal(
  sealed: string,
  key: Uint8Array,
): Promise<(PendingLogin & { next: string }) | undefined> {
  try {
    const { payload } = await jwtDecrypt(sealed, key, {
      keyManagementAlgorithms: ["dir"],
      contentEncryptionAlgorithms: ["A256GCM"],
    });
    const { state, nonce, codeVerifier, next } = payload;
    if ([state, nonce, codeVerifier, next].every((value) => typeof value === "string")) {
      return {
        state: state as string,
        nonce: nonce as string,
        codeVerifier: codeVerifier as string,
        next: next as string,
      };
    }
  } catch {
    // Sealed with another key, altered or expired: the sign-in has to start again.
  }
  return undefined;
}
