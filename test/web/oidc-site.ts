import { type ServerType, serve } from "@hono/node-server";
import { Hono } from "hono";
import { getCookie } from "hono/cookie";
import { AccountRepository } from "../../packages/node/src/accounts/account-repository.ts";
import {
  type AccountError,
  type OidcAccounts,
  type OidcIdentityRequest,
  oidcAccounts,
} from "../../packages/node/src/accounts/account-service.ts";
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
  oidcLoginRoutes,
} from "../../packages/node/src/web/pages/oidc-login.ts";
import { loadSession } from "../../packages/node/src/web/session-cookie.ts";
import type { WebEnv } from "../../packages/node/src/web/web-env.ts";
import { startOidcProvider, type TestOidcProvider } from "../support/oidc-provider.ts";

/**
 * The node's account store over the site's database, which a test may make refuse every
 * sign-in with an error of its choice.
 */
export class SiteAccounts implements OidcAccounts {
  refusal: AccountError | undefined;
  readonly #store: OidcAccounts;

  constructor(store: OidcAccounts) {
    this.#store = store;
  }

  async findOrCreate(identity: OidcIdentityRequest) {
    return this.refusal ? { refused: this.refusal } : await this.#store.findOrCreate(identity);
  }
}

export interface OidcSite {
  readonly nodeUrl: URL;
  readonly callbackUrl: string;
  readonly provider: TestOidcProvider;
  readonly sessions: SessionRepository;
  readonly accounts: AccountRepository;
  /** The account store the routes are given. */
  readonly store: SiteAccounts;
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
 * and its stylesheets, the node's account store on a real database, and `/whoami` naming
 * who is signed in. (test/web/oidc-login.test.ts also signs in on a whole node.)
 */
export async function startOidcSite(
  people: Readonly<Record<string, Record<string, unknown>>>,
): Promise<OidcSite> {
  const database = await temporaryDatabase();
  const db = await database.open();
  const actors = new LocalActorRepository(db);
  await actors.ensureInstitution("univ", "Université");
  const accounts = new AccountRepository(db);
  const store = new SiteAccounts(oidcAccounts({ actors, accounts }));
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
      accounts: store,
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
    store,
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
