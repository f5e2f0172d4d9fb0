/**
 * Scale benchmarks, each figure against another measured in the same run:
 *   - catalog search (catalog-search.ts, which says what it measures);
 *   - deliveries per second: one Create fanned out to FOLLOWERS (default 2,000) inboxes of a
 *     counting server by `coursefed serve`, 3 processes against 1 on PostgreSQL, and 1 on
 *     SQLite for reference.
 * PostgreSQL is a throwaway server of its own (Debian's postgresql package). `--quick` (or
 * QUICK=1) shrinks every size for a smoke run. `npm run bench:scale`.
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

const quick = process.argv.includes("--quick") || process.env.QUICK === "1";
const followerCount = Number(process.env.FOLLOWERS ?? (quick ? 200 : 2000));

const step = (text: string) => process.stderr.write(`${text}\n`);

/**
 * Deliveries per second of one Create to every follower by `coursefed serve` with
 * `workers` processes: from the publish request to the last inbox reached.
 */
async function fanOut(
  inbox: CountingInbox,
  backup: Buffer,
  setup: { workers: number; database?: TemporaryDatabase; label: string },
): Promise<number> {
  const dataDir = mkdtempSync(join(tmpdir(), "coursefed-bench-scale-"));
  let serve: ServeProcess | undefined;
  try {
    serve = await startServe({
      dataDir,
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
    const started = performance.now();
    const published = await serve.api("/courses", {
      json: { uploadId: upload.body.id, title: `Fan-out ${setup.label}` },
    });
    if (published.status !== 201) throw new Error(`publish: ${JSON.stringify(published.body)}`);
    const activity = publicationActivityId(serve.url, published.body.id as string);
    await eventually(() => inbox.deliveriesOf(activity).inboxes.size === followerCount, 600_000);
    const seconds = (performance.now() - started) / 1000;
    const { posts } = inbox.deliveriesOf(activity);
    step(`  ${setup.label}: ${followerCount} inboxes in ${seconds.toFixed(1)} s (${posts} POSTs)`);
    return followerCount / seconds;
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
  lines.push(...(await catalogSearchFigures(scratch)));

  step(`fanning out one Create to ${followerCount} followers`);
  const backup = await buildTarGz([
    {
      name: "moodle_backup.xml",
      data: moodleBackupXml({ activities: [{ module: "page", id: 4, title: "Welcome" }] }),
    },
  ]);
  const inbox = await startCountingInbox();
  const rates: number[] = [];
  for (const [label, workers, engine] of [
    ["SQLite, 1 process", 1, "sqlite"],
    ["PostgreSQL, 1 process", 1, "postgres"],
    ["PostgreSQL, 3 processes", 3, "postgres"],
  ] as const) {
    const database = engine === "postgres" ? await temporaryDatabase() : undefined;
    try {
      rates.push(
        await fanOut(inbox, backup, { label, workers, ...(database ? { database } : {}) }),
      );
    } finally {
      await database?.remove();
    }
  }
  await inbox.close();
  const [sqliteRate, pgRate, clusterRate] = rates as [number, number, number];
  lines.push(
    `deliveries to ${followerCount} followers (signed; 8 in flight per process): SQLite 1 process ${sqliteRate.toFixed(0)}/s, PostgreSQL 1 process ${pgRate.toFixed(0)}/s = ${(pgRate / sqliteRate).toFixed(2)}x SQLite, PostgreSQL 3 processes ${clusterRate.toFixed(0)}/s = ${(clusterRate / pgRate).toFixed(2)}x 1 process`,
  );
} finally {
  rmSync(scratch, { recursive: true, force: true });
  await postgres.stop();
}
process.stdout.write(`${lines.join("\n")}\n`);
process.exit(0);
