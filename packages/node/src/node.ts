import { join } from "node:path";
import type { Federation } from "@fedify/fedify";
import { Hono } from "hono";
import { AccountRepository } from "./accounts/account-repository.ts";
import { createAccount } from "./accounts/account-service.ts";
import { LoginThrottle } from "./accounts/login-throttle.ts";
import { SessionRepository } from "./accounts/session-repository.ts";
import { type LocalActor, LocalActorRepository } from "./actors/local-actors.ts";
import { sweepAbandonedUploads } from "./api/abandoned-uploads.ts";
import { createApi, federationContextFor } from "./api/api.ts";
import { TokenRepository } from "./api/token-repository.ts";
import { UploadRepository } from "./api/upload-repository.ts";
import { AuditLog } from "./audit/audit-log.ts";
import { BlobStore } from "./blobs/blob-store.ts";
import type { NodeConfig } from "./config.ts";
import { CourseRepository } from "./courses/course-repository.ts";
import { type NodeDatabase, openDatabase } from "./db/database.ts";
import type { FederationServices } from "./federation/context.ts";
import { createNodeFederation } from "./federation/federation.ts";
import { DatabaseKvStore } from "./federation/kv-store.ts";
import { DatabaseMessageQueue } from "./federation/message-queue.ts";
import { FollowRepository } from "./follows/follow-repository.ts";
import { courseRoutes } from "./http/course-routes.ts";
import { federationGuard } from "./http/federation-guard.ts";
import { federationMiddleware } from "./http/federation-middleware.ts";
import { MoodleTargetRepository } from "./moodle-targets/target-repository.ts";
import { deliveryFailureRecorder, trackDeliveries } from "./peers/delivery-tracking.ts";
import { PeerRepository } from "./peers/peer-repository.ts";
import { RestoreRepository } from "./restores/restore-repository.ts";
import { type RestoreMessage, runRestoreJob } from "./restores/restore-service.ts";
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
  const db = openDatabase(join(config.dataDir, "node.sqlite"));
  const actors = new LocalActorRepository(db);
  const institution = actors.ensureInstitution(config.institution.handle, config.institution.name);
  await actors.keyPairs(institution);
  const peers = new PeerRepository(db);
  const restoreQueue = new DatabaseMessageQueue(db, {
    channel: "restore",
    concurrency: RESTORE_CONCURRENCY,
  });
  const services: FederationServices = {
    actors,
    follows: new FollowRepository(db),
    followPolicy: { autoAcceptDomains: config.autoAcceptDomains },
    federationPolicy: config.federation,
    courses: new CourseRepository(db),
    blobs: new BlobStore(join(config.dataDir, "blobs")),
    peers,
    moodleTargets: new MoodleTargetRepository(db),
    restores: new RestoreRepository(db),
    restoreQueue,
    softwareVersion: SOFTWARE_VERSION,
  };

  const deliveries = trackDeliveries(
    new DatabaseMessageQueue(db, { channel: "outbox", concurrency: DELIVERY_CONCURRENCY }),
    peers,
  );
  const queue = {
    // One at a time: Fedify's check for an activity already handled is not atomic.
    inbox: new DatabaseMessageQueue(db, { channel: "inbox" }),
    outbox: deliveries,
    fanout: deliveries,
  };
  const federation = createNodeFederation({
    kv: new DatabaseKvStore(db),
    queue,
    origin: config.publicUrl,
    allowPrivateAddress: config.allowPrivateAddresses,
    onDeliveryError: deliveryFailureRecorder(peers),
    firstKnock: config.firstKnock,
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
  const sweepUploads = () =>
    sweepAbandonedUploads(uploads, services.blobs).catch((error: unknown) => {
      console.error(`coursefed: could not clear abandoned uploads: ${(error as Error).message}`);
    });
  const sweeping = setInterval(sweepUploads, UPLOAD_SWEEP_INTERVAL_MS);
  sweeping.unref();
  void sweepUploads();

  const app = new Hono();
  const tokens = new TokenRepository(db);
  // The first start makes an admin token for the institution, shown to whoever started it.
  const initialAdminToken = tokens.isEmpty()
    ? tokens.create("initial admin", "admin", institution.id).token
    : undefined;

  const accounts = new AccountRepository(db);
  const audit = new AuditLog(db);
  const initialAdminPassword = accounts.isEmpty()
    ? (
        await createAccount(
          { actors, accounts },
          { username: "admin", role: "admin", displayName: institution.name },
        )
      ).password
    : undefined;

  app.use(federationGuard(config.federation));
  app.use(federationMiddleware(federation, () => services));
  app.route(
    "/",
    createApi({
      services,
      tokens,
      uploads,
      maxUploadBytes: config.maxUploadBytes,
      audit,
      context: federationContextFor(federation, services),
    }),
  );
  app.route(
    "/",
    courseRoutes(services, config.publicUrl, async (request) => {
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
      context: federationContextFor(federation, services),
      publicUrl: config.publicUrl,
      siteName: institution.name,
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
      clearInterval(sweeping);
      workers.abort();
      await queueStopped;
      db.$client.close();
    },
  };
}
