/**
 * Network search on loopback: one node follows NODES nodes (default 20, each a node in
 * this process with COURSES courses, default 25) and searches them all through its API,
 * ROUNDS times (default 40). Printed: p50 and p95 of the fan-out's time against its budget
 * (BUDGET_MS, default 1500), how many searches had a late node, and the ratio to one local
 * catalog search through the same API, measured in the same run on a catalog holding as
 * many courses as the whole network. `--quick` (or QUICK=1): 6 nodes, 3 courses each,
 * 8 rounds, for a smoke run under ~15 s. `npm run bench:network-search`.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { publishCourse } from "../../../packages/node/src/courses/publish-service.ts";
import { domainServices } from "../../../packages/node/src/federation/domain-services.ts";
import { readOwnManifest } from "../../../packages/node/src/manifests/course-manifest.ts";
import { contextOf, institutionOf, writeOnePageBackup } from "../../support/federation-steps.ts";
import { startTestNode, type TestNode } from "../../support/test-node.ts";

const quick = process.argv.includes("--quick") || process.env.QUICK === "1";
// Starting a node costs about a second of key generation and migrations: the smoke run
// starts fewer, the measured claim (20 nodes within the budget) is the full run's.
const nodeCount = Number(process.env.NODES ?? (quick ? 6 : 20));
const coursesPerNode = Number(process.env.COURSES ?? (quick ? 3 : 25));
const rounds = Number(process.env.ROUNDS ?? (quick ? 8 : 40));
const budgetMs = Number(process.env.BUDGET_MS ?? 1500);

/** Words the titles are made of: a search for one of them matches about one course in four. */
const SUBJECTS = ["algebra", "geometry", "chemistry", "history", "biology", "physics", "music"];
const LEVELS = ["introduction", "advanced", "revision", "workshop"];

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

const started = performance.now();
const step = (text: string) =>
  process.stderr.write(`${((performance.now() - started) / 1000).toFixed(1)} s: ${text}\n`);
const directory = mkdtempSync(join(tmpdir(), "coursefed-bench-network-search-"));
const backup = await writeOnePageBackup(directory);

step(`starting ${nodeCount + 1} nodes`);
// Searches from one server, many a minute: the per-server limit is not what is measured.
const limits = { networkSearchRequestsPerMinute: 100_000 };
const searcher = await startTestNode("searcher", "Searcher", limits);
const nodes: TestNode[] = await Promise.all(
  Array.from({ length: nodeCount }, (_, index) =>
    startTestNode(`node${index}`, `Node ${index}`, limits),
  ),
);

step(`publishing ${coursesPerNode} courses on each node`);
let published = 0;
await Promise.all(
  nodes.map(async (node, index) => {
    const services = domainServices(contextOf(node));
    for (let course = 0; course < coursesPerNode; course++) {
      const subject = SUBJECTS[(index + course) % SUBJECTS.length] as string;
      const level = LEVELS[course % LEVELS.length] as string;
      const { course: row, revision } = await publishCourse(
        services,
        node.node.institution,
        backup,
        {
          title: `${subject} ${level} ${index}-${course}`,
          summary: `<p>A ${level} course of ${subject}, from node ${index}.</p>`,
          tags: [subject],
        },
      );
      // The searcher's catalog holds the same courses, for the local search to compare
      // with: kept as the inbox keeps a verified course.
      const manifest = readOwnManifest(revision.manifest);
      await searcher.node.services.catalog.receive({
        objectUri: new URL(`/courses/${row.id}`, node.url).href,
        actorUri: institutionOf(node),
        title: row.title,
        summary: row.summary,
        tags: row.tags,
        archiveUrl: new URL(`/blobs/${revision.sha256}`, node.url).href,
        manifest,
        manifestJws: revision.manifest,
      });
      published++;
    }
  }),
);

// The searcher's institution follows every node's (recorded as accepted: the follows'
// round trips are not what is measured).
const { follows } = searcher.node.services;
for (const node of nodes) {
  const actor = institutionOf(node);
  await follows.rememberActor({
    uri: actor,
    handle: null,
    type: "Organization",
    name: null,
    inbox: `${actor}/inbox`,
    sharedInbox: null,
  });
  const followId = `${searcher.url.origin}/follows/${crypto.randomUUID()}`;
  await follows.startFollowing(searcher.node.institution.id, actor, followId);
  await follows.answerFollowing(followId, actor, "accepted");
}

const api = async (path: string) => {
  const response = await fetch(new URL(`/api/v1/${path}`, searcher.url), {
    headers: { authorization: `Bearer ${searcher.token}` },
  });
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status} ${await response.text()}`);
  return (await response.json()) as Record<string, unknown>;
};

step(`searching ${rounds} times (after 2 to warm up)`);
const fanOut: number[] = [];
const local: number[] = [];
let withLateNodes = 0;
let results = 0;
for (let round = -2; round < rounds; round++) {
  const word = SUBJECTS[(round + 2) % SUBJECTS.length] as string;
  let start = performance.now();
  const network = (await api(`network-search?q=${word}&budget=${budgetMs}`)) as {
    items: unknown[];
    answered: string[];
    late: string[];
    failed: Array<{ node: string; reason: string }>;
  };
  const networkMs = performance.now() - start;
  start = performance.now();
  await api(`catalog?q=${word}&limit=50`);
  const localMs = performance.now() - start;
  if (network.failed.length > 0) {
    throw new Error(`nodes failed: ${network.failed.map((each) => each.reason).join("; ")}`);
  }
  if (round < 0) continue;
  fanOut.push(networkMs);
  local.push(localMs);
  results += network.items.length;
  if (network.late.length > 0) withLateNodes++;
}

const p50 = percentile(fanOut, 50);
const p95 = percentile(fanOut, 95);
const localP50 = percentile(local, 50);
const lines = [
  `network search over ${nodeCount} nodes (${coursesPerNode} courses each, ${published} in all; ${rounds} searches, ${(results / rounds).toFixed(0)} results on average):`,
  `  fan-out p50 ${p50.toFixed(0)} ms, p95 ${p95.toFixed(0)} ms against a budget of ${budgetMs} ms: p95 ${p95 <= budgetMs ? "within" : "OVER"} budget (${((p95 / budgetMs) * 100).toFixed(0)}%); ${withLateNodes} of ${rounds} searches had a late node`,
  `  one local catalog search over the same ${published} courses: p50 ${localP50.toFixed(1)} ms, p95 ${percentile(local, 95).toFixed(1)} ms; fan-out / local (p50) = ${(p50 / localP50).toFixed(1)}x`,
  `  (${nodeCount + 1} nodes in one process on 2 shared cores, ${((performance.now() - started) / 1000).toFixed(1)} s in all)`,
];
process.stdout.write(`${lines.join("\n")}\n`);

await Promise.all([searcher, ...nodes].map((node) => node.stop()));
rmSync(directory, { recursive: true, force: true });
if (p95 > budgetMs) process.exitCode = 1;
