/**
 * Issue 17's table, before and after, on the same machine in one run: each measure runs on
 * a git worktree of the tree before the work (--before, default 1534d46) and of the tree
 * after it (--after, default HEAD), alternately (before, after, before, after…), holding the
 * bench lock (/tmp/coursefed-bench.lock) for each pair only, so that others can measure in
 * between. Prints one markdown table (each run's figure, the baselines measured in the same
 * run, after ÷ before), the load average at start and end, and both commits.
 *
 * `npm run before-after -- --help` says how to run it; docs/performance.md says what it
 * takes. Not part of `npm test`: it needs minutes, the registry once (npm ci of each
 * tree) and a quiet machine to mean anything.
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import {
  createWriteStream,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { repositoryRoot, sharedDirectory } from "../../support/shared-fixtures.ts";
import { beforeAfterTable, type MeasureRun, type TableRow } from "./before-after-table.ts";
import { type BenchKind, benchFigures, type Figures } from "./bench-figures.ts";
import {
  type BenchTree,
  BenchTreeError,
  placeBenchFiles,
  prepareTree,
  resolveCommit,
} from "./bench-trees.ts";

const USAGE = `Usage: npm run before-after -- [options]

Runs issue 17's benchmarks on the tree before the work and on the tree after it,
alternately, and prints the before/after table (markdown) on standard output; progress
goes to standard error, each run's output to --out.

Options:
  --before REV       the tree before (default 1534d46, the commit before issue 17's work)
  --after REV        the tree after (default HEAD)
  --before-dir DIR   its worktree, made or reused (default /tmp/coursefed-before)
  --after-dir DIR    (default /tmp/coursefed-after)
  --only IDS         run only these measures (comma-separated; ids below)
  --skip IDS         leave these out
  --million          add the 1,000,000-course catalog rows (after only; also
                     BEFORE_AFTER_MILLION=1). The SQLite catalog is built once per
                     commit and kept in /tmp; the PostgreSQL one is built each run (16 min
                     to fill and 20 to index here, says catalog-search.ts) unless
                     BEFORE_AFTER_POSTGRES_CATALOG names a database URL to keep it in
  --quick            every bench at its smoke sizes, one pair: checks the harness end to
                     end in a few minutes; its figures mean nothing
  --out DIR          where each run's output and the table are kept
                     (default /tmp/coursefed-before-after/<date>); the table is
                     written there again after each measure
  --table-from DIR   run nothing: print the table again from the runs kept in DIR
                     (an interrupted run's, say)
  --help

Measures (id: bench, pairs of runs):
${"%MEASURES%"}`;

type SideName = "before" | "after";

/** One benchmark run on both trees (or the after tree only), giving some of the table's rows. */
interface Measure {
  readonly id: string;
  readonly kind: BenchKind;
  /** The bench file and the files it reads beside it, as paths in the repository. */
  readonly files: readonly string[];
  /**
   * Whose version of the files runs: each tree its own ("own"), or one tree's on both, so
   * that both trees' code is measured by the same measuring code.
   */
  readonly filesFrom: "own" | SideName;
  readonly env: Readonly<Record<string, string>>;
  /** The sizes of --quick, for a run that checks the harness, not the code. */
  readonly quickEnv: Readonly<Record<string, string>>;
  /** Pairs of runs (before, after); where a run takes minutes, one. */
  readonly pairs: number;
  readonly sides: readonly SideName[];
  readonly about: string;
  /**
   * Folders in the temporary directory, by the start of their names, that the bench makes
   * and leaves behind (1534d46's federation bench keeps its 182 MB archive): those a run
   * made are removed after it.
   */
  readonly leaves?: string;
  /** Why it cannot run here, checked before the first run. */
  readonly unavailable?: () => Promise<string | undefined>;
}

const BEFORE_DEFAULT = "1534d46";

async function moodleSiteMissing(): Promise<string | undefined> {
  // As test/support/moodle-site.ts places the 4.5 site; this harness never installs one.
  const base = process.env.MOODLE_BASE ?? join(process.env.TMPDIR ?? "/tmp", "moodle-test");
  const moodleDir = process.env.MOODLE_DIR ?? join(base, "moodle");
  const port = process.env.MOODLE_PORT ?? "8080";
  if (!existsSync(join(moodleDir, "config.php"))) {
    return `no Moodle 4.5 test site in ${moodleDir} (bash ../shared/moodle/moodle-test-site.sh install, see test/support/moodle-site.ts)`;
  }
  try {
    await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(10_000) });
  } catch {
    return `the Moodle 4.5 test site does not answer on port ${port} (bash ../shared/moodle/moodle-test-site.sh start)`;
  }
  return undefined;
}

const MEASURES: readonly Measure[] = [
  {
    id: "inspect",
    kind: "mbz",
    files: ["test/bench/mbz/inspect.bench.ts"],
    filesFrom: "own",
    env: { BENCH_MB: "1024" },
    quickEnv: { BENCH_MB: "32" },
    pairs: 2,
    sides: ["before", "after"],
    about: "bench:mbz, 1024 MB of content (a 758 MB zip and tar.gz)",
  },
  {
    id: "federation-issue",
    kind: "federation",
    files: ["test/bench/federation/federation.bench.ts"],
    filesFrom: "before",
    env: { FOLLOWERS: "1000", PUBLICATIONS: "20" },
    quickEnv: { FOLLOWERS: "20", PUBLICATIONS: "2" },
    leaves: "coursefed-bench-dl-",
    pairs: 2,
    sides: ["before", "after"],
    about:
      "bench:federation as it was before (the issue's set-up: download of 182 MB in-process, plain POSTs not warmed up), run on both trees",
  },
  {
    id: "federation",
    kind: "federation",
    files: ["test/bench/federation/federation.bench.ts"],
    filesFrom: "after",
    env: { FOLLOWERS: "1000", PUBLICATIONS: "20" },
    quickEnv: { FOLLOWERS: "20", PUBLICATIONS: "2" },
    pairs: 2,
    sides: ["before", "after"],
    about:
      "bench:federation as it is after (plain POSTs of the body the node sent, warmed up as the fan-out was), run on both trees",
  },
  {
    id: "downloads",
    kind: "downloads",
    files: ["test/bench/downloads/downloads.bench.ts", "test/bench/downloads/fetch-once.ts"],
    filesFrom: "after",
    env: { BENCH_MB: "256", HUGE_GB: "10", LINK_GBPS: "1" },
    quickEnv: { BENCH_MB: "8", HUGE_GB: "0.0625", LINK_GBPS: "1" },
    pairs: 1,
    sides: ["before", "after"],
    about:
      "bench:downloads as it is after (a coursefed serve, curl, a 10 GB sparse archive), run on both trees",
  },
  {
    id: "scale",
    kind: "scale",
    files: ["test/bench/scale/scale.bench.ts"],
    filesFrom: "own",
    env: { CATALOG: "100000", SEARCHES: "200", FOLLOWERS: "2000", THROUGHPUT_SECONDS: "15" },
    quickEnv: { CATALOG: "5000", SEARCHES: "40", FOLLOWERS: "200", THROUGHPUT_SECONDS: "5" },
    pairs: 1,
    sides: ["before", "after"],
    about:
      "bench:scale, each tree's own (their search mixes differ: the after one adds every filter, restorability, totals and next pages)",
  },
  {
    id: "restore",
    kind: "restore",
    files: ["test/bench/restore/restore.bench.ts"],
    filesFrom: "own",
    env: { RESTORES: "5" },
    quickEnv: { RESTORES: "1" },
    pairs: 1,
    sides: ["before", "after"],
    about: "bench:restore on the Moodle 4.5 test site (port 8080), 5 jobs of each of 3 backups",
    unavailable: moodleSiteMissing,
  },
  {
    id: "million",
    kind: "scale",
    files: ["test/bench/scale/scale.bench.ts"],
    filesFrom: "own",
    env: {
      PARTS: "catalog",
      CATALOG: "1000000",
      SEARCHES: "200",
      THROUGHPUT_SECONDS: "15",
      // Built by the first run on a commit (minutes), searched as it is by the next ones.
      SQLITE_CATALOG: "/tmp/coursefed-before-after-catalog-1000000-{commit}.sqlite",
      ...(process.env.BEFORE_AFTER_POSTGRES_CATALOG
        ? { POSTGRES_CATALOG: process.env.BEFORE_AFTER_POSTGRES_CATALOG }
        : {}),
    },
    quickEnv: { PARTS: "catalog", CATALOG: "20000", SEARCHES: "40", THROUGHPUT_SECONDS: "5" },
    pairs: 1,
    sides: ["after"],
    about:
      "bench:scale's catalog part at 1,000,000 courses, after only (--million; the tree before has no PARTS and needs seconds a search there)",
  },
];

const figure = (name: string) => (figures: Figures) => figures[name];
const shown =
  (name: string, unit: string, digits = 0) =>
  (figures: Figures) => {
    const found = figures[name];
    return found ? `${found.atLeast ? "> " : ""}${found.value.toFixed(digits)}${unit}` : undefined;
  };
const joined =
  (...parts: ((figures: Figures) => string | undefined)[]) =>
  (figures: Figures) =>
    parts
      .map((part) => part(figures))
      .filter(Boolean)
      .join(", ") || undefined;
const labelled =
  (label: string, part: (figures: Figures) => string | undefined) => (figures: Figures) => {
    const text = part(figures);
    return text ? `${label} ${text}` : undefined;
  };

/** A search row's value: its latency, with how many of 1534d46's searches it stopped at 2 s. */
const searchRow = (
  measure: string,
  label: string,
  engine: "sqlite" | "pg",
  percentile: "p50" | "p95",
): TableRow => ({
  measure,
  label,
  value: figure(`search.${engine}.${percentile}Ms`),
  unit: " ms",
  digits: 1,
  better: "lower",
  detail:
    engine === "sqlite"
      ? (figures) => {
          const ran = figures["search.sqlite.ran"];
          const capped = figures["search.sqlite.capped"];
          return ran && capped?.value
            ? `ran ${ran.value}, ${capped.value} stopped at 2 s`
            : undefined;
        }
      : undefined,
});

const ROWS: readonly TableRow[] = [
  searchRow("scale", "catalog search, 100,000 courses, 200 searches: SQLite p50", "sqlite", "p50"),
  searchRow("scale", "… SQLite p95", "sqlite", "p95"),
  searchRow("scale", "… PostgreSQL p50", "pg", "p50"),
  searchRow("scale", "… PostgreSQL p95", "pg", "p95"),
  {
    measure: "scale",
    label: "catalog searches per second, PostgreSQL, 1 searcher",
    value: figure("throughput.one"),
    unit: "/s",
    digits: 0,
    better: "higher",
  },
  {
    measure: "scale",
    label: "… 3 searchers",
    value: figure("throughput.three"),
    unit: "/s",
    digits: 0,
    better: "higher",
  },
  {
    measure: "federation-issue",
    label:
      "fan-out of one Create to 1,000 inboxes (bench at 1534d46: plain POSTs cold): rate ÷ plain POSTs' rate",
    value: figure("fanout.rateRatio"),
    unit: "×",
    digits: 2,
    better: "higher",
    detail: shown("fanout.s", " s", 2),
    baseline: labelled("plain sequential POSTs", shown("fanout.plainS", " s", 2)),
  },
  {
    measure: "federation",
    label:
      "fan-out of one Create to 1,000 inboxes (bench now: the same body, plain POSTs warmed up): rate ÷ plain POSTs' rate",
    value: figure("fanout.rateRatio"),
    unit: "×",
    digits: 2,
    better: "higher",
    detail: shown("fanout.s", " s", 2),
    baseline: labelled("plain sequential POSTs", shown("fanout.plainS", " s", 2)),
  },
  ...(
    [
      ["sqlite", "deliveries per second, 2,000 followers: SQLite, 1 process"],
      ["pg", "… PostgreSQL, 1 process"],
      ["pg3", "… PostgreSQL, 3 processes"],
    ] as const
  ).map(
    ([name, label]): TableRow => ({
      measure: "scale",
      label,
      value: figure(`deliveries.${name}`),
      unit: "/s",
      digits: 0,
      better: "higher",
      detail: shown(`deliveries.${name}.ofPlain`, "× plain POSTs' rate", 2),
      baseline: labelled("plain POSTs", shown(`deliveries.${name}.plain`, "/s")),
    }),
  ),
  {
    measure: "federation-issue",
    label:
      "download of a 182 MB archive (bench at 1534d46: fetch in the same process): time ÷ bare node:http's",
    value: figure("download.timeRatio"),
    unit: "×",
    digits: 2,
    better: "lower",
    detail: shown("download.nodeMBs", " MB/s"),
    baseline: labelled("bare node:http", shown("download.bareMBs", " MB/s")),
  },
  {
    measure: "downloads",
    label:
      "download of a 182 MB archive (bench:downloads: coursefed serve, curl): speed ÷ bare node:http's",
    value: figure("served.ratio"),
    unit: "×",
    digits: 2,
    better: "higher",
    detail: shown("served.nodeMBs", " MB/s"),
    baseline: labelled("bare node:http", shown("served.bareMBs", " MB/s")),
  },
  {
    measure: "downloads",
    label: "the node fetching 182 MB from a peer: speed ÷ curl -o's (loopback)",
    value: figure("fetch.ratio"),
    unit: "×",
    digits: 2,
    better: "higher",
    detail: shown("fetch.nodeMBs", " MB/s"),
    baseline: labelled("curl -o", shown("fetch.curlMBs", " MB/s")),
  },
  {
    measure: "downloads",
    label: "… over a 1 Gb/s link (paced server)",
    value: figure("link.ratio"),
    unit: "×",
    digits: 2,
    better: "higher",
    detail: shown("link.nodeMBs", " MB/s"),
    baseline: labelled("curl -o", shown("link.curlMBs", " MB/s")),
  },
  {
    measure: "federation",
    label: "publish → follower's catalog, 20 publications: p50",
    value: figure("latency.p50Ms"),
    unit: " ms",
    digits: 0,
    better: "lower",
  },
  {
    measure: "federation",
    label: "… p95",
    value: figure("latency.p95Ms"),
    unit: " ms",
    digits: 0,
    better: "lower",
  },
  {
    measure: "restore",
    label: "restore job, node's share (3 backups × 5 jobs)",
    value: figure("restore.sharePct"),
    unit: " %",
    digits: 1,
    better: "lower",
    // The share moves with Moodle's own time: the node's own seconds say what it did.
    detail: joined(
      labelled("node", shown("restore.nodeS", " s", 1)),
      labelled("of jobs", shown("restore.jobsS", " s", 1)),
    ),
    baseline: labelled("Moodle's own restore", shown("restore.moodleS", " s", 1)),
  },
  {
    measure: "inspect",
    label: "inspect 758 MB zip: time ÷ sha256sum's",
    value: figure("zip.ratio"),
    unit: "×",
    digits: 2,
    better: "lower",
    detail: shown("zip.inspectS", " s", 2),
    baseline: labelled("sha256sum", shown("zip.sha256sumS", " s", 2)),
  },
  {
    measure: "inspect",
    label: "inspect 758 MB tar.gz: time ÷ `tar -tzf`'s",
    value: figure("tgz.ratio"),
    unit: "×",
    digits: 2,
    better: "lower",
    detail: shown("tgz.inspectS", " s", 2),
    baseline: labelled("tar -tzf", shown("tgz.tarS", " s", 2)),
  },
  {
    measure: "inspect",
    label: "inspect, peak RSS: zip",
    value: figure("zip.rssMb"),
    unit: " MB",
    digits: 0,
    better: "lower",
  },
  {
    measure: "inspect",
    label: "… tar.gz",
    value: figure("tgz.rssMb"),
    unit: " MB",
    digits: 0,
    better: "lower",
  },
  {
    measure: "downloads",
    label: "resident memory: node at rest (coursefed serve, warmed up)",
    value: figure("rest.rssMb"),
    unit: " MB",
    digits: 0,
    better: "lower",
  },
  {
    measure: "downloads",
    label: "… serving a 10 GB download: peak above rest",
    value: figure("huge.serving.aboveRestMb"),
    unit: " MB",
    digits: 0,
    better: "lower",
    detail: labelled("peak", shown("huge.serving.peakMb", " MB")),
  },
  {
    measure: "downloads",
    label: "… fetching 10 GB from a peer: fetching process above its start",
    value: figure("huge.fetching.aboveStartMb"),
    unit: " MB",
    digits: 0,
    better: "lower",
    detail: labelled("peak", shown("huge.fetching.peakMb", " MB")),
  },
  {
    measure: "scale",
    label: "… 2,000-follower fan-out, SQLite, 1 process: peak above rest",
    value: figure("fanoutRss.sqlite.growthMb"),
    unit: " MB",
    digits: 0,
    better: "lower",
    detail: joined(
      labelled("rest", shown("fanoutRss.sqlite.restMb", " MB")),
      labelled("peak", shown("fanoutRss.sqlite.peakMb", " MB")),
    ),
  },
  {
    measure: "scale",
    label: "… 2,000-follower fan-out, PostgreSQL, 3 processes together: peak above rest",
    value: figure("fanoutRss.pg3.growthMb"),
    unit: " MB",
    digits: 0,
    better: "lower",
    detail: joined(
      labelled("rest", shown("fanoutRss.pg3.restMb", " MB")),
      labelled("peak", shown("fanoutRss.pg3.peakMb", " MB")),
    ),
  },
  {
    measure: "scale",
    label:
      "… the process holding a 100,000-course SQLite catalog, searching it (coursefed serve since 558ad25)",
    value: figure("catalogRss.peakMb"),
    unit: " MB",
    digits: 0,
    better: "lower",
    detail: labelled("after the warm-up searches", shown("catalogRss.restMb", " MB")),
  },
  searchRow(
    "million",
    "catalog search, 1,000,000 courses, 200 searches: SQLite p50",
    "sqlite",
    "p50",
  ),
  searchRow("million", "… SQLite p95", "sqlite", "p95"),
  searchRow("million", "… PostgreSQL p50", "pg", "p50"),
  searchRow("million", "… PostgreSQL p95", "pg", "p95"),
  {
    measure: "million",
    label: "… PostgreSQL searches per second, 1 / 3 searchers",
    value: figure("throughput.three"),
    unit: "/s",
    digits: 0,
    better: "higher",
    detail: labelled("1 searcher", shown("throughput.one", "/s")),
  },
  {
    measure: "million",
    label:
      "resident memory: coursefed serve holding a 1,000,000-course SQLite catalog, searching it",
    value: figure("catalogRss.peakMb"),
    unit: " MB",
    digits: 0,
    better: "lower",
    detail: labelled("after the warm-up searches", shown("catalogRss.restMb", " MB")),
  },
];

const step = (text: string) => process.stderr.write(`${text}\n`);

function load(): string {
  return loadavg()
    .map((value) => value.toFixed(2))
    .join(" / ");
}

function utc(date: Date): string {
  return `${date.toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

/**
 * Holds the bench lock (flock(1) on `path`, as `flock /tmp/coursefed-bench.lock npm run
 * bench:…` does) until release() is called; flock's child reads its standard input, so
 * the lock goes with this process however it ends.
 */
async function holdBenchLock(path: string): Promise<() => Promise<void>> {
  const holder = spawn("flock", [path, "sh", "-c", "echo locked; exec cat >/dev/null"], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  const waiting = setTimeout(
    () => step(`  waiting for the bench lock ${path} (someone else is measuring)`),
    2000,
  );
  try {
    await new Promise<void>((resolveLocked, reject) => {
      holder.stdout.once("data", () => resolveLocked());
      holder.once("error", reject);
      holder.once("exit", (code) => reject(new Error(`flock ${path} exited with ${code}`)));
    });
  } finally {
    clearTimeout(waiting);
  }
  return async () => {
    holder.stdin.end();
    if (holder.exitCode === null) await once(holder, "exit");
  };
}

/** Every variable a measure sets, left out of what the benches inherit unless it sets it. */
const MEASURE_VARIABLES = new Set([
  "QUICK",
  // The benches' other knobs, which would change what a measure measures.
  "ENGINES",
  "PARTS",
  "SQLITE_CATALOG",
  "POSTGRES_CATALOG",
  ...MEASURES.flatMap((measure) => [...Object.keys(measure.env), ...Object.keys(measure.quickEnv)]),
]);

function leftovers(measure: Measure): string[] {
  const prefix = measure.leaves;
  return prefix ? readdirSync(tmpdir()).filter((name) => name.startsWith(prefix)) : [];
}

interface RunResult {
  readonly figures: Figures;
  readonly failure?: string;
  readonly seconds: number;
}

/** The bench running now, in a process group of its own. */
let running: number | undefined;

// Interrupted (Ctrl-C, a CI timeout): the bench's group does not get the signal, being a
// group of its own, so it is stopped here with whatever it started; the lock's holder is
// in this process's group and goes by itself. The table so far stays in --out.
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    if (running !== undefined) {
      try {
        process.kill(-running, "SIGKILL");
      } catch {
        // Already gone.
      }
    }
    process.stderr.write(`before/after: ${signal}, stopped\n`);
    process.exit(130);
  });
}

/** Runs `file` in `tree` with its own Node, standard output kept for its figures. */
async function runBench(
  tree: BenchTree,
  file: string,
  measure: Measure,
  sizes: Readonly<Record<string, string>>,
  logFile: string,
): Promise<RunResult> {
  const environment: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!MEASURE_VARIABLES.has(name)) environment[name] = value;
  }
  for (const [name, value] of Object.entries(sizes)) {
    environment[name] = value.replace("{commit}", tree.shortCommit);
  }
  Object.assign(environment, {
    // The trees are outside the repository: the shared backups and Moodle tarball are not
    // beside them.
    COURSEFED_SHARED: sharedDirectory,
    // `coursefed serve` starts from its shebang's `node`: the tree's own.
    PATH: `${join(tree.directory, "node_modules", ".bin")}:${process.env.PATH ?? ""}`,
  });
  const leftBefore = new Set(leftovers(measure));
  const started = performance.now();
  const log = createWriteStream(logFile);
  const outFile = logFile.replace(/\.log$/, ".out");
  log.write(`# ${tree.side} ${tree.shortCommit}: ${file} ${JSON.stringify(sizes)}\n`);
  const child = spawn(tree.node, [file], {
    cwd: tree.directory,
    env: environment,
    stdio: ["ignore", "pipe", "pipe"],
    // Its own process group: a run that hangs is stopped with every process it started.
    detached: true,
  });
  running = child.pid;
  let stdout = "";
  let stderrTail = "";
  child.stdout.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
    log.write(chunk);
  });
  child.stderr.on("data", (chunk: Buffer) => {
    stderrTail = (stderrTail + chunk.toString()).slice(-4000);
    log.write(chunk);
  });
  const limitMinutes = measure.id === "million" ? 90 : 40;
  const timer = setTimeout(() => {
    step(`  ${measure.id} on ${tree.side} still running after ${limitMinutes} min: stopped`);
    try {
      process.kill(-(child.pid as number), "SIGKILL");
    } catch {
      // Already gone.
    }
  }, limitMinutes * 60_000);
  const [code, signal] = (await once(child, "exit")) as [number | null, string | null];
  clearTimeout(timer);
  running = undefined;
  // Whatever it left behind in its group (a server it did not stop) goes with it.
  try {
    process.kill(-(child.pid as number), "SIGTERM");
  } catch {
    // Nothing left.
  }
  log.write(`# exit ${signal ?? code}\n`);
  await new Promise<void>((done) => log.end(done));
  // Standard output alone, for --table-from: the figures, not the progress.
  writeFileSync(outFile, stdout);
  for (const name of leftovers(measure)) {
    if (!leftBefore.has(name)) rmSync(join(tmpdir(), name), { recursive: true, force: true });
  }
  const seconds = (performance.now() - started) / 1000;
  const lastLine = stderrTail.trim().split("\n").at(-1) ?? "";
  if (code === 2) return { figures: {}, failure: `skipped: ${lastLine}`, seconds };
  if (code !== 0) {
    return {
      figures: {},
      failure: `failed (${signal ?? `exit ${code}`}): ${lastLine} (see ${logFile})`,
      seconds,
    };
  }
  return { figures: benchFigures(measure.kind, stdout), seconds };
}

function measureList(): string {
  return MEASURES.map(
    (measure) =>
      `  ${measure.id}: ${measure.about}; ${measure.sides.length === 1 ? `${measure.pairs} run` : `${measure.pairs} pair${measure.pairs > 1 ? "s" : ""}`}`,
  ).join("\n");
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      before: { type: "string", default: BEFORE_DEFAULT },
      after: { type: "string", default: "HEAD" },
      "before-dir": { type: "string", default: "/tmp/coursefed-before" },
      "after-dir": { type: "string", default: "/tmp/coursefed-after" },
      only: { type: "string" },
      skip: { type: "string" },
      million: { type: "boolean", default: process.env.BEFORE_AFTER_MILLION === "1" },
      quick: { type: "boolean", default: false },
      out: { type: "string" },
      "table-from": { type: "string" },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE.replace("%MEASURES%", measureList())}\n`);
    return 0;
  }
  if (values["table-from"]) {
    process.stdout.write(`${tableFromRuns(resolve(values["table-from"]))}\n`);
    return 0;
  }
  const ids = new Set(MEASURES.map((measure) => measure.id));
  const named = (list: string | undefined) => {
    const chosen = (list ?? "").split(",").filter(Boolean);
    const unknown = chosen.filter((id) => !ids.has(id));
    if (unknown.length) {
      throw new BenchTreeError(
        `No measure ${unknown.join(", ")}: the measures are ${[...ids].join(", ")}.`,
      );
    }
    return new Set(chosen);
  };
  const only = named(values.only);
  const skipped = named(values.skip);
  const measures = MEASURES.filter(
    (measure) =>
      (only.size ? only.has(measure.id) : measure.id !== "million" || values.million) &&
      !skipped.has(measure.id),
  );

  const started = new Date();
  const startLoad = load();
  const out = resolve(
    values.out ??
      join("/tmp/coursefed-before-after", started.toISOString().replace(/[:.]/g, "-").slice(0, 19)),
  );
  mkdirSync(out, { recursive: true });
  step(`before/after: load average ${startLoad}; each run's output in ${out}`);

  const commits = {
    before: resolveCommit(repositoryRoot, values.before),
    after: resolveCommit(repositoryRoot, values.after),
  };
  const trees: Record<SideName, BenchTree> = {
    before: prepareTree(repositoryRoot, "before", commits.before, values["before-dir"], step),
    after: prepareTree(repositoryRoot, "after", commits.after, values["after-dir"], step),
  };

  const runs: MeasureRun[] = [];
  const notes: string[] = [];
  for (const measure of measures) {
    const reason = await measure.unavailable?.();
    if (reason) {
      step(`${measure.id}: skipped, ${reason}`);
      notes.push(`${measure.id} skipped: ${reason}.`);
      continue;
    }
    const files: Partial<Record<SideName, string>> = {};
    for (const name of measure.sides) {
      const from = measure.filesFrom === "own" ? commits[name] : commits[measure.filesFrom];
      try {
        files[name] = placeBenchFiles(repositoryRoot, trees[name], from, measure.files);
      } catch (error) {
        notes.push(`${measure.id} on ${name}: ${(error as Error).message}`);
      }
    }
    const measureStarted = performance.now();
    const pairs = values.quick ? 1 : measure.pairs;
    let runningSeconds = 0;
    const sizes = values.quick ? measure.quickEnv : measure.env;
    for (let pair = 1; pair <= pairs; pair++) {
      const release = await holdBenchLock("/tmp/coursefed-bench.lock");
      try {
        for (const name of measure.sides) {
          const file = files[name];
          if (!file) {
            runs.push({ measure: measure.id, side: name, figures: {}, failure: "not placed" });
            continue;
          }
          step(
            `${measure.id}, ${name} (${trees[name].shortCommit}), run ${pair} of ${pairs}: load ${load()}`,
          );
          const result = await runBench(
            trees[name],
            file,
            measure,
            sizes,
            join(out, `${measure.id}-${name}-${pair}.log`),
          );
          step(`  ${result.failure ?? "done"} in ${result.seconds.toFixed(0)} s`);
          runningSeconds += result.seconds;
          if (result.failure)
            notes.push(`${measure.id} on ${name}, run ${pair}: ${result.failure}`);
          runs.push({
            measure: measure.id,
            side: name,
            figures: result.figures,
            ...(result.failure ? { failure: result.failure } : {}),
          });
        }
      } finally {
        await release();
      }
    }
    report(false);
    notes.push(
      `${measure.id} (${measure.about}; ${JSON.stringify(sizes)}): ${(runningSeconds / 60).toFixed(1)} min running, ${((performance.now() - measureStarted) / 60_000 - runningSeconds / 60).toFixed(1)} min more waiting for the bench lock.`,
    );
  }

  const text = report(true);
  process.stdout.write(`${text}\n`);
  return runs.some((run) => run.failure && !run.failure.startsWith("skipped")) ? 1 : 0;

  /** The table of the runs so far, written to `out` (and returned). */
  function report(done: boolean): string {
    const finished = new Date();
    const ran = new Set(measures.map((measure) => measure.id));
    const text = [
      `## Issue 17, before and after (test/bench/before-after, ${utc(started)} to ${done ? utc(finished) : `${utc(finished)}, not finished`}, ${((finished.getTime() - started.getTime()) / 60_000).toFixed(0)} min)`,
      "",
      `- before: ${trees.before.shortCommit} (${trees.before.date}) ${trees.before.subject}`,
      `- after: ${trees.after.shortCommit} (${trees.after.date}) ${trees.after.subject}`,
      `- machine: ${availableParallelism()} cores; load average (1 / 5 / 15 min) ${startLoad} at start, ${load()} at end`,
      "- each cell lists every run's figure in the order they ran; before and after alternately, each pair under the bench lock",
      ...(values.quick
        ? [
            "- **--quick: the benches' smoke sizes (the labels give the full run's); these figures check the harness, they measure nothing**",
          ]
        : []),
      "",
      beforeAfterTable(
        ROWS.filter((row) => ran.has(row.measure)),
        runs,
      ),
      "",
      ...notes.map((note) => `- ${note}`),
    ].join("\n");
    writeFileSync(join(out, "table.md"), `${text}\n`);
    return text;
  }
}

/**
 * The table of the runs kept in `directory` (their standard output, `<measure>-<side>-<pair>.out`,
 * or the whole log where a run kept no .out), as the run that made them would have printed it.
 */
function tableFromRuns(directory: string): string {
  const runs: MeasureRun[] = [];
  const commits = new Map<string, string>();
  const names = readdirSync(directory).sort();
  for (const name of names) {
    const match = /^(.+)-(before|after)-(\d+)\.(out|log)$/.exec(name);
    const measure = MEASURES.find((candidate) => candidate.id === match?.[1]);
    if (!match || !measure) continue;
    const base = name.slice(0, -4);
    const log = join(directory, `${base}.log`);
    if (existsSync(log)) {
      const header = /^# (before|after) ([0-9a-f]+):/.exec(readFileSync(log, "utf8"));
      if (header) commits.set(header[1] as string, header[2] as string);
    }
    if (match[4] === "log" && names.includes(`${base}.out`)) continue;
    runs.push({
      measure: measure.id,
      side: match[2] as SideName,
      figures: benchFigures(measure.kind, readFileSync(join(directory, name), "utf8")),
    });
  }
  if (runs.length === 0) {
    throw new BenchTreeError(`${directory} holds no runs (<measure>-<side>-<pair>.out or .log).`);
  }
  const ran = new Set(runs.map((run) => run.measure));
  return [
    `## Issue 17, before and after (test/bench/before-after, the runs kept in ${directory})`,
    "",
    `- before: ${commits.get("before") ?? "?"}; after: ${commits.get("after") ?? "?"}`,
    "",
    beforeAfterTable(
      ROWS.filter((row) => ran.has(row.measure)),
      runs,
    ),
  ].join("\n");
}

try {
  process.exitCode = await main();
} catch (error) {
  if (!(error instanceof BenchTreeError)) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exitCode = 2;
}
