import type { Context as FederationContext } from "@fedify/fedify";
import type { Context } from "hono";
import type { AccountRepository } from "../accounts/account-repository.ts";
import type { OidcAccounts } from "../accounts/account-service.ts";
import type { LoginThrottle } from "../accounts/login-throttle.ts";
import type { OidcConfig } from "../accounts/oidc/oidc-config.ts";
import type { SessionRepository, WebSession } from "../accounts/session-repository.ts";
import type { AuditLog } from "../audit/audit-log.ts";
import type { FederationServices } from "../federation/context.ts";
import type { MoodleSiteService } from "../moodle-sites/moodle-site-service.ts";
import type { TokenRepository } from "../tokens/token-repository.ts";
import type { UploadRepository } from "../uploads/upload-repository.ts";
import type { WebUploadRepository } from "../uploads/web-upload-repository.ts";
import type { Messages } from "./i18n/en.ts";
import type { Language } from "./i18n/language.ts";

export interface OidcLoginDependencies {
  readonly config: OidcConfig;
  readonly publicUrl: URL;
  readonly accounts: OidcAccounts;
  readonly sessions: Pick<SessionRepository, "create" | "destroy">;
  /**
   * At least 32 random bytes, the same in every process of the node and kept across
   * restarts (a sign-in under way would fail otherwise): it seals the sign-in cookie.
   */
  readonly secret: Uint8Array;
}

export interface WebDependencies {
  readonly services: FederationServices;
  readonly accounts: AccountRepository;
  readonly sessions: SessionRepository;
  readonly throttle: LoginThrottle;
  readonly tokens: TokenRepository;
  /** Where admin actions are recorded. */
  readonly audit: AuditLog;
  /** Registered Moodle sites (registration codes) and the Moodle users they act for. */
  readonly moodleSites: MoodleSiteService;
  /** The largest backup an upload may be, as for the API. */
  readonly maxUploadBytes: number;
  /** The API's uploads: whether an archive a web upload leaves behind is still used. */
  readonly uploads: UploadRepository;
  /** Backups uploaded through the publish page, waiting for their form (in the database). */
  readonly webUploads: WebUploadRepository;
  /** A Fedify context for the request, so that services can send activities. */
  readonly context: (request: Request) => FederationContext<FederationServices>;
  readonly publicUrl: URL;
  /** The institution's display name, for the page header. */
  readonly siteName: string;
  /** The reverse proxies whose X-Forwarded-For names the client (for sign-in rate limiting). */
  readonly trustedProxies: readonly string[];
  /** Single sign-on through an OpenID provider, when the node is configured for it. */
  readonly oidc?: Pick<OidcLoginDependencies, "config" | "accounts" | "secret">;
}

export type WebEnv = {
  Variables: {
    /** The signed-in session, if any, and its cookie's id (to sign out). */
    session: WebSession | undefined;
    sessionId: string | undefined;
    language: Language;
    t: Messages;
    /** Where the node is reached: https makes cookies Secure. */
    publicUrl: URL;
    /** The institution's display name, for the page header. */
    siteName: string;
  };
};

export type WebContext = Context<WebEnv>;
