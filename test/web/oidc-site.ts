import { type ServerType, serve } from "@hono/node-server";
import { Hono } from "hono";
import { getCookie } from "hono/cookie";
import { AccountRepository } from "../../packages/node/src/accounts/account-repository.ts";
import type { OidcConfig } from "../../packages/node/src/accounts/oidc/oidc-config.ts";
import { SessionRepository } from "../../packages/node/src/accounts/session-repository.ts";
import { LocalActorRepository } from "../../packages/node/src/actors/local-actors.ts";
import { temporaryDatabase } from "../../packages/node/src/db/test-database.ts";
import { assetRoutes } from "../../packages/node/src/web/assets.ts";
import {
  CATALOGUES,
  chooseLanguage,
  LANGUAGE_COOKIE,
} from "../../packages/node/src/web/i18n/language.ts";
import {
  OIDC_CALLBACK_PATH,
  type OidcAccounts,
  type OidcIdentityRequest,
  oidcLoginRoutes,
} from "../../packages/node/src/web/pages/oidc-login.ts";
import { loadSession } from "../../packages/node/src/web/session-cookie.ts";
import type { WebEnv } from "../../packages/node/src/web/web-env.ts";
import { startOidcProvider, type TestOidcProvider } from "../support/oidc-provider.ts";

/**
 * The account store the routes are given, as the node's will be: accounts in the
 * database, linked here to the provider's subjects in memory (the node keeps the link in
 * a column of web_accounts).
 */
export class LinkedAccounts implements OidcAccounts {
  readonly links = new Map<string, number>();
  /** Set to make the store refuse every sign-in with this sentence. */
  refusal: string | undefined;
  readonly #accounts: AccountRepository;
  readonly #actorId: number;

  constructor(accounts: AccountRepository, actorId: number) {
    this.#accounts = accounts;
    this.#actorId = actorId;
  }

  async findOrCreate(identity: OidcIdentityRequest) {
    if (this.refusal) return { refused: this.refusal };
    const link = `${identity.issuer} ${identity.subject}`;
    let id = this.links.get(link);
    if (id === undefined) {
      const account = await this.#accounts.create({
        username: identity.username,
        displayName: identity.displayName,
        role: identity.role,
        actorId: this.#actorId,
        passwordHash: "none: signs in through the provider",
      });
      id = account.id;
      this.links.set(link, id);
    } else {
      await this.#accounts.setRole(id, identity.role, this.#actorId);
    }
    await this.#accounts.recordLogin(id);
    return { id, role: identity.role };
  }
}

export interface OidcSite {
  readonly nodeUrl: URL;
  readonly callbackUrl: string;
  readonly provider: TestOidcProvider;
  readonly sessions: SessionRepository;
  readonly accounts: LinkedAccounts;
  /** The sign-in routes on a bare web app, with these settings over the defaults. */
  mount(settings?: Partial<OidcConfig>, publicUrl?: URL): Hono<WebEnv>;
  /** Makes the node's server answer with this app from now on. */
  use(app: Hono<WebEnv>): void;
  stop(): Promise<void>;
}

export const PROVIDER_LABEL = "Université SSO";

/**
 * A real provider and, on another loopback port, the sign-in routes mounted on a bare web
 * app with the middleware the node runs before them (language, session from its cookie)
 * and its stylesheets, a real database for accounts and sessions, and `/whoami` naming who
 * is signed in.
 * `providerHost` may put the provider on another site than the node (localhost).
 */
export async function startOidcSite(
  people: Readonly<Record<string, Record<string, unknown>>>,
  { providerHost }: { providerHost?: "localhost" } = {},
): Promise<OidcSite> {
  const database = await temporaryDatabase();
  const db = await database.open();
  const institution = await new LocalActorRepository(db).ensureInstitution("univ", "Université");
  const accounts = new LinkedAccounts(new AccountRepository(db), institution.id);
  const sessions = new SessionRepository(db);
  let app: Hono<WebEnv> | undefined;
  const server = await new Promise<ServerType>((resolve) => {
    const started = serve(
      {
        fetch: (request) => app?.fetch(request) ?? new Response(null, { status: 503 }),
        hostname: "127.0.0.1",
        port: 0,
      },
      () => resolve(started),
    );
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  const nodeUrl = new URL(`http://127.0.0.1:${port}/`);
  const callbackUrl = new URL(OIDC_CALLBACK_PATH, nodeUrl).href;
  const provider = await startOidcProvider({
    clients: [{ client_id: "coursefed", client_secret: "s3cret", redirect_uris: [callbackUrl] }],
    people,
    ...(providerHost ? { host: providerHost } : {}),
  });
  const mount = (settings: Partial<OidcConfig> = {}, publicUrl = nodeUrl) => {
    const mounted = new Hono<WebEnv>();
    assetRoutes(mounted);
    mounted.use(async (c, next) => {
      const language = chooseLanguage(
        getCookie(c, LANGUAGE_COOKIE),
        c.req.header("accept-language"),
      );
      c.set("language", language);
      c.set("t", CATALOGUES[language]);
      c.set("publicUrl", publicUrl);
      c.set("siteName", "Université");
      await next();
    });
    mounted.use(loadSession(sessions, publicUrl));
    mounted.get("/whoami", (c) => c.text(c.get("session")?.account.username ?? "nobody"));
    oidcLoginRoutes(mounted, {
      config: {
        issuer: provider.issuer,
        clientId: "coursefed",
        clientSecret: "s3cret",
        extraScopes: ["groups"],
        roles: {
          claim: "groups",
          admin: ["coursefed-admins"],
          teacher: ["coursefed-teachers"],
          otherwise: "viewer",
        },
        label: PROVIDER_LABEL,
        ...settings,
      },
      publicUrl,
      accounts,
      sessions,
      secret: new Uint8Array(32).fill(7),
    });
    return mounted;
  };
  app = mount();
  return {
    nodeUrl,
    callbackUrl,
    provider,
    sessions,
    accounts,
    mount,
    use(next) {
      app = next;
    },
    async stop() {
      await provider.stop();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        if ("closeAllConnections" in server) server.closeAllConnections();
      });
      await db.close();
      await database.remove();
    },
  };
}
