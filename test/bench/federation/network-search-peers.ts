/**
 * The nodes a network search benchmark searches, in a process of their own, as they would
 * be on their own machines: the searching node's process is then not also the one doing
 * their work. Started by network-search.bench.ts with NODES and COURSES; prints one line
 * of JSON (each node's URL and institution, and each published course as the searcher's
 * catalog would keep it), then serves until its standard input closes.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { publishCourse } from "../../../packages/node/src/courses/publish-service.ts";
import { domainServices } from "../../../packages/node/src/federation/domain-services.ts";
import { contextOf, institutionOf, writeOnePageBackup } from "../../support/federation-steps.ts";
import { startTestNode } from "../../support/test-node.ts";

/** Words the titles are made of: a search for one of them matches about one course in four. */
export const SUBJECTS = [
  "algebra",
  "geometry",
  "chemistry",
  "history",
  "biology",
  "physics",
  "music",
];
const LEVELS = ["introduction", "advanced", "revision", "workshop"];

/** A published course as the searcher's catalog keeps it. */
export interface PeerCourse {
  readonly objectUri: string;
  readonly actorUri: string;
  readonly title: string;
  readonly summary: string | null;
  readonly tags: string[];
  readonly archiveUrl: string;
  readonly manifestJws: string;
}

export interface Peers {
  readonly nodes: Array<{ readonly url: string; readonly institution: string }>;
  readonly courses: PeerCourse[];
}

if (import.meta.main) {
  const nodeCount = Number(process.env.NODES ?? 20);
  const coursesPerNode = Number(process.env.COURSES ?? 25);
  const directory = mkdtempSync(join(tmpdir(), "coursefed-bench-network-peers-"));
  const backup = await writeOnePageBackup(directory);
  // Searches from one server, many a minute: the per-server limit is not what is measured.
  const nodes = await Promise.all(
    Array.from({ length: nodeCount }, (_, index) =>
      startTestNode(`node${index}`, `Node ${index}`, { networkSearchRequestsPerMinute: 100_000 }),
    ),
  );
  const courses: PeerCourse[] = [];
  await Promise.all(
    nodes.map(async (node, index) => {
      const services = domainServices(contextOf(node));
      for (let course = 0; course < coursesPerNode; course++) {
        const subject = SUBJECTS[(index + course) % SUBJECTS.length] as string;
        const level = LEVELS[course % LEVELS.length] as string;
        const published = await publishCourse(services, node.node.institution, backup, {
          title: `${subject} ${level} ${index}-${course}`,
          summary: `<p>A ${level} course of ${subject}, from node ${index}.</p>`,
          tags: [subject],
        });
        courses.push({
          objectUri: new URL(`/courses/${published.course.id}`, node.url).href,
          actorUri: institutionOf(node),
          title: published.course.title,
          summary: published.course.summary,
          tags: published.course.tags,
          archiveUrl: new URL(`/blobs/${published.revision.sha256}`, node.url).href,
          manifestJws: published.revision.manifest,
        });
      }
    }),
  );
  const peers: Peers = {
    nodes: nodes.map((node) => ({ url: node.url.href, institution: institutionOf(node) })),
    courses,
  };
  process.stdout.write(`${JSON.stringify(peers)}\n`);
  process.stdin.resume();
  await new Promise((resolve) => process.stdin.once("end", resolve));
  await Promise.all(nodes.map((node) => node.stop()));
  rmSync(directory, { recursive: true, force: true });
  process.exit(0);
}
