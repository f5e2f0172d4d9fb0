import { join } from "node:path";
import type { Federation } from "@fedify/fedify";
import { Hono } from "hono";
import { AccountRepository } from "./accounts/account-repository.ts";
import { createAccount, oidcAccounts } from "./accounts/account-service.ts";
import { LoginThrottle } from "./accounts/login-throttle.ts";
import { oidcCookieSecret } from "./accounts/oidc/oidc-secret.ts";
import { SessionRepository } from "./accounts/session-repository.ts";
import { type LocalActor, LocalActorRepository } from "./actors/local-actors.ts";
import { createApi, federationContextFor } from "./api/api.ts";
import { AuditLog } from "./audit/audit-log.ts";
import { BlobStore } from "./blobs/blob-store.ts";
import type { NodeConfig } from "./config.ts";
import { CatalogEvents } from "./courses/catalog-events.ts";
import { CourseRepository } from "./courses/course-repository.ts";
import type { NodeDatabase } from "./db/database.ts";
import { openDatabase } from "./db/open-database.ts";
import type { FederationServices } from "./federation/context.ts";
import { deliveryFailureRecorder, trackDeliveries } from "./federation/delivery-tracking.ts";
import { createNodeFederation } from "./federation/federation.ts";
import { DatabaseKvStore } from "./federation/kv-store.ts";
import { createMessageQueue } from "./federation/message-queue.ts";
import { FollowRepository } from "./follows/follow-repository.ts";
import { bodyLimits } from "./http/body-limits.ts";
import { downloadRoutes } from "./http/download-routes.ts";
import { federationGuard } from "./http/federation-guard.ts";
import { federationMiddleware } from "./http/federation-middleware.ts";
import { RequestsInFlight } from "./http/requests-in-flight.ts";
import { MoodleTargetRepository } from "./moodle-targets/target-repository.ts";
import { NodeMetrics } from "./observability/metrics.ts";
import { observabilityRoutes } from "./observability/observability-routes.ts";
import { PeerRepository, peerState } from "./peers/peer-repository.ts";
import { applyRestoreRules } from "./restores/auto-restore.ts";
import { RestoreRepository } from "./restores/restore-repository.ts";
import { type RestoreMessage, runRestoreJob } from "./restores/restore-service.ts";
import { startScheduler } from "./scheduling/scheduled-tasks.ts";
import { federatesWith } from "./settings/federation-policy.ts";
import { NodeSettings } from "./settings/node-settings.ts";
import { TokenRepository } from "./tokens/token-repository.ts";
import { sweepAbandonedUploads } from "./uploads/abandoned-uploads.ts";
import { UploadRepository } from "./uploads/upload-repository.ts";
import { WebUploadRepository } from "./uploads/web-upload-repository.ts";
import { createWebApp } from "./web/web-app.ts";

export const SOFTWARE_VERSION = "0.1.0";

/**
 * Restore jobs run at once, over all targets; each driver also lets only one restore at a
 * time into its own site, so two sites are restored into in parallel at most.
 */
const RESTORE_CONCURRENCY = 2;

/**
 * Deliveries made at once: a delivery mostly waits on its peer, so a few in flight keep
 * one slow server from holding up the others (a fan-out to many followers especially).
 */
const DELIVERY_CONCURRENCY = 8;

/** How long closing waits for requests still being handled before closing the database. */
const REQUEST_DRAIN_MS = 10_000;

/** How often uploads never published are looked for (they are dropped after a day). */
const UPLOAD_SWEEP_INTERVAL_MS = 3600 * 1000;

/** One institution node: its database, federation and HTTP application. */
export interface CoursefedNode {
  readonly config: NodeConfig;
  readonly db: NodeDatabase;
  readonly federation: Federation<FederationServices>;
  readonly app: Hono;
  readonly institution: LocalActor;
  readonly services: FederationServices;
  /** Made on the node's first start only; never stored in clear. */
  readonly initialAdminToken: string | undefined;
  /** The password of the `admin` web account, made when there is no web account yet. */
  readonly initialAdminPassword: string | undefined;
  /** Stops the queue workers and closes the database. */
  close(): Promise<void>;
}

/**
 * Opens (creating on first run) the node's data directory, database and keys, and wires
 * federation and HTTP. Nothing listens yet: see `startServer`.
 */
export async function createNode(config: NodeConfig): Promise<CoursefedNode> {
  const db = await openDatabase(config.database);
  const { institution, initialAdminToken, initialAdminPassword } = await initializeNode(db, config);
  const actors = new LocalActorRepository(db);
  const peers = new PeerRepository(db);
  const restoreQueue = createMessageQueue(db, {
    channel: "restore",
    concurrency: RESTORE_CONCURRENCY,
  });
  const catalogEvents = new CatalogEvents();
  const services: FederationServices = {
    actors,
    follows: new FollowRepository(db),
    settings: new NodeSettings(db, {
      federation: config.federation,
      autoAcceptDomains: config.autoAcceptDomains,
    }),
    courses: new CourseRepository(db),
    catalogEvents,
    blobs: new BlobStore(join(config.dataDir, "blobs")),
    peers,
    moodleTargets: new MoodleTargetRepository(db),
    restores: new RestoreRepository(db),
    restoreQueue,
    softwareVersion: SOFTWARE_VERSION,
    allowPrivateAddresses: config.allowPrivateAddresses,
  };
  catalogEvents.onRevisionReceived(async (event) => {
    await applyRestoreRules(services, event);
  });

  const outbox = createMessageQueue(db, {
    channel: "outbox",
    concurrency: DELIVERY_CONCURRENCY,
  });
  const deliveries = trackDeliveries(outbox, peers);
  // One at a time: Fedify's check for an activity already handled is not atomic.
  const inbox = createMessageQueue(db, { channel: "inbox" });
  const queue = { inbox, outbox: deliveries, fanout: deliveries };
  const federation = createNodeFederation({
    kv: new DatabaseKvStore(db),
    queue,
    origin: config.publicUrl,
    allowPrivateAddress: config.allowPrivateAddresses,
    onDeliveryError: deliveryFailureRecorder(peers),
    firstKnock: config.firstKnock,
    inboxRetrySchedule: config.inboxRetrySchedule,
  });
  const workers = new AbortController();
  const restoreContext = federation.createContext(config.publicUrl, services);
  const queueStopped = Promise.all([
    federation.startQueue(services, { signal: workers.signal }),
    restoreQueue.listen((message) => runRestoreJob(restoreContext, message as RestoreMessage), {
      signal: workers.signal,
    }),
  ]);

  const uploads = new UploadRepository(db);
  const webUploads = new WebUploadRepository(db);
  // What a process that died while writing left in the store goes now: the hourly sweep
  // below may not be due for the best part of an hour.
  await services.blobs.removeAbandonedWrites().catch((error: unknown) => {
    console.error(`coursefed: cleaning the archive store failed: ${(error as Error).message}`);
  });
  const scheduler = startScheduler(
    db,
    [
      {
        name: "sweep-abandoned-uploads",
        intervalMs: UPLOAD_SWEEP_INTERVAL_MS,
        run: async () =>
          void (await sweepAbandonedUploads({ uploads, webUploads }, services.blobs)),
      },
    ],
    {
      onError: (task, error) =>
        console.error(`coursefed: ${task.name} failed: ${(error as Error).message}`),
    },
  );

  const app = new Hono();
  const tokens = new TokenRepository(db);
  const accounts = new AccountRepository(db);
  const audit = new AuditLog(db);
  const queues = { inbox, outbox, restore: restoreQueue };
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
  app.use(federationMiddleware(federation, () => services));
  app.route(
    "/",
    createApi({
      services,
      tokens,
      uploads,
      webUploads,
      maxUploadBytes: config.maxUploadBytes,
      audit,
      context: federationContextFor(federation, services),
    }),
  );
  app.route(
    "/",
    downloadRoutes(services, config.publicUrl, async (request) => {
      const owner = await federation.createContext(request, services).getSignedKeyOwner();
      return owner?.id?.href;
    }),
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

  return {
    config,
    db,
    federation,
    app,
    institution,
    services,
    initialAdminToken,
    initialAdminPassword,
    async close() {
      await scheduler.stop();
      workers.abort();
      await queueStopped;
      // A request whose client went away (the server closed) may still be writing.
      await requests.drained(REQUEST_DRAIN_MS);
      await db.close();
    },
  };
}

/**
 * What a node's first start makes, once, before any process serves: the institution
 * actor and its keys, an admin API token and the `admin` web account (their secrets are
 * returned to be shown once). Later starts only bring the institution's name up to date.
 */
export async function initializeNode(
  db: NodeDatabase,
  config: NodeConfig,
): Promise<{
  institution: LocalActor;
  initialAdminToken: string | undefined;
  initialAdminPassword: string | undefined;
}> {
  const actors = new LocalActorRepository(db);
  const institution = await actors.ensureInstitution(
    config.institution.handle,
    config.institution.name,
  );
  await actors.keyPairs(institution);
  const tokens = new TokenRepository(db);
  const initialAdminToken = (await tokens.isEmpty())
    ? (await tokens.create("initial admin", "admin", institution.id)).token
    : undefined;
  const accounts = new AccountRepository(db);
  const initialAdminPassword = (await accounts.isEmpty())
    ? (
        await createAccount(
          { actors, accounts },
          { username: "admin", role: "admin", displayName: institution.name },
        )
      ).password
    : undefined;
  return { institution, initialAdminToken, initialAdminPassword };
}
