/**
 * The before/after harness reads figures from what two generations of benchmarks print:
 * the lines below are theirs, as printed at 1534d46 and now (quick runs of both trees).
 * A figure read wrong or not at all would put a wrong number in the table.
 */
import { describe, expect, it } from "vitest";
import { beforeAfterTable, type MeasureRun, type TableRow } from "./before-after-table.ts";
import { benchFigures } from "./bench-figures.ts";

const values = (figures: Record<string, { value: number; atLeast?: boolean }>) =>
  Object.fromEntries(Object.entries(figures).map(([name, figure]) => [name, figure.value]));

describe("bench:mbz's lines (the same before and after)", () => {
  it("reads the ratios, the baselines' times and the peak RSS of both formats", () => {
    const figures = benchFigures(
      "mbz",
      [
        "zip: 758 MB file | sha256sum 2.86 s | inspect 1.32 s | ratio vs sha256sum 0.46x (goal <= 1.3x) | peak RSS 103 MB (goal < 150 MB)",
        "tar.gz: 758 MB file | sha256sum 4.95 s | tar -tzf 4.10 s | inspect 2.05 s | ratio vs tar -tzf 0.50x (goal <= 1.1x) | ratio vs sha256sum 0.41x | peak RSS 129 MB (goal < 150 MB)",
      ].join("\n"),
    );
    expect(values(figures)).toEqual({
      "zip.fileMb": 758,
      "zip.sha256sumS": 2.86,
      "zip.inspectS": 1.32,
      "zip.ratio": 0.46,
      "zip.rssMb": 103,
      "tgz.fileMb": 758,
      "tgz.tarS": 4.1,
      "tgz.inspectS": 2.05,
      "tgz.ratio": 0.5,
      "tgz.rssMb": 129,
    });
  });
});

describe("bench:federation's lines", () => {
  it("reads 1534d46's fan-out (a time ratio only) and its download part", () => {
    const figures = benchFigures(
      "federation",
      [
        "publish→catalog latency over 20: p50 114 ms, p95 281 ms",
        "fan-out to 1000 inboxes: 4.83 s (signed, queued, 8 deliveries in flight) vs 0.23 s plain sequential POSTs = 21.0x",
        "download 182 MB: node 117 MB/s vs bare node:http 182 MB/s = 1.55x time",
      ].join("\n"),
    );
    expect(figures["latency.p50Ms"]?.value).toBe(114);
    expect(figures["latency.p95Ms"]?.value).toBe(281);
    expect(figures["fanout.inboxes"]?.value).toBe(1000);
    expect(figures["fanout.rateRatio"]?.value).toBeCloseTo(0.23 / 4.83, 5);
    expect(figures["download.timeRatio"]?.value).toBe(1.55);
    expect(figures["download.nodeMBs"]?.value).toBe(117);
    expect(figures["download.bareMBs"]?.value).toBe(182);
  });

  it("reads today's fan-out as the same rate ratio, and no download (bench:downloads has it)", () => {
    const figures = benchFigures(
      "federation",
      [
        "publish→catalog latency over 2: p50 1505 ms, p95 1505 ms",
        "fan-out to 20 inboxes: 0.85 s (signed, queued, up to 64 in hand) vs 0.05 s plain sequential POSTs of the same 4.4 KB body = 15.7x the time, 0.06x the rate",
      ].join("\n"),
    );
    expect(figures["fanout.rateRatio"]?.value).toBeCloseTo(0.05 / 0.85, 5);
    expect(figures["download.timeRatio"]).toBeUndefined();
  });
});

describe("bench:scale's lines", () => {
  it("reads 1534d46's searches, a p95 past the SQLite cap as a lower bound, and its delivery rates", () => {
    const figures = benchFigures(
      "scale",
      [
        "machine: 2 cores, load average 15.8 at start; PostgreSQL 15 (fsync off), SQLite WAL",
        "catalog search, 100000 entries, 200 searches: PostgreSQL p50 251.0 ms, p95 716.4 ms",
        "  SQLite ran the first 131 (12 stopped at 2000 ms): p50 56.2 ms, p95 > 2000 ms; PostgreSQL on those: p50 250.1 ms, p95 700.0 ms = < 0.35x SQLite's p95",
        "catalog search on PostgreSQL: 1 searcher 2 searches/s, 3 searchers (a pool each) 4 searches/s = 2.00x",
        "deliveries to 2000 followers (signed; 8 in flight per process): SQLite 1 process 205/s, PostgreSQL 1 process 166/s = 0.81x SQLite, PostgreSQL 3 processes 166/s = 1.00x 1 process",
      ].join("\n"),
    );
    expect(figures["search.sqlite.p95Ms"]).toEqual({ value: 2000, atLeast: true });
    expect(values(figures)).toMatchObject({
      "search.entries": 100000,
      "search.sqlite.p50Ms": 56.2,
      "search.sqlite.ran": 131,
      "search.sqlite.capped": 12,
      "search.pg.p50Ms": 251,
      "search.pg.p95Ms": 716.4,
      "throughput.one": 2,
      "throughput.three": 4,
      "deliveries.sqlite": 205,
      "deliveries.pg": 166,
      "deliveries.pg3": 166,
    });
  });

  it("reads today's searches, delivery rates against plain POSTs and resident memory", () => {
    const figures = benchFigures(
      "scale",
      [
        "catalog search, 5000 entries (filled in 1 s on SQLite, 4 s on PostgreSQL; two targets' probes judged it in 0.1 s and 0.1 s), 40 searches with their totals (counted up to 1000), and their next pages:",
        "  SQLite: p50 1.3 ms, p95 13.3 ms = 0.27x the 50 ms budget; max 77.7 ms",
        "    p95 by kind: words (8) 7.2 ms, one filter (8) 12.0 ms, combinations (24) 20.0 ms, next pages (26) 13.3 ms",
        "  PostgreSQL: p50 16.6 ms, p95 56.1 ms = 1.12x the 50 ms budget; max 104.0 ms",
        "    p95 by kind: words (8) 33.9 ms, one filter (8) 49.5 ms, combinations (24) 68.6 ms, next pages (26) 56.1 ms",
        "  resident memory of the process holding the SQLite catalog: 329 MB at rest, 352 MB after the searches (+23 MB = 0.37x its budget of 64 MB over rest)",
        "catalog search on PostgreSQL (a search and its next page): 1 searcher 27 searches/s, 3 searchers (a pool each) 45 searches/s = 1.67x",
        "deliveries to 200 followers (signed; up to 64 in hand per process), each against plain sequential POSTs of the same body measured right after:",
        "  SQLite 1 process 200/s = 0.59x the rate of plain POSTs (341/s)",
        "  PostgreSQL 1 process 366/s = 0.38x the rate of plain POSTs (968/s); 1.83x SQLite",
        "  PostgreSQL 3 processes 317/s = 1.20x the rate of plain POSTs (263/s); 0.87x 1 process on 2 cores",
        "node's resident memory during the fan-out (budget: 128 MB over rest per process): SQLite 1 process 253 MB at rest, 264 MB at peak (+11 MB); PostgreSQL 3 processes together 810 MB at rest, 816 MB at peak (+6 MB)",
      ].join("\n"),
    );
    expect(values(figures)).toEqual({
      "search.entries": 5000,
      "search.sqlite.p50Ms": 1.3,
      "search.sqlite.p95Ms": 13.3,
      "search.pg.p50Ms": 16.6,
      "search.pg.p95Ms": 56.1,
      "catalogRss.restMb": 329,
      "catalogRss.peakMb": 352,
      "throughput.one": 27,
      "throughput.three": 45,
      "deliveries.followers": 200,
      "deliveries.sqlite": 200,
      "deliveries.sqlite.ofPlain": 0.59,
      "deliveries.sqlite.plain": 341,
      "deliveries.pg": 366,
      "deliveries.pg.ofPlain": 0.38,
      "deliveries.pg.plain": 968,
      "deliveries.pg3": 317,
      "deliveries.pg3.ofPlain": 1.2,
      "deliveries.pg3.plain": 263,
      "fanoutRss.sqlite.restMb": 253,
      "fanoutRss.sqlite.peakMb": 264,
      "fanoutRss.sqlite.growthMb": 11,
      "fanoutRss.pg3.restMb": 810,
      "fanoutRss.pg3.peakMb": 816,
      "fanoutRss.pg3.growthMb": 6,
    });
  });
});

describe("bench:scale's catalog lines since each engine has its own", () => {
  it("reads both engines' searches and the memory of coursefed serve holding the catalog", () => {
    const figures = benchFigures(
      "scale",
      [
        "catalog search on SQLite, 1000000 entries (kept in /tmp/catalog-1m.sqlite), 200 searches with their totals (counted up to 1000), and their next pages:",
        "  SQLite: p50 3.1 ms, p95 61.0 ms = 0.31x the 200 ms budget; max 390.2 ms",
        "    p50 / p95 by kind: words (40) 2.0 ms / 30.0 ms, one filter (40) 1.0 ms / 20.0 ms, combinations (120) 3.0 ms / 70.0 ms, next pages (130) 2.0 ms / 50.0 ms",
        "  resident memory of coursefed serve holding the SQLite catalog: 225 MB started, 231 MB after 8 searches, 262 MB at its peak answering the 200 searches through its API = 0.82x its budget of 320 MB",
        "catalog search on PostgreSQL, 1000000 entries (filled in 900 s, two targets' probes judged it in 60.0 s), 200 searches with their totals (counted up to 1000), and their next pages:",
        "  PostgreSQL: p50 12.5 ms, p95 150.0 ms = 0.75x the 200 ms budget; max 800.0 ms",
        "catalog search on PostgreSQL (a search and its next page): 1 searcher 30 searches/s, 3 searchers (a pool each) 50 searches/s = 1.67x",
      ].join("\n"),
    );
    expect(values(figures)).toEqual({
      "search.entries": 1000000,
      "search.sqlite.p50Ms": 3.1,
      "search.sqlite.p95Ms": 61,
      "search.pg.p50Ms": 12.5,
      "search.pg.p95Ms": 150,
      "catalogRss.restMb": 231,
      "catalogRss.peakMb": 262,
      "throughput.one": 30,
      "throughput.three": 50,
    });
  });
});

describe("bench:downloads' and bench:restore's lines", () => {
  it("reads the speeds against their baselines and the memory figures, a growth below rest included", () => {
    const figures = benchFigures(
      "downloads",
      [
        "node at rest (coursefed serve, warmed up): RSS 229 MB (budget 256 MB)",
        "download 182 MB served: node 514 MB/s (resumed range 895 MB/s) vs bare node:http 418 MB/s = 1.23x its speed (goal >= 0.95x); serving process CPU 200 ms vs 240 ms = 0.83x",
        "fetch 182 MB from a peer (sha256 checked, into the blob store): node 188 MB/s vs curl -o 594 MB/s = 0.32x its speed (goal >= 0.95x); CPU 408 ms vs 100 ms = 4.08x",
        "fetch 182 MB from a peer over a 1 Gb/s link (server paced at 125 MB/s): node 118 MB/s vs curl -o 119 MB/s = 0.99x its speed (goal >= 0.95x)",
        "serving 10 GB: node RSS peak 208 MB, -21 MB above rest (budget +64 MB), 160 MB/s",
        "fetching 10 GB from a peer: fetching process RSS peak 156 MB, 70 MB above its start (budget +96 MB; a node would be at 300 MB), 164 MB/s; serving node peak 192 MB",
      ].join("\n"),
    );
    expect(values(figures)).toEqual({
      "rest.rssMb": 229,
      "served.mb": 182,
      "served.nodeMBs": 514,
      "served.bareMBs": 418,
      "served.ratio": 1.23,
      "fetch.mb": 182,
      "fetch.nodeMBs": 188,
      "fetch.curlMBs": 594,
      "fetch.ratio": 0.32,
      "link.mb": 182,
      "link.gbps": 1,
      "link.nodeMBs": 118,
      "link.curlMBs": 119,
      "link.ratio": 0.99,
      "huge.gb": 10,
      "huge.serving.peakMb": 208,
      "huge.serving.aboveRestMb": -21,
      "huge.fetching.peakMb": 156,
      "huge.fetching.aboveStartMb": 70,
    });
  });

  it("reads the node's share of the restore jobs and works out Moodle's own time from it", () => {
    const figures = benchFigures(
      "restore",
      [
        "m26dev-zip-course-glossary-nousers.mbz: job 1800 ms, Moodle's restore 1740 ms, node overhead 3.3% of the job",
        "all: node overhead 3.8% of 40.0 s of restore jobs (5 per fixture)",
      ].join("\n"),
    );
    expect(figures["restore.sharePct"]?.value).toBe(3.8);
    expect(figures["restore.moodleS"]?.value).toBeCloseTo(38.48, 5);
    expect(figures["restore.nodeS"]?.value).toBeCloseTo(1.52, 5);
  });

  it("reads nothing from a run that printed none of its lines", () => {
    expect(benchFigures("downloads", "PostgreSQL's server binaries are not installed")).toEqual({});
  });
});

describe("the table", () => {
  const row: TableRow = {
    measure: "scale",
    label: "SQLite p95",
    value: (figures) => figures["search.sqlite.p95Ms"],
    unit: " ms",
    digits: 1,
    better: "lower",
    baseline: (figures) => `plain ${figures["search.pg.p95Ms"]?.value}`,
  };
  const run = (side: "before" | "after", p95: number, atLeast = false): MeasureRun => ({
    measure: "scale",
    side,
    figures: {
      "search.sqlite.p95Ms": { value: p95, ...(atLeast ? { atLeast } : {}) },
      "search.pg.p95Ms": { value: p95 * 2 },
    },
  });

  it("shows each run, the baselines and after ÷ before of the medians, a bound when before was capped", () => {
    const table = beforeAfterTable(
      [row],
      [run("before", 2000, true), run("after", 40), run("before", 1000), run("after", 60)],
    );
    expect(table.split("\n")[2]).toBe(
      "| SQLite p95 | > 2000.0 ms / 1000.0 ms | 40.0 ms / 60.0 ms | before: plain 4000 / plain 2000; after: plain 80 / plain 120 | ≤ 0.03× (lower is better) |",
    );
  });

  it("says which runs failed or did not print the figure, and compares only what was measured", () => {
    const table = beforeAfterTable(
      [row],
      [
        { measure: "scale", side: "before", figures: {}, failure: "failed (exit 1)" },
        { measure: "scale", side: "after", figures: {} },
      ],
    );
    expect(table.split("\n")[2]).toBe("| SQLite p95 | n/a | not printed | — | — |");
  });
});
