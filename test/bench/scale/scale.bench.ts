/**
 * Scale benchmarks, each figure against another measured in the same run:
 *   - catalog search (catalog-search.ts, which says what it measures);
 *   - deliveries per second: one Create fanned out to FOLLOWERS (default 2,000) inboxes of a
 *     counting server by `coursefed serve`, 3 processes against 1 on PostgreSQL, and 1 on
 *     SQLite, against plain sequential POSTs of the same body to the same inboxes; and the
 *     node's resident memory (all its processes) at rest and at its peak during the fan-out,
 *     what the fan-out adds held to FANOUT_RSS_BUDGET_MB per process.
 * PostgreSQL is a throwaway server of its own (Debian's postgresql package). `--quick` (or
 * QUICK=1) shrinks every size for a smoke run; PARTS=catalog or PARTS=deliveries runs one
 * part. `npm run bench:scale`.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { openDatabase } from "../../../packages/node/src/db/open-database.ts";
import {
  TEST_POSTGRES_ENVIRONMENT,
  type TemporaryDatabase,
  temporaryDatabase,
} from "../../../packages/node/src/db/test-database.ts";
import { buildTarGz, moodleBackupXml } from "../../support/archive-builder.ts";
import { launcherFlags } from "../../support/coursefed-cli.ts";
import {
  addFollowers,
  type CountingInbox,
  publicationActivityId,
  type ServeProcess,
  startCountingInbox,
  startServe,
} from "../../support/coursefed-cluster.ts";
import { eventually } from "../../support/eventually.ts";
import { postgresBinaries, startServer } from "../../support/postgres-server.ts";
import { catalogSearchFigures } from "./catalog-search.ts";
import { residentMegabytes } from "./resident-memory.ts";

const quick = process.argv.includes("--quick") || process.env.QUICK === "1";
const followerCount = Number(process.env.FOLLOWERS ?? (quick ? 200 : 2000));
const parts = new Set((process.env.PARTS ?? "catalog,deliveries").split(","));

/**
 * The most a fan-out may add to the resident memory of the node's processes (MB, over
 * their size at rest, which bench:downloads holds to its own budget). What a fan-out keeps
 * live is small: 64 deliveries in hand (their request and response each, and the one
 * activity of a few KB they share, queue_payloads), the fan-out message with every inbox
 * (2,000 URLs, a few hundred KB) and one insert of a thousand queue rows (under 1 MB of
 * JSON since the activity and keys are stored once; about 5 MB before). What grows
 * with the number of followers is garbage: under the deployments' 1 MB semi-space
 * (--max-semi-space-size=1) whatever a delivery holds across a network round trip is
 * promoted to the old generation, which V8 collects only once it has grown. Measured
 * here: +8 MB for 20 followers, +108 to +113 MB for 2,000, the same with 16 deliveries in
 * hand as with 64 and with inserts of 200 rows as of 1,000. 128 MB leaves that margin; a
 * node that kept every recipient's delivery (2,000 activities, requests and responses)
 * would pass it.
 */
const FANOUT_RSS_BUDGET_MB = 128;

const step = (text: string) => process.stderr.write(`${text}\n`);

interface FanOutFigures {
  /** Deliveries per second, from the publish request to the last inbox reached. */
  readonly rate: number;
  /** Plain sequential POSTs of the same body to the same inboxes, per second. */
  readonly plainRate: number;
  /** The node's processes' resident memory before publishing and at its peak after (MB). */
  readonly restingMb: number;
  readonly peakMb: number;
}

/** One Create to every follower by `coursefed serve` with `workers` processes. */
async function fanOut(
  inbox: CountingInbox,
  backup: Buffer,
  setup: { workers: number; database?: TemporaryDatabase; label: string },
): Promise<FanOutFigures> {
  const dataDir = mkdtempSync(join(tmpdir(), "coursefed-bench-scale-"));
  let serve: ServeProcess | undefined;
  try {
    serve = await startServe({
      dataDir,
      // As deployed: the GC flags weigh on a fan-out's allocations and on its memory.
      nodeFlags: launcherFlags(),
      workers: setup.workers,
      ...(setup.database ? { databaseUrl: setup.database.location } : {}),
    });
    const db = await openDatabase(setup.database?.location ?? join(dataDir, "node.sqlite"));
    try {
      await addFollowers(db, inbox, followerCount);
    } finally {
      await db.close();
    }
    const upload = await serve.api("/uploads", { body: backup });
    const node = serve;
    const pids = () => [node.pid, ...node.workerPids()];
    const restingMb = residentMegabytes(pids());
    let peakMb = restingMb;
    const sampling = setInterval(() => {
      peakMb = Math.max(peakMb, residentMegabytes(pids()));
    }, 50);
    const started = performance.now();
    const published = await serve.api("/courses", {
      json: { uploadId: upload.body.id, title: `Fan-out ${setup.label}` },
    });
    if (published.status !== 201) throw new Error(`publish: ${JSON.stringify(published.body)}`);
    const activity = publicationActivityId(serve.url, published.body.id as string);
    await eventually(() => inbox.deliveriesOf(activity).inboxes.size === followerCount, 600_000);
    const seconds = (performance.now() - started) / 1000;
    clearInterval(sampling);
    const { posts } = inbox.deliveriesOf(activity);
    step(`  ${setup.label}: ${followerCount} inboxes in ${seconds.toFixed(2)} s (${posts} POSTs)`);
    // The baseline, in the same conditions: the body the node sent, from this process.
    const body = inbox.bodyOf(activity) as string;
    const plainStarted = performance.now();
    for (let n = 0; n < followerCount; n++) {
      await fetch(`http://127.0.0.1:${inbox.port}/inbox/${n}`, {
        method: "POST",
        body,
        headers: { "content-type": "application/activity+json" },
      });
    }
    const plainSeconds = (performance.now() - plainStarted) / 1000;
    return {
      rate: followerCount / seconds,
      plainRate: followerCount / plainSeconds,
      restingMb,
      peakMb,
    };
  } finally {
    // Thrown away after: no need to wait for a graceful stop.
    await serve?.stop(1000);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const binaries = postgresBinaries();
if (!binaries) {
  process.stderr.write(
    "PostgreSQL's server binaries are not installed (apt-get install postgresql).\n",
  );
  process.exit(2);
}
const postgres = await startServer(binaries);
// temporaryDatabase() makes its databases on this server.
process.env[TEST_POSTGRES_ENVIRONMENT] = postgres.url;
const lines: string[] = [
  `machine: ${availableParallelism()} cores, load average ${loadavg()[0]?.toFixed(1)} at start; PostgreSQL ${binaries.split("/").at(-2)} (fsync off), SQLite WAL`,
];
const scratch = mkdtempSync(join(tmpdir(), "coursefed-bench-scale-"));
try {
  if (parts.has("catalog")) lines.push(...(await catalogSearchFigures(scratch)));
  if (parts.has("deliveries")) lines.push(...(await deliveryFigures()));
} finally {
  rmSync(scratch, { recursive: true, force: true });
  await postgres.stop();
}
process.stdout.write(`${lines.join("\n")}\n`);
process.exit(0);

async function deliveryFigures(): Promise<string[]> {
  step(`fanning out one Create to ${followerCount} followers`);
  const backup = await buildTarGz([
    {
      name: "moodle_backup.xml",
      data: moodleBackupXml({ activities: [{ module: "page", id: 4, title: "Welcome" }] }),
    },
  ]);
  const inbox = await startCountingInbox();
  const figures: FanOutFigures[] = [];
  for (const [label, workers, engine] of [
    ["SQLite, 1 process", 1, "sqlite"],
    ["PostgreSQL, 1 process", 1, "postgres"],
    ["PostgreSQL, 3 processes", 3, "postgres"],
  ] as const) {
    const database = engine === "postgres" ? await temporaryDatabase() : undefined;
    try {
      figures.push(
        await fanOut(inbox, backup, { label, workers, ...(database ? { database } : {}) }),
      );
    } finally {
      await database?.remove();
    }
  }
  await inbox.close();
  const [sqlite, pg, cluster] = figures as [FanOutFigures, FanOutFigures, FanOutFigures];
  const ofPlain = (figure: FanOutFigures) =>
    `${figure.rate.toFixed(0)}/s = ${(figure.rate / figure.plainRate).toFixed(2)}x the rate of plain POSTs (${figure.plainRate.toFixed(0)}/s)`;
  const memory = (figure: FanOutFigures) =>
    `${figure.restingMb.toFixed(0)} MB at rest, ${figure.peakMb.toFixed(0)} MB at peak (+${(figure.peakMb - figure.restingMb).toFixed(0)} MB)`;
  return [
    `deliveries to ${followerCount} followers (signed; up to 64 in hand per process), each against plain sequential POSTs of the same body measured right after:`,
    `  SQLite 1 process ${ofPlain(sqlite)}`,
    `  PostgreSQL 1 process ${ofPlain(pg)}; ${(pg.rate / sqlite.rate).toFixed(2)}x SQLite`,
    `  PostgreSQL 3 processes ${ofPlain(cluster)}; ${(cluster.rate / pg.rate).toFixed(2)}x 1 process on ${availableParallelism()} cores`,
    `node's resident memory during the fan-out (budget: ${FANOUT_RSS_BUDGET_MB} MB over rest per process): SQLite 1 process ${memory(sqlite)}${sqlite.peakMb - sqlite.restingMb > FANOUT_RSS_BUDGET_MB ? " OVER BUDGET" : ""}; PostgreSQL 3 processes together ${memory(cluster)}${cluster.peakMb - cluster.restingMb > 3 * FANOUT_RSS_BUDGET_MB ? " OVER BUDGET" : ""}`,
  ];
}
