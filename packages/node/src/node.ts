import { join } from "node:path";
import type { Context, Federation } from "@fedify/fedify";
import type { Hono } from "hono";
import { AccountRepository } from "./accounts/account-repository.ts";
import { createAccount } from "./accounts/account-service.ts";
import { type LocalActor, LocalActorRepository } from "./actors/local-actors.ts";
import { BlobStore } from "./blobs/blob-store.ts";
import { CatalogEvents } from "./catalog/catalog-events.ts";
import { CatalogRepository } from "./catalog/catalog-repository.ts";
import type { NodeConfig } from "./config.ts";
import { CourseRepository } from "./courses/course-repository.ts";
import type { NodeDatabase } from "./db/database.ts";
import { openDatabase } from "./db/open-database.ts";
import { catchUp } from "./federation/catch-up.ts";
import { CatchUpRuns } from "./federation/catch-up-runs.ts";
import type { FederationServices } from "./federation/context.ts";
import { orderDeliveries } from "./federation/delivery-order.ts";
import { deliveryFailureRecorder, trackDeliveries } from "./federation/delivery-tracking.ts";
import { DirectDelivery } from "./federation/direct-delivery.ts";
import { domainServices } from "./federation/domain-services.ts";
import { createNodeFederation, SIGNATURE_SPECS } from "./federation/federation.ts";
import { DatabaseKvStore } from "./federation/kv-store.ts";
import { createMessageQueue } from "./federation/message-queue.ts";
import { withInstitutionSigner } from "./federation/signed-fetch.ts";
import { signedRequester } from "./federation/signed-requester.ts";
import { CatchUpRunRepository } from "./follows/catch-up-run-repository.ts";
import { FollowRepository } from "./follows/follow-repository.ts";
import { MoodleTargetRepository } from "./moodle-targets/target-repository.ts";
import { createNodeApp } from "./node-app.ts";
import { PeerRepository } from "./peers/peer-repository.ts";
import { BlockedActors } from "./reports/blocked-actors.ts";
import { ReportRepository } from "./reports/report-repository.ts";
import { ArchiveLinks } from "./restores/archive-links.ts";
import { applyRestoreRules } from "./restores/auto-restore.ts";
import { RestoreRepository } from "./restores/restore-repository.ts";
import { type RestoreMessage, runRestoreJob } from "./restores/restore-service.ts";
import { ShareJobRepository } from "./restores/share-jobs.ts";
import { runShareJob, type ShareMessage } from "./restores/share-service.ts";
import { type ScheduledTask, startScheduler } from "./scheduling/scheduled-tasks.ts";
import { NodeSettings } from "./settings/node-settings.ts";
import { removeAbandonedStagingDirectories } from "./staging-directories.ts";
import { TokenRepository } from "./tokens/token-repository.ts";
import { sweepAbandonedUploads } from "./uploads/abandoned-uploads.ts";
import { UploadRepository } from "./uploads/upload-repository.ts";
import { WebUploadRepository } from "./uploads/web-upload-repository.ts";

export const SOFTWARE_VERSION = "0.1.0";

/**
 * Restore jobs run at once, over all targets; each driver also lets only one restore at a
 * time into its own site, so two sites are restored into in parallel at most.
 */
const RESTORE_CONCURRENCY = 2;

/**
 * Shares from Moodle run at once: each asks its site for a backup, which loads Moodle as
 * much as a restore does.
 */
const SHARE_CONCURRENCY = 2;

/**
 * Deliveries made at once: a delivery mostly waits on its peer, so many in flight keep
 * slow servers from holding up the others (a fan-out to many followers especially), and
 * the queue takes and deletes them by the dozen. Each holds little (the activity is
 * shared by its fan-out's messages until parsed), so 64 cost a few MB at most.
 */
const DELIVERY_CONCURRENCY = 64;

/** How long closing waits for requests still being handled before closing the database. */
const REQUEST_DRAIN_MS = 10_000;

/** How often uploads never published are looked for (they are dropped after a day). */
const UPLOAD_SWEEP_INTERVAL_MS = 3600 * 1000;

/**
 * The catch-up of the actors followed (federation/catch-up.ts), every configured period
 * and, when a node starts after a period without one, at once (the scheduler runs a task
 * whose time has come on start); and every few minutes for the actors an activity failed
 * for good from, so that they are not left behind for the rest of the period.
 */
function catchUpTasks(
  ctx: Context<FederationServices>,
  runs: CatchUpRuns,
  config: NodeConfig,
): ScheduledTask[] {
  if (config.catchUpIntervalMs === undefined) return [];
  return [
    {
      // In the slot an admin's catch-up of every actor takes: never two at once.
      name: "catch-up",
      intervalMs: config.catchUpIntervalMs,
      run: async () => await runs.runPeriodic(),
    },
    {
      name: "catch-up-behind",
      intervalMs: Math.min(CATCH_UP_BEHIND_INTERVAL_MS, config.catchUpIntervalMs),
      run: async () => void (await catchUp(ctx, { behindOnly: true })),
    },
  ];
}

/** How soon an actor an activity failed for good from is read again. */
const CATCH_UP_BEHIND_INTERVAL_MS = 10 * 60_000;

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
  const shareQueue = createMessageQueue(db, { channel: "share", concurrency: SHARE_CONCURRENCY });
  const catalogEvents = new CatalogEvents();
  const services: FederationServices = {
    actors,
    follows: new FollowRepository(db),
    settings: new NodeSettings(db, {
      federation: config.federation,
      autoAcceptDomains: config.autoAcceptDomains,
    }),
    courses: new CourseRepository(db),
    catalog: new CatalogRepository(db),
    catalogEvents,
    blobs: new BlobStore(join(config.dataDir, "blobs")),
    peers,
    moodleTargets: new MoodleTargetRepository(db),
    restores: new RestoreRepository(db),
    // In the database's key-value store: a link minted by one process is served by any.
    archiveLinks: new ArchiveLinks(new DatabaseKvStore(db), config.publicUrl),
    restoreQueue,
    shareJobs: new ShareJobRepository(new DatabaseKvStore(db)),
    shareQueue,
    reports: new ReportRepository(db),
    blockedActors: new BlockedActors(db),
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
  const deliveries = trackDeliveries(
    orderDeliveries(outbox),
    peers,
    new DirectDelivery(new DatabaseKvStore(db), SIGNATURE_SPECS[config.firstKnock]),
  );
  // One at a time: Fedify's check for an activity already handled is not atomic.
  const inbox = createMessageQueue(db, { channel: "inbox" });
  const queue = { inbox, outbox: deliveries, fanout: deliveries };
  // One per node: the keys it verified serve the outbox, course objects, downloads and search.
  const signedReads = signedRequester();
  const federation = createNodeFederation({
    kv: new DatabaseKvStore(db),
    queue,
    origin: config.publicUrl,
    allowPrivateAddress: config.allowPrivateAddresses,
    onDeliveryError: deliveryFailureRecorder(peers),
    firstKnock: config.firstKnock,
    inboxRetrySchedule: config.inboxRetrySchedule,
    signedRequester: signedReads,
  });
  const workers = new AbortController();
  const restoreStores = withInstitutionSigner(federation.createContext(config.publicUrl, services));
  const shareStores = domainServices(federation.createContext(config.publicUrl, services));
  const queueStopped = Promise.all([
    federation.startQueue(services, { signal: workers.signal }),
    restoreQueue.listen((message) => runRestoreJob(restoreStores, message as RestoreMessage), {
      signal: workers.signal,
    }),
    shareQueue.listen((message) => runShareJob(shareStores, message as ShareMessage), {
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
  // Likewise the staging folders (a Moodle backup on its way, as large as a course) of a
  // process killed in the middle of its work: nothing else would ever remove them.
  await removeAbandonedStagingDirectories();
  const catchUpRuns = new CatchUpRuns(
    federation.createContext(config.publicUrl, services),
    new CatchUpRunRepository(db),
  );
  const scheduler = startScheduler(
    db,
    [
      {
        name: "sweep-abandoned-uploads",
        intervalMs: UPLOAD_SWEEP_INTERVAL_MS,
        run: async () =>
          void (await sweepAbandonedUploads({ uploads, webUploads }, services.blobs)),
      },
      ...catchUpTasks(federation.createContext(config.publicUrl, services), catchUpRuns, config),
    ],
    {
      onError: (task, error) =>
        console.error(`coursefed: ${task.name} failed: ${(error as Error).message}`),
    },
  );

  const { app, requests } = await createNodeApp({
    config,
    db,
    institution,
    services,
    federation,
    catchUpRuns,
    signedRequester: signedReads,
    peers,
    queues: { inbox, outbox, restore: restoreQueue },
    uploads,
    webUploads,
  });

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
      // A catch-up under way is cut first: the scheduler waits for the periodic one.
      await catchUpRuns.stop();
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
