/**
 * Network search on loopback: one node follows NODES nodes (default 20, with COURSES
 * courses each, default 25; all in a second process, network-search-peers.ts, so that the
 * searching node's process does only its own work, as on its own machine) and searches
 * them all through its API, ROUNDS times (default 40). Printed: p50 and p95 of the
 * fan-out's time against its budget (BUDGET_MS, default 1500), how many searches had a
 * late node, and the ratio to one local catalog search through the same API, measured in
 * the same run on a catalog holding as many courses as the whole network. `--quick` (or
 * QUICK=1): 6 nodes, 3 courses each, 8 rounds, for a smoke run under ~15 s.
 * `npm run bench:network-search`.
 */
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { readOwnManifest } from "../../../packages/node/src/manifests/course-manifest.ts";
import { startTestNode } from "../../support/test-node.ts";
import { type Peers, SUBJECTS } from "./network-search-peers.ts";

const quick = process.argv.includes("--quick") || process.env.QUICK === "1";
// Starting a node costs about a second of key generation and migrations: the smoke run
// starts fewer, the measured claim (20 nodes within the budget) is the full run's.
const nodeCount = Number(process.env.NODES ?? (quick ? 6 : 20));
const coursesPerNode = Number(process.env.COURSES ?? (quick ? 3 : 25));
const rounds = Number(process.env.ROUNDS ?? (quick ? 8 : 40));
const budgetMs = Number(process.env.BUDGET_MS ?? 1500);

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

const started = performance.now();
const step = (text: string) =>
  process.stderr.write(`${((performance.now() - started) / 1000).toFixed(1)} s: ${text}\n`);

step(
  `starting the searching node, and ${nodeCount} nodes with ${coursesPerNode} courses each in another process`,
);
const peersProcess = spawn(
  process.execPath,
  [fileURLToPath(new URL("./network-search-peers.ts", import.meta.url))],
  {
    env: { ...process.env, NODES: String(nodeCount), COURSES: String(coursesPerNode) },
    stdio: ["pipe", "pipe", "inherit"],
  },
);
const peersReady = new Promise<Peers>((resolve, reject) => {
  createInterface({ input: peersProcess.stdout }).once("line", (line) => resolve(JSON.parse(line)));
  peersProcess.once("exit", (code) => reject(new Error(`the nodes' process ended (${code})`)));
});
const searcher = await startTestNode("searcher", "Searcher");
const peers = await peersReady;
const published = peers.courses.length;

// The searcher's catalog holds the same courses, for the local search to compare with: kept
// as the inbox keeps a verified course.
for (const course of peers.courses) {
  await searcher.node.services.catalog.receive({
    ...course,
    manifest: readOwnManifest(course.manifestJws),
  });
}

// The searcher's institution follows every node's (recorded as accepted: the follows'
// round trips are not what is measured).
const { follows } = searcher.node.services;
for (const { institution: actor } of peers.nodes) {
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
  `  (the searching node in this process, the ${nodeCount} others in one more, on 2 shared cores; ${((performance.now() - started) / 1000).toFixed(1)} s in all)`,
];
process.stdout.write(`${lines.join("\n")}\n`);

peersProcess.stdin.end();
await searcher.stop();
await new Promise((resolve) => peersProcess.once("exit", resolve));
if (p95 > budgetMs) process.exitCode = 1;
