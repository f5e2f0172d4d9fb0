import type { Federation } from "@fedify/fedify";
import { Hono } from "hono";
import { AccountRepository } from "./accounts/account-repository.ts";
import { oidcAccounts } from "./accounts/account-service.ts";
import { LoginThrottle } from "./accounts/login-throttle.ts";
import { oidcCookieSecret } from "./accounts/oidc/oidc-secret.ts";
import { SessionRepository } from "./accounts/session-repository.ts";
import type { LocalActor } from "./actors/local-actors.ts";
import { createApi, federationContextFor } from "./api/api.ts";
import { AuditLog } from "./audit/audit-log.ts";
import type { NodeConfig } from "./config.ts";
import type { NodeDatabase } from "./db/database.ts";
import type { CatchUpRuns } from "./federation/catch-up-runs.ts";
import type { FederationServices } from "./federation/context.ts";
import { synchronizeFollowers } from "./federation/followers-sync.ts";
import type { DatabaseMessageQueue } from "./federation/message-queue.ts";
import type { SignedRequester } from "./federation/signed-requester.ts";
import { bodyLimits } from "./http/body-limits.ts";
import { courseObjectRoutes } from "./http/course-object-routes.ts";
import { downloadRoutes } from "./http/download-routes.ts";
import { federationGuard } from "./http/federation-guard.ts";
import { federationMiddleware } from "./http/federation-middleware.ts";
import { logoRoutes } from "./http/logo-routes.ts";
import { networkSearchRoutes } from "./http/network-search-routes.ts";
import { RequestsInFlight } from "./http/requests-in-flight.ts";
import { MoodleSiteService } from "./moodle-sites/moodle-site-service.ts";
import { MoodleUserRepository } from "./moodle-sites/moodle-user-repository.ts";
import { RequesterRateLimit } from "./network-search/requester-rate-limit.ts";
import { NodeMetrics } from "./observability/metrics.ts";
import { observabilityRoutes } from "./observability/observability-routes.ts";
import { type PeerRepository, peerState } from "./peers/peer-repository.ts";
import { federatesWith } from "./settings/federation-policy.ts";
import { TokenRepository } from "./tokens/token-repository.ts";
import type { UploadRepository } from "./uploads/upload-repository.ts";
import type { WebUploadRepository } from "./uploads/web-upload-repository.ts";
import { createWebApp } from "./web/web-app.ts";

/** What the node's HTTP application is made over, once createNode has built it. */
export interface NodeAppParts {
  readonly config: NodeConfig;
  readonly db: NodeDatabase;
  readonly institution: LocalActor;
  readonly services: FederationServices;
  readonly federation: Federation<FederationServices>;
  /** The admins' background catch-ups, which closing the node cuts. */
  readonly catchUpRuns: CatchUpRuns;
  /** The node's one signed requester, whose kept keys the federation's reads share. */
  readonly signedRequester: SignedRequester;
  readonly peers: PeerRepository;
  /** The node's queues by name, for /healthz and /metrics. */
  readonly queues: {
    readonly inbox: DatabaseMessageQueue;
    readonly outbox: DatabaseMessageQueue;
    readonly restore: DatabaseMessageQueue;
  };
  readonly uploads: UploadRepository;
  readonly webUploads: WebUploadRepository;
}

/**
 * The node's one HTTP application, assembled here in the order requests meet it: request
 * tracking, metrics and body limits, then observability, the federation guard and Fedify,
 * the API, the downloads, the web pages and the root. Returns the requests in flight too,
 * which closing the node waits for.
 */
export async function createNodeApp({
  config,
  db,
  institution,
  services,
  federation,
  catchUpRuns,
  signedRequester,
  peers,
  queues,
  uploads,
  webUploads,
}: NodeAppParts): Promise<{ app: Hono; requests: RequestsInFlight }> {
  const app = new Hono();
  const tokens = new TokenRepository(db);
  const accounts = new AccountRepository(db);
  const audit = new AuditLog(db);
  const moodleSites = new MoodleSiteService({
    users: new MoodleUserRepository(db),
    actors: services.actors,
    tokens,
    targets: services.moodleTargets,
    policy: services.settings,
    audit,
    institution: async () => (await services.actors.byId(institution.id)) ?? institution,
    publicUrl: config.publicUrl,
  });
  const metrics = new NodeMetrics({
    queueDepths: async () =>
      Object.fromEntries(
        await Promise.all(
          Object.entries(queues).map(async ([name, q]) => [name, await q.getDepth()] as const),
        ),
      ),
    restoreJobsByState: () => services.restores.countByState(),
    peersByState: async () => {
      const states: Record<string, number> = {};
      const policy = await services.settings.federationPolicy();
      for (const peer of await peers.all()) {
        const state = peerState(peer, federatesWith(policy, peer.host));
        states[state] = (states[state] ?? 0) + 1;
      }
      return states;
    },
    deliveries: async () => {
      const all = await peers.all();
      return {
        delivered: all.reduce((total, peer) => total + peer.deliveries, 0),
        failed: all.reduce((total, peer) => total + peer.failures, 0),
      };
    },
  });

  const requests = new RequestsInFlight();
  app.use(requests.track());
  app.use(metrics.timeRequests());
  app.use(bodyLimits({ inboxBytes: config.maxInboxBodyBytes, uploadBytes: config.maxUploadBytes }));
  app.route("/", observabilityRoutes(db, queues, metrics));
  app.use(federationGuard(services.settings));
  app.use(
    federationMiddleware(federation, () => services, {
      onCollectionSynchronization: (request, actor, header) =>
        void synchronizeFollowers(federation.createContext(request, services), actor, header),
    }),
  );
  app.route(
    "/",
    createApi({
      services,
      tokens,
      uploads,
      webUploads,
      maxUploadBytes: config.maxUploadBytes,
      audit,
      moodleSites,
      catchUpRuns,
      context: federationContextFor(federation, services),
    }),
  );
  app.route("/", logoRoutes(services.settings));
  const requesterOf = (request: Request) =>
    signedRequester(federation.createContext(request, services));
  app.route(
    "/",
    courseObjectRoutes(services, federationContextFor(federation, services), requesterOf),
  );
  app.route("/", downloadRoutes(services, config.publicUrl, requesterOf));
  app.route(
    "/",
    networkSearchRoutes(
      services,
      config.publicUrl,
      requesterOf,
      new RequesterRateLimit(config.networkSearchRequestsPerMinute),
    ),
  );
  app.route(
    "/",
    createWebApp({
      services,
      accounts,
      sessions: new SessionRepository(db),
      throttle: new LoginThrottle(db),
      tokens,
      audit,
      moodleSites,
      maxUploadBytes: config.maxUploadBytes,
      uploads,
      webUploads,
      context: federationContextFor(federation, services),
      publicUrl: config.publicUrl,
      siteName: institution.name,
      trustedProxies: config.trustedProxies,
      oidc: config.oidc && {
        config: config.oidc,
        accounts: oidcAccounts({ actors: services.actors, accounts }),
        secret: await oidcCookieSecret(db),
      },
    }),
  );
  app.get("/", (c) =>
    c.req.header("accept")?.includes("text/html")
      ? c.redirect("/catalog", 303)
      : c.text(
          `coursefed node of ${institution.name}: @${institution.handle}@${config.publicUrl.host}\n`,
        ),
  );

  return { app, requests };
}
