/**
 * Federation benchmarks on loopback, each against a baseline measured in the same run:
 *   - publish → visible in a follower's catalog: latency p50/p95 over N publications;
 *   - fan-out: one Create delivered to FOLLOWERS inboxes (a sink server), against plain
 *     unsigned sequential POSTs of the body the node sent to the same inboxes;
 * (Download throughput has a benchmark of its own: `npm run bench:downloads`.)
 * FOLLOWERS (default 1000) and PUBLICATIONS (default 20) set the sizes, FANOUTS (default 5)
 * how many fan-outs alternate with their baselines (the medians are compared, and the median
 * of each pair's ratio: on a shared machine one pair can be off by a factor of two either
 * way); `--quick` (or QUICK=1) shrinks them for CI's smoke run. `npm run bench:federation`.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { publishCourse } from "../../../packages/node/src/courses/publish-service.ts";
import { domainServices } from "../../../packages/node/src/federation/domain-services.ts";
import { eventually } from "../../support/eventually.ts";
import { contextOf, followAndApprove } from "../../support/federation-steps.ts";
import { fixture } from "../../support/shared-fixtures.ts";
import { startTestNode } from "../../support/test-node.ts";

const quick = process.argv.includes("--quick") || process.env.QUICK === "1";
const followers = Number(process.env.FOLLOWERS ?? (quick ? 20 : 1000));
const publications = Number(process.env.PUBLICATIONS ?? (quick ? 2 : 20));
const fanouts = Number(process.env.FANOUTS ?? (quick ? 1 : 5));

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return (server.address() as AddressInfo).port;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

const lines: string[] = [];
const step = (text: string) => process.stderr.write(`${text}\n`);
const publisher = await startTestNode("univ");
const follower = await startTestNode("school");
await followAndApprove(follower, publisher);

step("measuring publish→catalog latency");
// 1. Latency from publish to the follower's catalog.
const latencies: number[] = [];
for (let i = 0; i < publications; i++) {
  const start = performance.now();
  const { course } = await publishCourse(
    domainServices(contextOf(publisher)),
    publisher.node.institution,
    fixture("m285-zip-activity-quiz-nousers.mbz"),
    {
      title: `Latency ${i}`,
    },
  );
  const object = new URL(`/courses/${course.id}`, publisher.url).href;
  await eventually(() => follower.node.services.catalog.catalogEntry(object), 30_000);
  latencies.push(performance.now() - start);
}
lines.push(
  `publish→catalog latency over ${publications}: p50 ${percentile(latencies, 50).toFixed(0)} ms, p95 ${percentile(latencies, 95).toFixed(0)} ms`,
);

step("measuring fan-out");
// 2. Fan-out to many inboxes of a sink that accepts everything.
let received = 0;
let sentBody = "";
/**
 * When the sink has read the `followers`-th POST: the fan-out's end, taken where it
 * happens rather than by polling the count, whose 50 ms steps were charged to the
 * fan-out alone (the baseline's end is its last response).
 */
let allReceived: PromiseWithResolvers<number> = Promise.withResolvers();
const sink = createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on("data", (chunk: Buffer) => chunks.push(chunk));
  request.on("end", () => {
    if (++received === followers) allReceived.resolve(performance.now());
    // The baseline below posts what the node sent.
    sentBody ||= Buffer.concat(chunks).toString("utf8");
    response.writeHead(202).end();
  });
});
const sinkPort = await listen(sink);
const institution = publisher.node.institution;
for (let i = 0; i < followers; i++) {
  const uri = `http://127.0.0.1:${sinkPort}/users/${i}`;
  await publisher.node.services.follows.rememberActor({
    uri,
    handle: null,
    type: "Person",
    name: null,
    inbox: `${uri}/inbox`,
    sharedInbox: null,
  });
  await publisher.node.services.follows.requestFollow(
    institution.id,
    uri,
    `${uri}#follow`,
    "accepted",
  );
}
let body = "";
/** Plain sequential POSTs of the fan-out's body to the first `count` inboxes. */
async function postPlainly(count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    await fetch(`http://127.0.0.1:${sinkPort}/users/${i}/inbox`, {
      method: "POST",
      body,
      headers: { "content-type": "application/activity+json" },
    });
  }
}
const fanoutSeconds: number[] = [];
const plainSeconds: number[] = [];
/**
 * Each fan-out from the moment the node sends the Create (its outbound is handed the
 * published course) to the last inbox: without the course's publication before it
 * (reading and storing the archive), which the plain POSTs have no counterpart of.
 */
const sendingSeconds: number[] = [];
/**
 * The process's CPU during each fan-out (ms; every thread: the signatures on libuv's pool,
 * the sink's side of the exchange): on shared cores it moves less with the load than the
 * wall time, so it tells a cheaper fan-out apart where the times cannot. The main thread's
 * share apart: the rest is libuv's pool (the signatures) and V8's own threads.
 */
const fanoutCpu: number[] = [];
const fanoutMainCpu: number[] = [];
/**
 * The process's CPU during each run of plain POSTs: against the fan-out's, a ratio that the
 * load moves far less than the times' (the baseline needs one core, the fan-out two).
 */
const plainCpu: number[] = [];
const milliseconds = (usage: NodeJS.CpuUsage) => (usage.user + usage.system) / 1000;
// Round 0 warms both up and is not counted: each's first run costs more (the fan-out's
// CPU about a fifth more, fetch (undici) several times slower over its first few hundred
// requests).
for (let round = 0; round <= fanouts; round++) {
  received = 0;
  sentBody = "";
  allReceived = Promise.withResolvers();
  const services = domainServices(contextOf(publisher));
  let sentAt = 0;
  const sending = {
    ...services,
    outbound: {
      deliver: (event: Parameters<typeof services.outbound.deliver>[0]) => {
        sentAt ||= performance.now();
        return services.outbound.deliver(event);
      },
    },
  };
  let start = performance.now();
  const cpuBefore = process.cpuUsage();
  const mainCpuBefore = process.threadCpuUsage();
  const publishing = publishCourse(
    sending,
    institution,
    fixture("m285-zip-activity-quiz-nousers.mbz"),
    { title: `Fan-out ${round}` },
  );
  publishing.catch((error: unknown) => allReceived.reject(error));
  const end = await Promise.race([
    allReceived.promise,
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error("the fan-out took over 10 minutes")), 600_000).unref(),
    ),
  ]);
  await publishing;
  const cpu = milliseconds(process.cpuUsage(cpuBefore));
  const mainCpu = milliseconds(process.threadCpuUsage(mainCpuBefore));
  step(
    `  ${round === 0 ? "warm-up: " : ""}delivered ${received} in ${((end - start) / 1000).toFixed(2)} s (${((end - sentAt) / 1000).toFixed(2)} s from sending), CPU ${cpu.toFixed(0)} ms (main thread ${mainCpu.toFixed(0)})`,
  );
  if (round > 0) {
    fanoutSeconds.push((end - start) / 1000);
    sendingSeconds.push((end - sentAt) / 1000);
    fanoutCpu.push(cpu);
    fanoutMainCpu.push(mainCpu);
  }
  body = sentBody;
  // The node's own work after the last POST (deleting handled rows, counting deliveries
  // every 100 ms) is not charged to the baseline that follows.
  const { queueMessages } = publisher.node.db.tables;
  await eventually(
    async () =>
      (await publisher.node.db.select({ id: queueMessages.id }).from(queueMessages).limit(1))
        .length === 0,
  );
  await new Promise((resolve) => setTimeout(resolve, 200));
  start = performance.now();
  const plainCpuBefore = process.cpuUsage();
  await postPlainly(followers);
  if (round > 0) {
    plainSeconds.push((performance.now() - start) / 1000);
    plainCpu.push(milliseconds(process.cpuUsage(plainCpuBefore)));
  }
}
const fanout = percentile(fanoutSeconds, 50);
const plain = percentile(plainSeconds, 50);
const pairs = fanoutSeconds
  .map((each, n) => `${each.toFixed(2)}/${(plainSeconds[n] as number).toFixed(2)}`)
  .join(", ");
// Each fan-out against the baseline right after it, under the same load.
const pairedRatio = percentile(
  fanoutSeconds.map((each, n) => (plainSeconds[n] as number) / each),
  50,
);
const fromSending = percentile(sendingSeconds, 50);
const sendingRatio = percentile(
  sendingSeconds.map((each, n) => (plainSeconds[n] as number) / each),
  50,
);
const cpuRatio = percentile(
  plainCpu.map((each, n) => each / (fanoutCpu[n] as number)),
  50,
);
const cpuFigures = fanoutCpu
  .map((each, n) => `${each.toFixed(0)}/${(fanoutMainCpu[n] as number).toFixed(0)}`)
  .join(", ");
lines.push(
  `fan-out to ${followers} inboxes: ${fanout.toFixed(2)} s (signed, queued, up to 64 in hand) vs ${plain.toFixed(2)} s plain sequential POSTs of the same ${(body.length / 1024).toFixed(1)} KB body = ${(fanout / plain).toFixed(1)}x the time, ${(plain / fanout).toFixed(2)}x the rate (medians of ${fanouts} alternate runs after one to warm up; median of the pairs' rate ratios ${pairedRatio.toFixed(2)}x; fan-out/plain s: ${pairs}); from the Create's sending, the course's publication left out: ${fromSending.toFixed(2)} s, pairs' rate ratios ${sendingRatio.toFixed(2)}x; CPU of the process during each fan-out, median ${percentile(fanoutCpu, 50).toFixed(0)} ms, its main thread ${percentile(fanoutMainCpu, 50).toFixed(0)} ms (all/main: ${cpuFigures}); the plain POSTs' ${percentile(plainCpu, 50).toFixed(0)} ms, median of the pairs' ratios ${cpuRatio.toFixed(2)}x the fan-out's`,
);
sink.close();

await publisher.stop();
await follower.stop();
process.stdout.write(`${lines.join("\n")}\n`);
process.exit(0);
