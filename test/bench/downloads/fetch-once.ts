/**
 * Fetches one archive into a blob store as a node fetches it from a peer (a resumable
 * download, sha256-verified, kept only whole), in a process of its own, and prints the
 * time it took and the process's resident memory before and at its peak, for the benchmark.
 * FETCH_WITHOUT_SHA256=1 (the benchmark's, never the node's) measures the same fetch with
 * sha256 doing nothing and giving the expected digest: what the check itself costs.
 */
import crypto from "node:crypto";
import { readFileSync } from "node:fs";
import { syncBuiltinESMExports } from "node:module";
import { BlobStore } from "../../../packages/node/src/blobs/blob-store.ts";

const [url, sha256, size, storeDirectory] = process.argv.slice(2);
if (!url || !sha256 || !size || !storeDirectory) {
  throw new Error("usage: fetch-once.ts URL SHA256 SIZE STORE_DIRECTORY");
}
if (process.env.FETCH_WITHOUT_SHA256 === "1") {
  const realCreateHash = crypto.createHash;
  const idle = { update: () => idle, digest: () => sha256 };
  crypto.createHash = ((algorithm: string, options?: crypto.HashOptions) =>
    algorithm === "sha256" ? idle : realCreateHash(algorithm, options)) as typeof crypto.createHash;
  // The download's module imports createHash by name: this makes that binding the one above.
  syncBuiltinESMExports();
}
// Imported after the switch above, so that it binds the createHash the run asked for.
const { downloadResumably } = await import(
  "../../../packages/node/src/blobs/resumable-download.ts"
);
const statusKb = (field: string) =>
  Number(new RegExp(`${field}:\\s+(\\d+)`).exec(readFileSync("/proc/self/status", "utf8"))?.[1]);
// A running node has its HTTP clients loaded (it fetches all day; fetch loads undici on
// first use): so has this one.
await fetch(url, { method: "HEAD" }).then((response) => response.arrayBuffer());
const beforeKb = statusKb("VmRSS");
const blobs = new BlobStore(storeDirectory);
const start = performance.now();
const cpuBefore = process.cpuUsage();
const stored = await blobs.download(sha256, (partial) =>
  downloadResumably(new URL(url), partial, sha256, { size: Number(size) }),
);
const seconds = (performance.now() - start) / 1000;
const cpu = process.cpuUsage(cpuBefore);
// VmHWM is this process's own peak; getrusage's maxRSS would include the parent's at fork.
process.stdout.write(
  `${JSON.stringify({ seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, size: stored.size, rssBeforeMb: beforeKb / 1024, peakRssMb: statusKb("VmHWM") / 1024 })}\n`,
);
