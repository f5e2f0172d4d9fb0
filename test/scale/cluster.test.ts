/**
 * Issue 7: three node processes on one PostgreSQL database share the queues. A fan-out
 * to 1,000 followers and a burst of 50 restore jobs are each worked exactly once; a
 * process killed with SIGKILL mid-way leaves its work to the others once its leases run
 * out (30 s), and the primary starts another in its place.
 */
import { createHash } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, get as httpGet, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import type { MoodleSiteInfo } from "@coursefed/moodle";
import { count, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { BlobStore } from "../../packages/node/src/blobs/blob-store.ts";
import { publishCourse } from "../../packages/node/src/courses/publish-service.ts";
import type { NodeDatabase } from "../../packages/node/src/db/database.ts";
import {
  TEST_POSTGRES_ENVIRONMENT,
  type TemporaryDatabase,
  temporaryDatabase,
} from "../../packages/node/src/db/test-database.ts";
import { domainServices } from "../../packages/node/src/federation/domain-services.ts";
import { DatabaseKvStore } from "../../packages/node/src/federation/kv-store.ts";
import { answerFollow } from "../../packages/node/src/follows/follow-service.ts";
import { ArchiveLinks } from "../../packages/node/src/restores/archive-links.ts";
import { buildTarGz, moodleBackupXml } from "../support/archive-builder.ts";
import {
  addFollowers,
  type CountingInbox,
  publicationActivityId,
  type ServeProcess,
  startCountingInbox,
  startServe,
} from "../support/coursefed-cluster.ts";
import { eventually } from "../support/eventually.ts";
import { contextOf, institutionOf } from "../support/federation-steps.ts";
import { startTestNode, type TestNode } from "../support/test-node.ts";

const WORKERS = 3;
const FOLLOWERS = 1000;
const RESTORES = 50;
/**
 * What one node process works at once (DELIVERY_CONCURRENCY and RESTORE_CONCURRENCY in
 * packages/node/src/node.ts): the most a killed process can leave half done. Deliveries
 * count twice: the queue deletes handled messages in batches, so as many again may have
 * been delivered but not yet deleted.
 */
const DELIVERIES_IN_FLIGHT = 2 * 64;
const RESTORES_IN_FLIGHT = 2;

/** A site on Moodle 3.9: the compatibility check refuses the 4.5 backup below. */
const OLD_MOODLE: MoodleSiteInfo = {
  version: "2020061500",
  release: "3.9 (Build: 20200615)",
  branch: "3.9",
  plugins: { mod_page: 2020061500 },
  maxRestoreBytes: null,
};

let database: TemporaryDatabase;
let db: NodeDatabase;
let dataDir: string;
let cluster: ServeProcess;
let inbox: CountingInbox;
let publisher: TestNode;
let backup: Buffer;

async function queued(channel: string): Promise<number> {
  const { queueMessages } = db.tables;
  const [row] = await db
    .select({ n: count() })
    .from(queueMessages)
    .where(eq(queueMessages.channel, channel));
  return row?.n ?? 0;
}

/** Publishes the backup through the cluster's API; returns the Create's id. */
async function publish(title: string): Promise<string> {
  const upload = await cluster.api("/uploads", { body: backup });
  expect(upload.status).toBe(201);
  const published = await cluster.api("/courses", {
    json: { uploadId: upload.body.id, title },
  });
  expect(published.status).toBe(201);
  return publicationActivityId(cluster.url, published.body.id as string);
}

/** Kills one worker with SIGKILL, as the kernel's OOM killer or a crash would. */
function killOneWorker(): number {
  const [victim] = cluster.workerPids();
  if (victim === undefined) throw new Error("The primary has no worker to kill.");
  process.kill(victim, "SIGKILL");
  return victim;
}

/** Waits until the primary has started another worker in place of `killed`. */
async function replaced(killed: number): Promise<void> {
  await eventually(() => {
    const now = cluster.workerPids();
    return now.length === WORKERS && !now.includes(killed);
  }, 30_000);
  expect(cluster.stderr()).toContain(
    `node process ${killed} exited (code signal); starting another`,
  );
}

/**
 * What a Moodle site with local_coursefed answers to a probe (local_coursefed_site_info),
 * held back until `answer()`: requests that arrive later are answered at once.
 */
async function startHeldMoodle(site: MoodleSiteInfo) {
  const waiting = new Set<ServerResponse>();
  let answering = false;
  const reply = (response: ServerResponse) =>
    response.writeHead(200, { "content-type": "application/json" }).end(
      JSON.stringify({
        version: site.version,
        release: site.release,
        branch: site.branch,
        plugins: Object.entries(site.plugins).map(([component, version]) => ({
          component,
          version: String(version),
        })),
        maxuploadbytes: 0,
      }),
    );
  const server = createServer((request, response) => {
    request.resume();
    if (answering) return reply(response);
    waiting.add(response);
    // A probe whose process was killed is no longer held.
    response.on("close", () => waiting.delete(response));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    held: () => waiting.size,
    answer() {
      answering = true;
      for (const response of waiting) reply(response);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

beforeAll(async () => {
  if (!process.env[TEST_POSTGRES_ENVIRONMENT]) {
    throw new Error("test/scale runs in the postgres vitest project, on a PostgreSQL server.");
  }
  backup = await buildTarGz([
    {
      name: "moodle_backup.xml",
      data: moodleBackupXml({ activities: [{ module: "page", id: 4, title: "Welcome" }] }),
    },
  ]);
  database = await temporaryDatabase();
  dataDir = await mkdtemp(join(tmpdir(), "coursefed-scale-"));
  // Each kept as soon as it runs, and all awaited, so that afterAll stops whatever started
  // even if something else failed to.
  const starts = await Promise.allSettled([
    startServe({ dataDir, workers: WORKERS, databaseUrl: database.location, handle: "scale" }).then(
      (started) => {
        cluster = started;
      },
    ),
    startCountingInbox().then((started) => {
      inbox = started;
    }),
    startTestNode("univ", "University").then((started) => {
      publisher = started;
    }),
  ]);
  for (const start of starts) if (start.status === "rejected") throw start.reason;
  db = await database.open();
  await addFollowers(db, inbox, FOLLOWERS);
}, 180_000);

afterAll(async () => {
  await cluster?.stop();
  await Promise.all([inbox?.close(), publisher?.stop(), db?.close()]);
  await database?.remove();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
}, 60_000);

describe(`${WORKERS} node processes on one PostgreSQL database`, () => {
  it(`fans out one Create to ${FOLLOWERS} followers exactly once`, async () => {
    const activity = await publish("Fan-out");
    await eventually(() => inbox.deliveriesOf(activity).inboxes.size === FOLLOWERS, 120_000);
    // A message leaves the table only once handled: an empty channel means no delivery is
    // still under way that could arrive twice.
    await eventually(async () => (await queued("outbox")) === 0, 30_000);
    const { posts, inboxes } = inbox.deliveriesOf(activity);
    expect(posts).toBe(FOLLOWERS);
    for (let n = 0; n < FOLLOWERS; n++) expect(inboxes.get(n), `inbox ${n}`).toBe(1);
    expect(inbox.unexpected).toEqual([]);
  }, 150_000);

  it("finishes a fan-out whose worker was killed mid-way", async () => {
    const activity = await publish("Fan-out with a crash");
    await eventually(() => inbox.deliveriesOf(activity).inboxes.size >= 300, 120_000);
    const killed = killOneWorker();
    const deliveredAtKill = inbox.deliveriesOf(activity).inboxes.size;
    expect(deliveredAtKill).toBeLessThan(FOLLOWERS);

    await eventually(() => inbox.deliveriesOf(activity).inboxes.size === FOLLOWERS, 120_000);
    await eventually(async () => (await queued("outbox")) === 0, 60_000);
    // Deliveries are at least once when a process dies: a POST the killed process had sent
    // before it could mark the message done is sent again by another once the lease runs
    // out. Only those it held at the moment may be repeated.
    const { posts, inboxes } = inbox.deliveriesOf(activity);
    expect(posts - FOLLOWERS).toBeGreaterThanOrEqual(0);
    expect(posts - FOLLOWERS).toBeLessThanOrEqual(DELIVERIES_IN_FLIGHT);
    for (let n = 0; n < FOLLOWERS; n++) {
      expect(inboxes.get(n), `inbox ${n}`).toBeGreaterThanOrEqual(1);
    }
    await replaced(killed);
  }, 200_000);

  it(`works a burst of ${RESTORES} restore jobs once each, through a killed worker`, async () => {
    // The cluster follows a node that publishes a course, which lands in its catalog.
    const following = await cluster.api("/follows", {
      json: { target: institutionOf(publisher) },
    });
    expect(following.status).toBe(202);
    const clusterInstitution = new URL("/actors/institution", cluster.url).href;
    await eventually(
      () =>
        publisher.node.services.follows.follower(publisher.node.institution.id, clusterInstitution),
      30_000,
    );
    await answerFollow(
      domainServices(contextOf(publisher)),
      publisher.node.institution,
      clusterInstitution,
      "accepted",
    );
    await eventually(async () => {
      const { followings } = db.tables;
      const [row] = await db.select({ state: followings.state }).from(followings);
      return row?.state === "accepted";
    }, 30_000);
    const archive = join(dataDir, "publisher-course.mbz");
    await writeFile(archive, backup);
    const { course } = await publishCourse(
      domainServices(contextOf(publisher)),
      publisher.node.institution,
      archive,
      { title: "To restore" },
    );
    const object = new URL(`/courses/${course.id}`, publisher.url).href;
    await eventually(async () => {
      const { catalogEntries } = db.tables;
      const [entry] = await db
        .select({ uri: catalogEntries.objectUri })
        .from(catalogEntries)
        .where(eq(catalogEntries.objectUri, object));
      return entry;
    }, 30_000);

    // A Moodle site on 3.9 that holds every probe until the test lets it answer: each job
    // fetches and verifies the archive, then waits on the probe, so that the kill below
    // finds every process with both its restore slots busy. Once answered, the probe is
    // kept and the compatibility check refuses the 4.5 backup without calling the site again.
    const moodle = await startHeldMoodle(OLD_MOODLE);
    onTestFinished(() => moodle.close());
    const target = await cluster.api("/moodle/targets", {
      json: { name: "old", driver: "ws", url: moodle.url, token: "any" },
    });
    expect(target.status).toBe(201);

    // Fetched once beforehand: jobs of one course fetching at the same moment write into
    // the same partial file and corrupt it (a product bug, outside what this test is about).
    const fetched = await cluster.api("/catalog/fetch", { json: { object } });
    expect(fetched.status).toBe(200);
    const requests = await Promise.all(
      Array.from({ length: RESTORES }, (_, index) =>
        cluster.api("/restores", { json: { object, target: "old", categoryId: index + 1 } }),
      ),
    );
    expect(requests.map((request) => request.status)).toEqual(Array(RESTORES).fill(202));
    const inFlight = WORKERS * RESTORES_IN_FLIGHT;
    await eventually(() => moodle.held() === inFlight, 60_000);
    const { restoreJobs } = db.tables;
    const running = await db
      .select({ id: restoreJobs.id })
      .from(restoreJobs)
      .where(eq(restoreJobs.state, "running"));
    expect(running).toHaveLength(inFlight);
    const killed = killOneWorker();
    // Its two probes end with it: answering only then keeps it from hearing back.
    await eventually(() => moodle.held() === inFlight - RESTORES_IN_FLIGHT, 10_000);
    moodle.answer();

    const jobs = await eventually(async () => {
      const all = await db.select().from(restoreJobs);
      return (
        all.length === RESTORES &&
        all.every(({ state }) => state !== "queued" && state !== "running") &&
        all
      );
    }, 120_000);
    await eventually(async () => (await queued("restore")) === 0, 60_000);
    expect(jobs.map(({ state, errorCode }) => `${state} ${errorCode}`)).toEqual(
      Array(RESTORES).fill("refused incompatible"),
    );
    expect(new Set(jobs.map(({ destinationKey }) => destinationKey)).size).toBe(RESTORES);
    // The two jobs the killed process was running are taken again when their leases run
    // out; no other job is worked twice.
    const retaken = jobs.filter(({ attempts }) => attempts !== 1);
    expect(retaken).toHaveLength(RESTORES_IN_FLIGHT);
    for (const job of retaken) expect(job.attempts).toBe(2);
    await replaced(killed);
  }, 200_000);

  it("serves an archive link from whichever process a request reaches, and none once revoked", async () => {
    const blob = await new BlobStore(join(dataDir, "blobs")).put(Readable.from([backup]));
    // Made as a restore job on any process makes it: in the database's key-value store.
    const links = new ArchiveLinks(new DatabaseKvStore(db), cluster.url);
    const link = await links.mint(blob);
    // A new connection each, so that the primary hands them to different processes.
    const get = () =>
      new Promise<{ status: number; sha256: string }>((resolve, reject) => {
        httpGet(link.url, { agent: false }, (response) => {
          const hash = createHash("sha256");
          response.on("data", (chunk: Buffer) => hash.update(chunk));
          response.on("end", () =>
            resolve({ status: response.statusCode ?? 0, sha256: hash.digest("hex") }),
          );
        }).on("error", reject);
      });
    const served = await Promise.all(Array.from({ length: 3 * WORKERS }, get));
    expect(served.map((each) => each.status)).toEqual(Array(3 * WORKERS).fill(200));
    expect(new Set(served.map((each) => each.sha256))).toEqual(new Set([blob.sha256]));
    await links.revoke(link);
    const refused = await Promise.all(Array.from({ length: 3 * WORKERS }, get));
    expect(refused.map((each) => each.status)).toEqual(Array(3 * WORKERS).fill(404));
  });
});
