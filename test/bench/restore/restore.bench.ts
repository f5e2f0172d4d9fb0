/**
 * The node's own overhead in a restore job, against Moodle's own restore time measured in
 * the same jobs: a follower restores a course it received (download from the publisher,
 * digest check, compatibility check against a fresh probe, queueing, records) into a real
 * Moodle through the cli driver. Prints the overhead as a fraction of the whole job.
 *
 * Needs the Moodle test site (shared/moodle; installed or reused as the tests do) and
 * the real backups. RESTORES (default 5) sets how many jobs are timed per fixture.
 * `--quick` (or QUICK=1): one job of the smallest fixture, a smoke run for CI.
 * `npm run bench:restore`.
 */
import { eq } from "drizzle-orm";
import { publishCourse } from "../../../packages/node/src/courses/publish-service.ts";
import { domainServices } from "../../../packages/node/src/federation/domain-services.ts";
import type { RestoreJob } from "../../../packages/node/src/restores/restore-repository.ts";
import { requestRestore } from "../../../packages/node/src/restores/restore-service.ts";
import { FINISHED_RESTORE_STATES } from "../../../packages/node/src/vocabulary/restore-job-states.ts";
import { eventually } from "../../support/eventually.ts";
import { contextOf, followAndApprove } from "../../support/federation-steps.ts";
import { prepareMoodleSite } from "../../support/moodle-site.ts";
import { restorePerson } from "../../support/restore-person.ts";
import { fixture } from "../../support/shared-fixtures.ts";
import { startTestNode } from "../../support/test-node.ts";

const quick = process.argv.includes("--quick") || process.env.QUICK === "1";
const restores = Number(process.env.RESTORES ?? (quick ? 1 : 5));
const fixtures = [
  "m26dev-zip-course-glossary-nousers.mbz",
  "m324-tgz-course-files-scorm-nousers.mbz",
  "m232-zip-course-stackdemo-nousers.mbz",
].slice(0, quick ? 1 : undefined);

const site = await prepareMoodleSite();
if (!site.available) {
  process.stderr.write(`${site.reason}\n`);
  process.exit(2);
}
const publisher = await startTestNode("univ");
const follower = await startTestNode("school");
await followAndApprove(follower, publisher);
await follower.node.services.moodleTargets.add({
  name: "bench",
  driver: "cli",
  url: site.wwwroot,
  moodleDir: site.moodleDir,
});

const lines: string[] = [];
let allJobs = 0;
let allMoodle = 0;
for (const name of fixtures) {
  const published = await publishCourse(
    domainServices(contextOf(publisher)),
    publisher.node.institution,
    fixture(name),
    { title: name },
  );
  const objectUri = new URL(`/courses/${published.course.id}`, publisher.url).href;
  await eventually(() => follower.node.services.catalog.catalogEntry(objectUri));
  let jobTotal = 0;
  let moodleTotal = 0;
  for (let round = 0; round < restores; round++) {
    // A new course each round: the finished job is deleted below, as jobs are idempotent.
    const started = performance.now();
    const job = await requestRestore(follower.node.services, {
      objectUri,
      targetName: "bench",
      destination: { kind: "new-course", categoryId: 1 },
      requestedBy: `bench ${round}`,
      // qtype_stack is missing on a vanilla site: restore anyway, as an admin would.
      override: true,
      person: restorePerson(follower),
    });
    const done: RestoreJob = await eventually(async () => {
      const held = await follower.node.services.restores.job(job.id);
      return held && FINISHED_RESTORE_STATES.has(held.state) ? held : undefined;
    }, 300_000);
    if (done.state !== "succeeded") throw new Error(`${name}: ${done.state} ${done.errorMessage}`);
    jobTotal += performance.now() - started;
    moodleTotal += done.moodleMs ?? 0;
    const { db } = follower.node;
    await db.delete(db.tables.restoreJobs).where(eq(db.tables.restoreJobs.id, done.id));
  }
  allJobs += jobTotal;
  allMoodle += moodleTotal;
  lines.push(
    `${name}: job ${(jobTotal / restores).toFixed(0)} ms, Moodle's restore ${(moodleTotal / restores).toFixed(0)} ms, node overhead ${(((jobTotal - moodleTotal) / jobTotal) * 100).toFixed(1)}% of the job`,
  );
}
lines.push(
  `all: node overhead ${(((allJobs - allMoodle) / allJobs) * 100).toFixed(1)}% of ${(allJobs / 1000).toFixed(1)} s of restore jobs (${restores} per fixture)`,
);
await Promise.all([publisher.stop(), follower.stop()]);
process.stdout.write(`${lines.join("\n")}\n`);
