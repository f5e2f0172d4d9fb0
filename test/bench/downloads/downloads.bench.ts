/**
 * Archive transfer speed and the node's resident memory, against baselines measured in
 * the same run, with a real `coursefed serve` process as the serving node:
 *   - served: the node's /blobs/<sha256> (access checks, ETag, ranges) against a bare
 *     node:http server streaming the same file (a process of its own, with the node's Node
 *     flags), both read by `curl -o /dev/null`;
 *   - fetched from a peer: the node's own fetch path (resumable download, sha256 checked on
 *     the way, written into a blob store: test/bench/downloads/fetch-once.ts, a process of
 *     its own) against `curl -o` of the same URL into the same folder, in FETCH_ROUNDS
 *     interleaved rounds (default 7; the median of the rounds' ratios is the figure), beside
 *     the node without its sha256 and curl followed by a sha256 of its file (the check curl
 *     does not make), with the CPU of the fetching side and of the serving node; and the
 *     same over a link of LINK_GBPS Gb/s (default 1: a server paced at that speed, the same
 *     for both, best of five);
 *   - resident memory: the serving node at rest (started, warmed up), and its peak while
 *     serving a HUGE_GB archive; the fetching process's peak while fetching it.
 * Each figure is printed with its budget (docs/performance.md says why those budgets).
 * BENCH_MB sets the content size of the generated archive (default 256, about 180 MB
 * compressed), HUGE_GB the size of the huge one (default 10; a sparse file in a temp
 * folder that is deleted after). `--quick` (or QUICK=1) shrinks both for a smoke run.
 * `npm run bench:downloads`.
 */
import { execFile, execFileSync, spawn } from "node:child_process";
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { coursefedBin, initialAdminToken, serveNode } from "../../support/coursefed-cli.ts";
import { freePort } from "../../support/test-node.ts";
import { generateTarGz } from "../mbz/generate-backup.ts";

const quick = process.argv.includes("--quick") || process.env.QUICK === "1";
const archiveMb = Number(process.env.BENCH_MB ?? (quick ? 8 : 256));
const hugeGb = Number(process.env.HUGE_GB ?? (quick ? 0.0625 : 10));
const linkGbps = Number(process.env.LINK_GBPS ?? 1);
const rounds = quick ? 1 : 5;
/**
 * Rounds of the fetch from a peer, each fetching the archive every way in turn (the order
 * turning round by round): one round's ratio swings with what the other engineers' work
 * does to the two cores in those seconds, so the median of the rounds is the figure.
 */
const fetchRounds = Number(process.env.FETCH_ROUNDS ?? (quick ? 1 : 7));

/**
 * Budgets, in MB of resident memory (docs/performance.md says why): a node at rest, and
 * what one transfer may add whatever the archive's size. Streams hold a few chunks, never
 * the file; what grows is buffers already sent or written that wait for V8's next full
 * collection, which comes after about 64 MB of them.
 */
const BUDGET = { restMb: 256, servingGrowthMb: 64, fetchingGrowthMb: 96 } as const;
const over = (value: number, budget: number) => (value > budget ? " OVER BUDGET" : "");

const run = promisify(execFile);
const step = (text: string) => process.stderr.write(`${text}\n`);
const mb = (bytes: number) => bytes / 1024 ** 2;
const directory = mkdtempSync(join(tmpdir(), "coursefed-bench-downloads-"));
const fetchOnce = fileURLToPath(new URL("./fetch-once.ts", import.meta.url));
// The node and the fetching process run with the Node flags the coursefed command runs with.
const cliFlags = (readFileSync(coursefedBin, "utf8").split("\n")[0]?.split(" node ")[1] ?? "")
  .split(" ")
  .filter(Boolean);

function rssMb(pid: number, field: "VmRSS" | "VmHWM" = "VmRSS"): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1]) / 1024;
}

/** curl's own transfer time for `url` written to `output`; fails on an HTTP error. */
async function curl(
  url: string,
  output: string,
  headers: string[] = [],
): Promise<{ seconds: number; status: number; size: number; cpuSeconds: number }> {
  // Its CPU time too (GNU time), the steadier figure on a loaded machine.
  const { stdout, stderr } = await run("/usr/bin/time", [
    "--format",
    "cpu %U %S",
    "curl",
    "--silent",
    "--show-error",
    "--fail",
    ...headers.flatMap((header) => ["--header", header]),
    "--output",
    output,
    "--write-out",
    "%{time_total} %{http_code} %{size_download}",
    url,
  ]);
  const [seconds, status, size] = stdout.trim().split(" ");
  const [user, system] = (/cpu ([\d.]+) ([\d.]+)/.exec(stderr) ?? []).slice(1).map(Number);
  return {
    seconds: Number(seconds),
    status: Number(status),
    size: Number(size),
    cpuSeconds: (user ?? Number.NaN) + (system ?? Number.NaN),
  };
}

async function fetchByNode(
  url: string,
  sha256: string,
  size: number,
  store: string,
  { withoutSha256 = false } = {},
) {
  const { stdout } = await run(
    process.execPath,
    [...cliFlags, fetchOnce, url, sha256, String(size), store],
    {
      maxBuffer: 1 << 20,
      env: { ...process.env, ...(withoutSha256 ? { FETCH_WITHOUT_SHA256: "1" } : {}) },
    },
  );
  return JSON.parse(stdout) as {
    seconds: number;
    cpuSeconds: number;
    size: number;
    rssBeforeMb: number;
    peakRssMb: number;
  };
}

/**
 * CPU seconds a process's threads have run (its libuv pool's included), from each one's
 * /proc schedstat, in nanoseconds: /proc's stat counts in 10 ms ticks, a tenth of what
 * serving one archive costs.
 */
function cpuSecondsOf(pid: number): number {
  let nanoseconds = 0;
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    const schedstat = readFileSync(`/proc/${pid}/task/${task}/schedstat`, "utf8").split(" ");
    nanoseconds += Number(schedstat[0]);
  }
  return nanoseconds / 1e9;
}

/** What one way of fetching took in one round. */
interface FetchRun {
  readonly seconds: number;
  /** The fetching side's CPU: the node's fetching process, or curl (and its hash after). */
  readonly clientCpu: number;
  /** The serving node's, while it lasted. */
  readonly serverCpu: number;
}

type FetchWay =
  | "node"
  | "node without sha256"
  | "curl -o"
  | "curl -o, then openssl sha256"
  | "curl -o, then sha256sum";

/** A hashing command's time and CPU on `file` (GNU time), as curl's are measured. */
async function hashFile(command: string[], file: string) {
  const { stderr } = await run("/usr/bin/time", [
    "--format",
    "wall %e cpu %U %S",
    ...command,
    file,
  ]);
  const [wall, user, system] = (/wall ([\d.]+) cpu ([\d.]+) ([\d.]+)/.exec(stderr) ?? [])
    .slice(1)
    .map(Number);
  return { seconds: wall ?? Number.NaN, cpuSeconds: (user ?? Number.NaN) + (system ?? Number.NaN) };
}

/**
 * Fetches `url` from the serving node `server` every way, `fetchRounds` times, the order
 * turning each round so that no way always follows the same one (the one after a fetch
 * finds the cores as that one left them). curl then a hash of its file is curl's run
 * with the hash's time and CPU added: what a fetch that checks the digest after costs.
 */
async function fetchRoundsFrom(
  url: string,
  published: { sha256: string; size: number },
  store: string,
  curlFile: string,
  server: number,
): Promise<Record<FetchWay, FetchRun[]>> {
  const runs: Record<FetchWay, FetchRun[]> = {
    node: [],
    "node without sha256": [],
    "curl -o": [],
    "curl -o, then openssl sha256": [],
    "curl -o, then sha256sum": [],
  };
  const serverCpuOf = async <T>(work: () => Promise<T>): Promise<[T, number]> => {
    const before = cpuSecondsOf(server);
    const result = await work();
    return [result, cpuSecondsOf(server) - before];
  };
  const byNode = async (withoutSha256: boolean) => {
    rmSync(store, { recursive: true, force: true });
    const [fetched, serverCpu] = await serverCpuOf(() =>
      fetchByNode(url, published.sha256, published.size, store, { withoutSha256 }),
    );
    if (fetched.size !== published.size) throw new Error(`fetched ${fetched.size} bytes`);
    runs[withoutSha256 ? "node without sha256" : "node"].push({
      seconds: fetched.seconds,
      clientCpu: fetched.cpuSeconds,
      serverCpu,
    });
  };
  const byCurl = async () => {
    rmSync(store, { recursive: true, force: true });
    mkdirSync(store, { recursive: true });
    const [fetched, serverCpu] = await serverCpuOf(() => curl(url, curlFile));
    if (fetched.size !== published.size) throw new Error(`curl got ${fetched.size} bytes`);
    runs["curl -o"].push({ seconds: fetched.seconds, clientCpu: fetched.cpuSeconds, serverCpu });
    // OpenSSL uses the CPU's SHA instructions, as the node's crypto does; coreutils'
    // sha256sum is what one would type.
    for (const [way, command] of [
      ["curl -o, then openssl sha256", ["openssl", "dgst", "-sha256"]],
      ["curl -o, then sha256sum", ["sha256sum"]],
    ] as const) {
      const hashed = await hashFile([...command], curlFile);
      runs[way].push({
        seconds: fetched.seconds + hashed.seconds,
        clientCpu: fetched.cpuSeconds + hashed.cpuSeconds,
        serverCpu,
      });
    }
  };
  const ways = [() => byNode(false), () => byNode(true), byCurl];
  for (let round = 0; round < fetchRounds; round++) {
    for (let at = 0; at < ways.length; at++) await ways[(round + at) % ways.length]?.();
  }
  return runs;
}

const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
};
const best = (values: readonly number[]) => Math.min(...values);

/**
 * The fetch's lines: the node against curl -o, as the median of the rounds' ratios (each
 * round's pair measured seconds apart) with the median times' speeds, and the best of
 * each; then each way's times and where the CPU went, the fetching side's and the
 * serving node's.
 */
function fetchLines(runs: Record<FetchWay, FetchRun[]>, sizeMb: number, count: number): string[] {
  const seconds = (way: FetchWay) => runs[way].map((each) => each.seconds);
  const ratios = runs.node.map(
    (each, round) => (runs["curl -o"][round]?.seconds ?? Number.NaN) / each.seconds,
  );
  const speed = (value: number) => `${(sizeMb / value).toFixed(0)} MB/s`;
  const lines = [
    `fetch ${sizeMb.toFixed(0)} MB from a peer (sha256 checked, into the blob store; median of ${count} interleaved rounds, the ratio the median of each round's): node ${speed(median(seconds("node")))} vs curl -o ${speed(median(seconds("curl -o")))} = ${median(ratios).toFixed(2)}x its speed (goal >= 0.95x); rounds from ${best(ratios).toFixed(2)}x to ${Math.max(...ratios).toFixed(2)}x; best of each: node ${speed(best(seconds("node")))} vs curl -o ${speed(best(seconds("curl -o")))} = ${(best(seconds("curl -o")) / best(seconds("node"))).toFixed(2)}x`,
    "  way: wall time median / best; CPU medians: the fetching side's (curl and its hash), the serving node's",
  ];
  for (const way of Object.keys(runs) as FetchWay[]) {
    const each = runs[way];
    lines.push(
      `  ${`${way}:`.padEnd(30)} ${median(seconds(way)).toFixed(3)} s / ${best(seconds(way)).toFixed(3)} s; CPU ${median(each.map((run) => run.clientCpu)).toFixed(3)} s fetching, ${median(each.map((run) => run.serverCpu)).toFixed(3)} s serving`,
    );
  }
  return lines;
}

/** Samples a process's resident memory every 50 ms while `work` runs; its peak. */
async function peakRssWhile<T>(pid: number, work: Promise<T>): Promise<[T, number]> {
  let peak = rssMb(pid);
  const sampler = setInterval(() => {
    peak = Math.max(peak, rssMb(pid));
  }, 50);
  try {
    return [await work, Math.max(peak, rssMb(pid))];
  } finally {
    clearInterval(sampler);
  }
}

const lines: string[] = [];
const port = await freePort();
const dataDir = join(directory, "node");
// With the flags deployments give Node (deploy/: systemd units, Dockerfile), as the command's shebang.
const served = await serveNode(dataDir, port, cliFlags);
const pid = served.process.pid as number;
try {
  const origin = `http://127.0.0.1:${port}`;
  const token = initialAdminToken(served.output);

  step(`generating a ${archiveMb} MB backup`);
  const archive = join(directory, "big.mbz");
  await generateTarGz(archive, archiveMb * 1024 ** 2);
  const size = statSync(archive).size;

  // At rest: started, a few pages and API calls answered, then left alone for a moment.
  for (let i = 0; i < (quick ? 5 : 20); i++) {
    for (const path of ["/", "/.well-known/nodeinfo", "/api/v1/courses"]) {
      await fetch(`${origin}${path}`, { headers: { authorization: `Bearer ${token}` } }).then(
        (response) => response.arrayBuffer(),
      );
    }
  }
  await new Promise((resolve) => setTimeout(resolve, quick ? 500 : 2000));
  const restMb = rssMb(pid);
  lines.push(
    `node at rest (coursefed serve, warmed up): RSS ${restMb.toFixed(0)} MB (budget ${BUDGET.restMb} MB)${over(restMb, BUDGET.restMb)}`,
  );

  step("publishing it");
  const { stdout } = await run(process.execPath, [
    coursefedBin,
    "publish",
    archive,
    "--title",
    "Download bench",
    "--json",
    "--node",
    origin,
    "--token",
    token,
  ]);
  const published = JSON.parse(stdout) as { sha256: string; size: number };
  const blobUrl = `${origin}/blobs/${published.sha256}`;

  // The baseline is a process of its own too, with the same Node flags, as the node is.
  const bare = spawn(
    process.execPath,
    [
      ...cliFlags,
      "--input-type=module",
      "--eval",
      `import { createReadStream } from "node:fs";
       import { createServer } from "node:http";
       const server = createServer((_request, response) => {
         response.writeHead(200, { "content-length": ${size} });
         createReadStream(${JSON.stringify(archive)}).pipe(response);
       });
       server.listen(0, "127.0.0.1", () => process.stdout.write(server.address().port + "\\n"));`,
    ],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  const barePort = await new Promise<number>((resolve, reject) => {
    bare.stdout.once("data", (chunk) => resolve(Number(String(chunk).trim())));
    bare.once("exit", (code) => reject(new Error(`the bare server exited with ${code}`)));
  });
  const bareUrl = `http://127.0.0.1:${barePort}/`;

  step("measuring served downloads");
  // Alternated, best of `rounds`: the machine is shared, and the first read warms the cache.
  const times = { node: Infinity, bare: Infinity, range: Infinity };
  const cpu = { node: Infinity, bare: Infinity };
  const cpuOf = async (server: number, work: () => Promise<unknown>) => {
    const before = cpuSecondsOf(server);
    await work();
    return cpuSecondsOf(server) - before;
  };
  for (let round = 0; round < rounds; round++) {
    let whole = { seconds: 0, status: 0, size: 0 };
    cpu.node = Math.min(
      cpu.node,
      await cpuOf(pid, async () => {
        whole = await curl(blobUrl, "/dev/null");
      }),
    );
    if (whole.size !== size) throw new Error(`the node sent ${whole.size} bytes of ${size}`);
    times.node = Math.min(times.node, whole.seconds);
    cpu.bare = Math.min(
      cpu.bare,
      await cpuOf(bare.pid as number, async () => {
        times.bare = Math.min(times.bare, (await curl(bareUrl, "/dev/null")).seconds);
      }),
    );
    // A resumed download: the second half, guarded by If-Range.
    const half = Math.floor(size / 2);
    const resumed = await curl(blobUrl, "/dev/null", [
      `range: bytes=${half}-`,
      `if-range: "${published.sha256}"`,
    ]);
    if (resumed.status !== 206 || resumed.size !== size - half) {
      throw new Error(`a resumed download got ${resumed.status} with ${resumed.size} bytes`);
    }
    times.range = Math.min(times.range, resumed.seconds * (size / (size - half)));
  }
  lines.push(
    `download ${mb(size).toFixed(0)} MB served: node ${(mb(size) / times.node).toFixed(0)} MB/s (resumed range ${(mb(size) / times.range).toFixed(0)} MB/s) vs bare node:http ${(mb(size) / times.bare).toFixed(0)} MB/s = ${(times.bare / times.node).toFixed(2)}x its speed (goal >= 0.95x); serving process CPU ${(cpu.node * 1000).toFixed(0)} ms vs ${(cpu.bare * 1000).toFixed(0)} ms = ${(cpu.node / cpu.bare).toFixed(2)}x`,
  );
  bare.kill();

  step(`measuring fetches from a peer (${fetchRounds} interleaved rounds)`);
  const store = join(directory, "store");
  const curlFile = join(store, "curl.mbz");
  const loadBefore = loadavg()[0] as number;
  const fromPeer = await fetchRoundsFrom(blobUrl, published, store, curlFile, pid);
  lines.push(
    ...fetchLines(fromPeer, mb(size), fetchRounds),
    `  load average (1 min): ${loadBefore.toFixed(1)} at the first round, ${(loadavg()[0] as number).toFixed(1)} after the last`,
  );
  rmSync(store, { recursive: true, force: true });

  // On loopback the "wire" is memory copies at several hundred MB/s, and the serving
  // process shares the two cores with the fetching one: the fetch above is bound by CPU
  // (docs/performance.md). Over a link of a real speed, the same fetch against the same
  // curl, both from a server that sends no faster than the link would carry.
  step(`measuring fetches over a ${linkGbps} Gb/s link`);
  const paced = spawn(
    process.execPath,
    [
      ...cliFlags,
      "--input-type=module",
      "--eval",
      `import { createReadStream } from "node:fs";
       import { createServer } from "node:http";
       const bytesPerMs = ${linkGbps} * 1e9 / 8 / 1000;
       const server = createServer((_request, response) => {
         response.writeHead(200, { "content-length": ${size} });
         const file = createReadStream(${JSON.stringify(archive)}, { highWaterMark: 256 * 1024 });
         const start = performance.now();
         let sent = 0;
         const resumeWhenDue = () => {
           const early = sent / bytesPerMs - (performance.now() - start);
           if (early > 1) setTimeout(resumeWhenDue, early);
           else file.resume();
         };
         file.on("data", (chunk) => {
           sent += chunk.length;
           const full = !response.write(chunk);
           file.pause();
           if (full) response.once("drain", resumeWhenDue);
           else resumeWhenDue();
         });
         file.on("end", () => response.end());
       });
       server.listen(0, "127.0.0.1", () => process.stdout.write(server.address().port + "\\n"));`,
    ],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  const pacedUrl = await new Promise<string>((resolve, reject) => {
    paced.stdout.once("data", (chunk) => resolve(`http://127.0.0.1:${String(chunk).trim()}/`));
    paced.once("exit", (code) => reject(new Error(`the paced server exited with ${code}`)));
  });
  const overLink = { node: Infinity, curl: Infinity };
  try {
    for (let round = 0; round < rounds; round++) {
      rmSync(store, { recursive: true, force: true });
      const byNode = await fetchByNode(pacedUrl, published.sha256, published.size, store);
      overLink.node = Math.min(overLink.node, byNode.seconds);
      rmSync(store, { recursive: true, force: true });
      execFileSync("mkdir", ["-p", store]);
      overLink.curl = Math.min(
        overLink.curl,
        (await curl(pacedUrl, join(store, "curl.mbz"))).seconds,
      );
    }
  } finally {
    paced.kill();
    rmSync(store, { recursive: true, force: true });
  }
  lines.push(
    `fetch ${mb(size).toFixed(0)} MB from a peer over a ${linkGbps} Gb/s link (server paced at ${((linkGbps * 1e9) / 8 / 1e6).toFixed(0)} MB/s): node ${(mb(size) / overLink.node).toFixed(0)} MB/s vs curl -o ${(mb(size) / overLink.curl).toFixed(0)} MB/s = ${(overLink.curl / overLink.node).toFixed(2)}x its speed (goal >= 0.95x)`,
  );

  step(`measuring memory during a ${hugeGb} GB download`);
  // A sparse file stands in for a huge archive: the published blob's file is swapped for
  // it (serving never re-hashes), and the fetch checks it against its own digest.
  const huge = join(directory, "huge.mbz");
  const hugeSize = Math.round(hugeGb * 1024 ** 3);
  writeFileSync(huge, "");
  truncateSync(huge, hugeSize);
  const hugeSha = execFileSync("sha256sum", [huge], { encoding: "utf8" }).split(" ")[0] as string;
  const blobPath = join(
    dataDir,
    "blobs",
    published.sha256.slice(0, 2),
    published.sha256.slice(2, 4),
    published.sha256,
  );
  renameSync(blobPath, `${blobPath}.aside`);
  symlinkSync(huge, blobPath);
  try {
    const [servedHuge, servingPeak] = await peakRssWhile(pid, curl(blobUrl, "/dev/null"));
    if (servedHuge.size !== hugeSize) throw new Error(`served ${servedHuge.size} of ${hugeSize}`);
    lines.push(
      `serving ${hugeGb} GB: node RSS peak ${servingPeak.toFixed(0)} MB, ${(servingPeak - restMb).toFixed(0)} MB above rest (budget +${BUDGET.servingGrowthMb} MB)${over(servingPeak - restMb, BUDGET.servingGrowthMb)}, ${(mb(hugeSize) / servedHuge.seconds).toFixed(0)} MB/s`,
    );
    const [fetchedHuge, servingPeakAgain] = await peakRssWhile(
      pid,
      fetchByNode(blobUrl, hugeSha, hugeSize, store),
    );
    const growth = fetchedHuge.peakRssMb - fetchedHuge.rssBeforeMb;
    lines.push(
      `fetching ${hugeGb} GB from a peer: fetching process RSS peak ${fetchedHuge.peakRssMb.toFixed(0)} MB, ${growth.toFixed(0)} MB above its start (budget +${BUDGET.fetchingGrowthMb} MB${over(growth, BUDGET.fetchingGrowthMb)}; a node would be at ${(restMb + growth).toFixed(0)} MB), ${(mb(hugeSize) / fetchedHuge.seconds).toFixed(0)} MB/s; serving node peak ${servingPeakAgain.toFixed(0)} MB`,
    );
  } finally {
    rmSync(blobPath, { force: true });
    renameSync(`${blobPath}.aside`, blobPath);
  }
} finally {
  served.process.kill("SIGTERM");
  await new Promise((resolve) => served.process.once("exit", resolve));
  rmSync(directory, { recursive: true, force: true });
}
process.stdout.write(`${lines.join("\n")}\n`);
