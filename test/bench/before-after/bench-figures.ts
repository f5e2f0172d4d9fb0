/**
 * Reads the figures out of what the benchmarks print, in the format of the tree before
 * issue 17's work (1534d46) and in today's: the harness runs both trees' benchmarks and
 * compares what they measured, not how they worded it.
 */

/** One figure; `atLeast` when the bench only knows a lower bound (a search stopped at its cap). */
export interface Figure {
  readonly value: number;
  readonly atLeast?: boolean;
}

/** A run's figures by name (names below); a figure the bench did not print is absent. */
export type Figures = Readonly<Record<string, Figure>>;

/** Which benchmark printed the output: its lines differ from one bench to the next. */
export type BenchKind = "mbz" | "federation" | "scale" | "downloads" | "restore";

type Collected = Record<string, Figure>;

const NUMBER = String.raw`(-?[\d.]+)`;

/** Sets figures from the groups of `pattern`'s first match in `text`, in order. */
function take(
  into: Collected,
  text: string,
  pattern: RegExp,
  names: readonly (string | null)[],
): boolean {
  const match = pattern.exec(text);
  if (!match) return false;
  names.forEach((name, index) => {
    const group = match[index + 1];
    if (name === null || group === undefined) return;
    const value = Number(group);
    if (Number.isFinite(value)) into[name] = { value };
  });
  return true;
}

function mbzFigures(output: string): Collected {
  const figures: Collected = {};
  const zip = /^zip: .*$/m.exec(output)?.[0] ?? "";
  take(figures, zip, new RegExp(`^zip: ${NUMBER} MB file`), ["zip.fileMb"]);
  take(figures, zip, new RegExp(`sha256sum ${NUMBER} s`), ["zip.sha256sumS"]);
  take(figures, zip, new RegExp(`inspect ${NUMBER} s`), ["zip.inspectS"]);
  take(figures, zip, new RegExp(`ratio vs sha256sum ${NUMBER}x`), ["zip.ratio"]);
  take(figures, zip, new RegExp(`peak RSS ${NUMBER} MB`), ["zip.rssMb"]);
  const tgz = /^tar\.gz: .*$/m.exec(output)?.[0] ?? "";
  take(figures, tgz, new RegExp(`^tar\\.gz: ${NUMBER} MB file`), ["tgz.fileMb"]);
  take(figures, tgz, new RegExp(`tar -tzf ${NUMBER} s`), ["tgz.tarS"]);
  take(figures, tgz, new RegExp(`inspect ${NUMBER} s`), ["tgz.inspectS"]);
  take(figures, tgz, new RegExp(`ratio vs tar -tzf ${NUMBER}x`), ["tgz.ratio"]);
  take(figures, tgz, new RegExp(`peak RSS ${NUMBER} MB`), ["tgz.rssMb"]);
  return figures;
}

function federationFigures(output: string): Collected {
  const figures: Collected = {};
  take(
    figures,
    output,
    new RegExp(`^publish→catalog latency over \\d+: p50 ${NUMBER} ms, p95 ${NUMBER} ms`, "m"),
    ["latency.p50Ms", "latency.p95Ms"],
  );
  // 1534d46: "... = 21.0x"; today: "... of the same 4.4 KB body = 2.4x the time, 0.43x the
  // rate". Both print the two times, from which the rate ratio is computed alike.
  take(
    figures,
    output,
    new RegExp(
      `^fan-out to ${NUMBER} inboxes: ${NUMBER} s .* vs ${NUMBER} s plain sequential`,
      "m",
    ),
    ["fanout.inboxes", "fanout.s", "fanout.plainS"],
  );
  const fanout = figures["fanout.s"];
  const plain = figures["fanout.plainS"];
  if (fanout && plain && fanout.value > 0) {
    figures["fanout.rateRatio"] = { value: plain.value / fanout.value };
  }
  // The download part, in 1534d46's federation bench only.
  take(
    figures,
    output,
    new RegExp(
      `^download ${NUMBER} MB: node ${NUMBER} MB/s vs bare node:http ${NUMBER} MB/s = ${NUMBER}x time`,
      "m",
    ),
    ["download.mb", "download.nodeMBs", "download.bareMBs", "download.timeRatio"],
  );
  return figures;
}

/** "12.3 ms" or, 1534d46's SQLite series, "> 2000 ms" for a search stopped at its cap. */
function milliseconds(into: Collected, name: string, text: string | undefined): void {
  if (text === undefined) return;
  const capped = /^>\s*([\d.]+)/.exec(text.trim());
  if (capped) into[name] = { value: Number(capped[1]), atLeast: true };
  else if (Number.isFinite(Number.parseFloat(text)))
    into[name] = { value: Number.parseFloat(text) };
}

function scaleFigures(output: string): Collected {
  const figures: Collected = {};
  const ms = String.raw`(>?\s*[\d.]+) ms`;
  // "catalog search, N entries" (1534d46), "catalog search on SQLite, N entries" (today).
  take(figures, output, /^catalog search(?: on \w+)?, (\d+) entries/m, ["search.entries"]);
  // 1534d46: "catalog search, N entries, 200 searches: PostgreSQL p50 X ms, p95 Y ms" and
  // "  SQLite ran the first N (k stopped at 2000 ms): p50 X ms, p95 Y ms; PostgreSQL on those…".
  const oldPg = new RegExp(`^catalog search, .*: PostgreSQL p50 ${ms}, p95 ${ms}`, "m").exec(
    output,
  );
  const oldSqlite = new RegExp(
    `^\\s+SQLite ran the first (\\d+) \\((\\d+) stopped at \\d+ ms\\): p50 ${ms}, p95 ${ms}`,
    "m",
  ).exec(output);
  // Today: "  SQLite: p50 X ms, p95 Y ms = …" and "  PostgreSQL: p50 X ms, p95 Y ms = …".
  const sqlite = new RegExp(`^\\s+SQLite: p50 ${ms}, p95 ${ms}`, "m").exec(output);
  const pg = new RegExp(`^\\s+PostgreSQL: p50 ${ms}, p95 ${ms}`, "m").exec(output);
  milliseconds(figures, "search.sqlite.p50Ms", (oldSqlite?.[3] ?? sqlite?.[1]) as string);
  milliseconds(figures, "search.sqlite.p95Ms", (oldSqlite?.[4] ?? sqlite?.[2]) as string);
  milliseconds(figures, "search.pg.p50Ms", (oldPg?.[1] ?? pg?.[1]) as string);
  milliseconds(figures, "search.pg.p95Ms", (oldPg?.[2] ?? pg?.[2]) as string);
  if (oldSqlite) {
    figures["search.sqlite.ran"] = { value: Number(oldSqlite[1]) };
    figures["search.sqlite.capped"] = { value: Number(oldSqlite[2]) };
  }
  take(
    figures,
    output,
    new RegExp(
      `^catalog search on PostgreSQL.*: 1 searcher ${NUMBER} searches/s, 3 searchers .*?${NUMBER} searches/s`,
      "m",
    ),
    ["throughput.one", "throughput.three"],
  );
  // The process holding the SQLite catalog: the bench's own search process at first, then
  // `coursefed serve` answering the searches through its API.
  take(
    figures,
    output,
    new RegExp(
      `^\\s+resident memory of the process holding the SQLite catalog: ${NUMBER} MB at rest, ${NUMBER} MB after the searches`,
      "m",
    ),
    ["catalogRss.restMb", "catalogRss.peakMb"],
  );
  take(
    figures,
    output,
    new RegExp(
      `^\\s+resident memory of coursefed serve holding the SQLite catalog: (?:[\\d.]+ MB started, )?${NUMBER} MB after \\d+ searches, ${NUMBER} MB at its peak`,
      "m",
    ),
    ["catalogRss.restMb", "catalogRss.peakMb"],
  );
  take(figures, output, /^deliveries to (\d+) followers/m, ["deliveries.followers"]);
  // 1534d46: all three rates on one line.
  take(
    figures,
    output,
    new RegExp(
      `^deliveries to \\d+ followers .*: SQLite 1 process ${NUMBER}/s, PostgreSQL 1 process ${NUMBER}/s = .*, PostgreSQL 3 processes ${NUMBER}/s`,
      "m",
    ),
    ["deliveries.sqlite", "deliveries.pg", "deliveries.pg3"],
  );
  // Today: one line each, with the plain POSTs' rate measured right after.
  for (const [label, name] of [
    ["SQLite 1 process", "sqlite"],
    ["PostgreSQL 1 process", "pg"],
    ["PostgreSQL 3 processes", "pg3"],
  ] as const) {
    take(
      figures,
      output,
      new RegExp(
        `^\\s+${label} ${NUMBER}/s = ${NUMBER}x the rate of plain POSTs \\(${NUMBER}/s\\)`,
        "m",
      ),
      [`deliveries.${name}`, `deliveries.${name}.ofPlain`, `deliveries.${name}.plain`],
    );
  }
  const memory = /^node's resident memory during the fan-out.*$/m.exec(output)?.[0] ?? "";
  take(
    figures,
    memory,
    new RegExp(
      `SQLite 1 process ${NUMBER} MB at rest, ${NUMBER} MB at peak \\(\\+?${NUMBER} MB\\)`,
    ),
    ["fanoutRss.sqlite.restMb", "fanoutRss.sqlite.peakMb", "fanoutRss.sqlite.growthMb"],
  );
  take(
    figures,
    memory,
    new RegExp(
      `PostgreSQL 3 processes together ${NUMBER} MB at rest, ${NUMBER} MB at peak \\(\\+?${NUMBER} MB\\)`,
    ),
    ["fanoutRss.pg3.restMb", "fanoutRss.pg3.peakMb", "fanoutRss.pg3.growthMb"],
  );
  return figures;
}

function downloadFigures(output: string): Collected {
  const figures: Collected = {};
  take(figures, output, new RegExp(`^node at rest .*: RSS ${NUMBER} MB`, "m"), ["rest.rssMb"]);
  take(
    figures,
    output,
    new RegExp(
      `^download ${NUMBER} MB served: node ${NUMBER} MB/s .* vs bare node:http ${NUMBER} MB/s = ${NUMBER}x its speed`,
      "m",
    ),
    ["served.mb", "served.nodeMBs", "served.bareMBs", "served.ratio"],
  );
  take(
    figures,
    output,
    new RegExp(
      `^fetch ${NUMBER} MB from a peer \\(.*: node ${NUMBER} MB/s vs curl -o ${NUMBER} MB/s = ${NUMBER}x its speed`,
      "m",
    ),
    ["fetch.mb", "fetch.nodeMBs", "fetch.curlMBs", "fetch.ratio"],
  );
  take(
    figures,
    output,
    new RegExp(
      `^fetch ${NUMBER} MB from a peer over a ${NUMBER} Gb/s link .*: node ${NUMBER} MB/s vs curl -o ${NUMBER} MB/s = ${NUMBER}x its speed`,
      "m",
    ),
    ["link.mb", "link.gbps", "link.nodeMBs", "link.curlMBs", "link.ratio"],
  );
  take(
    figures,
    output,
    new RegExp(`^serving ${NUMBER} GB: node RSS peak ${NUMBER} MB, ${NUMBER} MB above rest`, "m"),
    ["huge.gb", "huge.serving.peakMb", "huge.serving.aboveRestMb"],
  );
  take(
    figures,
    output,
    new RegExp(
      `^fetching ${NUMBER} GB from a peer: fetching process RSS peak ${NUMBER} MB, ${NUMBER} MB above its start`,
      "m",
    ),
    [null, "huge.fetching.peakMb", "huge.fetching.aboveStartMb"],
  );
  return figures;
}

function restoreFigures(output: string): Collected {
  const figures: Collected = {};
  take(
    figures,
    output,
    new RegExp(
      `^all: node overhead ${NUMBER}% of ${NUMBER} s of restore jobs \\((\\d+) per fixture\\)`,
      "m",
    ),
    ["restore.sharePct", "restore.jobsS", "restore.perFixture"],
  );
  const share = figures["restore.sharePct"];
  const jobs = figures["restore.jobsS"];
  if (share && jobs) {
    figures["restore.moodleS"] = { value: jobs.value * (1 - share.value / 100) };
    figures["restore.nodeS"] = { value: (jobs.value * share.value) / 100 };
  }
  return figures;
}

const PARSERS: Record<BenchKind, (output: string) => Collected> = {
  mbz: mbzFigures,
  federation: federationFigures,
  scale: scaleFigures,
  downloads: downloadFigures,
  restore: restoreFigures,
};

/** The figures in a bench's standard output. */
export function benchFigures(kind: BenchKind, output: string): Figures {
  return PARSERS[kind](output);
}
