/**
 * Federation benchmarks on loopback, each against a baseline measured in the same run:
 *   - publish → visible in a follower's catalog: latency p50/p95 over N publications;
 *   - fan-out: one Create delivered to FOLLOWERS inboxes (a sink server), against plain
 *     unsigned POSTs of the same body to the same inboxes;
 *   - download throughput of a published archive, against a bare node:http file server.
 * FOLLOWERS (default 1000) and PUBLICATIONS (default 20) set the sizes. `npm run bench:federation`.
 */
import { createReadStream, mkdtempSync, statSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { publishCourse } from "../../../packages/node/src/courses/publish-service.ts";
import { domainServices } from "../../../packages/node/src/federation/domain-services.ts";
import { eventually } from "../../support/eventually.ts";
import { contextOf, followAndApprove } from "../../support/federation-steps.ts";
import { fixture } from "../../support/shared-fixtures.ts";
import { startTestNode } from "../../support/test-node.ts";
import { generateTarGz } from "../mbz/generate-backup.ts";

const followers = Number(process.env.FOLLOWERS ?? 1000);
const publications = Number(process.env.PUBLICATIONS ?? 20);

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
const sink = createServer((request, response) => {
  request.resume();
  request.on("end", () => {
    received++;
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
received = 0;
let start = performance.now();
await publishCourse(
  domainServices(contextOf(publisher)),
  institution,
  fixture("m285-zip-activity-quiz-nousers.mbz"),
  { title: "Fan-out" },
);
await eventually(() => received >= followers, 600_000);
const fanout = (performance.now() - start) / 1000;
step(`  delivered ${received} in ${fanout.toFixed(2)} s`);
const body = JSON.stringify({ type: "Create", padding: "x".repeat(3000) });
start = performance.now();
for (let i = 0; i < followers; i++) {
  await fetch(`http://127.0.0.1:${sinkPort}/users/${i}/inbox`, {
    method: "POST",
    body,
    headers: { "content-type": "application/activity+json" },
  });
}
const plain = (performance.now() - start) / 1000;
lines.push(
  `fan-out to ${followers} inboxes: ${fanout.toFixed(2)} s (signed, queued, 8 deliveries in flight) vs ${plain.toFixed(2)} s plain sequential POSTs = ${(fanout / plain).toFixed(1)}x`,
);
sink.close();

step("measuring download throughput");
// 3. Download throughput of a 256 MB archive against a bare file server.
const directory = mkdtempSync(join(tmpdir(), "coursefed-bench-dl-"));
const big = join(directory, "big.mbz");
await generateTarGz(big, 256 * 1024 ** 2);
const { revision } = await publishCourse(domainServices(contextOf(publisher)), institution, big, {
  title: "Big",
});
const size = statSync(big).size;
const bare = createServer((_request, response) => {
  response.writeHead(200, { "content-length": size });
  createReadStream(big).pipe(response);
});
const barePort = await listen(bare);
async function drain(url: string): Promise<number> {
  const begin = performance.now();
  const response = await fetch(url);
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  for (;;) {
    const { done } = await reader.read();
    if (done) break;
  }
  return (performance.now() - begin) / 1000;
}
const best = async (url: string) => Math.min(await drain(url), await drain(url), await drain(url));
const node = await best(new URL(`/blobs/${revision.sha256}`, publisher.url).href);
const bareTime = await best(`http://127.0.0.1:${barePort}/`);
lines.push(
  `download ${(size / 1024 ** 2).toFixed(0)} MB: node ${(size / 1024 ** 2 / node).toFixed(0)} MB/s vs bare node:http ${(size / 1024 ** 2 / bareTime).toFixed(0)} MB/s = ${(node / bareTime).toFixed(2)}x time`,
);
bare.close();
writeFileSync(join(directory, "done"), "");

await publisher.stop();
await follower.stop();
process.stdout.write(`${lines.join("\n")}\n`);
process.exit(0);
