import { type BackupDiff, inspectBackup } from "@coursefed/mbz";
import { CliDriver, countActivities } from "@coursefed/moodle";
import { afterAll, beforeAll, expect, it } from "vitest";
import { publishCourse } from "../../packages/node/src/courses/publish-service.ts";
import { domainServices } from "../../packages/node/src/federation/domain-services.ts";
import { publishFromMoodle } from "../../packages/node/src/restores/publish-from-moodle.ts";
import type { RestoreJob } from "../../packages/node/src/restores/restore-repository.ts";
import { requestRestore } from "../../packages/node/src/restores/restore-service.ts";
import { FINISHED_RESTORE_STATES } from "../../packages/node/src/vocabulary/restore-job-states.ts";
import { eventually } from "../support/eventually.ts";
import { contextOf, followAndApprove, institutionOf } from "../support/federation-steps.ts";
import { describeOnEachMoodle } from "../support/moodle-site.ts";
import { restorePerson } from "../support/restore-person.ts";
import { fixture, haveFixtures } from "../support/shared-fixtures.ts";
import { startTestNode, type TestNode } from "../support/test-node.ts";
import { courseModules, createCategory, queryMoodle } from "./moodle-database.ts";

/** Waits for a job to end, whatever its ending. */
async function finished(peer: TestNode, jobId: string): Promise<RestoreJob> {
  return await eventually(async () => {
    const job = await peer.node.services.restores.job(jobId);
    return job && FINISHED_RESTORE_STATES.has(job.state) ? job : undefined;
  }, 120_000);
}

describeOnEachMoodle(
  "publish from Moodle, follow, auto-restore and update in place",
  (live) => {
    let publisher: TestNode;
    let follower: TestNode;
    let sourceCourse: number;
    let copiesCategory: number;

    beforeAll(async () => {
      [publisher, follower] = await Promise.all([
        startTestNode("univ", "University"),
        startTestNode("school", "School"),
      ]);
      await followAndApprove(follower, publisher);
      for (const peer of [publisher, follower]) {
        await peer.node.services.moodleTargets.add({
          name: "campus",
          driver: "cli",
          url: live.wwwroot,
          moodleDir: live.moodleDir,
        });
      }
      // The course the publisher's teachers made: a real backup restored into Moodle.
      const original = fixture("m324-tgz-course-files-scorm-nousers.mbz");
      const restored = await new CliDriver({
        moodleDir: live.moodleDir,
        timeoutMs: 120_000,
      }).restore({
        archivePath: original,
        destination: { kind: "new-course", categoryId: 1 },
        expectedActivities: countActivities((await inspectBackup(original)).activities),
      });
      sourceCourse = restored.courseId;
      copiesCategory = await createCategory(live, `copies ${Date.now()}`);
    }, 180_000);
    afterAll(async () => {
      await Promise.all([publisher, follower].map((peer) => peer?.stop()));
    });

    let objectUri: string;
    let copy: number;

    it("restores a course published from Moodle into the follower's Moodle, by rule", async () => {
      const target = await follower.node.services.moodleTargets.byName("campus");
      await follower.node.services.restores.addRule({
        actorUri: institutionOf(publisher),
        tag: null,
        on: "both",
        targetId: target?.id as number,
        categoryId: copiesCategory,
        mode: "update-in-place",
        createdBy: "test",
      });
      const published = await publishFromMoodle(
        domainServices(contextOf(publisher)),
        publisher.node.institution,
        { targetName: "campus", moodleCourseId: sourceCourse },
        { title: "Files and SCORM", tags: ["scorm"] },
      );
      expect(published.report.personalData.verdict).toBe("clean");
      objectUri = new URL(`/courses/${published.course.id}`, publisher.url).href;

      const job = await eventually(async () =>
        (await follower.node.services.restores.jobs({ limit: 10, offset: 0 })).find(
          (candidate) => candidate.objectUri === objectUri,
        ),
      );
      const done = await finished(follower, job.id);
      expect(done).toMatchObject({
        state: "succeeded",
        revision: 1,
        requestedBy: expect.stringMatching(/^rule /),
      });
      copy = done.moodleCourseId as number;
      const [[category] = []] = await queryMoodle(
        live,
        `SELECT category FROM mdl_course WHERE id = ${copy}`,
      );
      expect(Number(category)).toBe(copiesCategory);
      expect(await courseModules(live, copy)).toEqual(await courseModules(live, sourceCourse));
      expect(
        await follower.node.services.restores.lineageOf(target?.id as number, copy),
      ).toMatchObject({
        objectUri,
        revision: 1,
      });
    });

    it("updates the restored copy in place when the publisher shares a new revision", async () => {
      // The teacher adds a glossary to the course in Moodle and shares it again.
      const glossary = fixture("m26dev-zip-course-glossary-nousers.mbz");
      await new CliDriver({ moodleDir: live.moodleDir, timeoutMs: 120_000 }).restore({
        archivePath: glossary,
        destination: { kind: "existing-course", courseId: sourceCourse, mode: "merge" },
        expectedActivities: { glossary: 1 },
      });
      const revised = await publishFromMoodle(
        domainServices(contextOf(publisher)),
        publisher.node.institution,
        { targetName: "campus", moodleCourseId: sourceCourse },
        { title: "Files, SCORM and a glossary", tags: ["scorm"] },
      );
      expect(revised.revision.revision).toBe(2);
      expect(new URL(`/courses/${revised.course.id}`, publisher.url).href).toBe(objectUri);

      const job = await eventually(async () =>
        (await follower.node.services.restores.jobs({ limit: 10, offset: 0 })).find(
          (candidate) => candidate.objectUri === objectUri && candidate.revision === 2,
        ),
      );
      const done = await finished(follower, job.id);
      expect(done).toMatchObject({ state: "succeeded", moodleCourseId: copy });
      expect(await courseModules(live, copy)).toEqual(await courseModules(live, sourceCourse));
      expect((await courseModules(live, copy)).glossary).toBe(1);
      // The rule's job says what its update brought, as a person's preview would have.
      expect(done.changes).toMatchObject({ from: 1, to: 2, unavailable: null });
      const { diff } = done.changes as { diff: BackupDiff };
      expect(diff.activities.added.map((activity) => activity.module)).toContain("glossary");
    });

    it("names the source when the follower shares its copy again", async () => {
      const reshared = await publishFromMoodle(
        domainServices(contextOf(follower)),
        follower.node.institution,
        { targetName: "campus", moodleCourseId: copy },
        { title: "Our amended copy" },
      );
      const manifest = JSON.parse(
        Buffer.from(reshared.revision.manifest.split(".")[1] as string, "base64url").toString(),
      );
      expect(manifest.derivedFrom).toEqual({ object: objectUri, revision: 2 });
    });

    it("gives each teacher importing the revision the rule restored, into its category, a Moodle course of her own", async () => {
      const services = follower.node.services;
      const target = await services.moodleTargets.byName("campus");
      await services.moodleTargets.setTeacherCategories(target as NonNullable<typeof target>, [
        copiesCategory,
      ]);
      const teacher = async (handle: string) =>
        restorePerson(follower, {
          teacherActorId: (await services.actors.createTeacher(handle, handle)).id,
          name: `teacher ${handle}`,
        });
      const ask = (person: ReturnType<typeof restorePerson>) =>
        requestRestore(services, {
          objectUri,
          revision: 1,
          targetName: "campus",
          destination: { kind: "new-course", categoryId: copiesCategory },
          requestedBy: person.auditActor.name,
          person,
        });
      const [grace, hedy] = [await teacher("grace"), await teacher("hedy")];
      const [graces, hedys] = [await ask(grace), await ask(hedy)];
      const rules = (await services.restores.jobs({ limit: 100, offset: 0 })).filter(
        (job) => job.objectUri === objectUri && job.revision === 1 && job.ruleId !== null,
      );
      expect(rules).toHaveLength(1);
      expect(new Set([graces.id, hedys.id, rules[0]?.id]).size).toBe(3);
      expect((await ask(grace)).id).toBe(graces.id);
      const done = [await finished(follower, graces.id), await finished(follower, hedys.id)];
      expect(done.map((job) => [job.state, job.requestedBy])).toEqual([
        ["succeeded", "teacher grace"],
        ["succeeded", "teacher hedy"],
      ]);
      const courses = done.map((job) => job.moodleCourseId as number);
      expect(new Set([...courses, copy]).size).toBe(3);
      const rows = await queryMoodle(
        live,
        `SELECT category FROM mdl_course WHERE id IN (${courses.join(", ")})`,
      );
      expect(rows.map(([category]) => Number(category))).toEqual([copiesCategory, copiesCategory]);
    });

    it("refuses a course needing a plugin the site lacks, and restores it on override", async () => {
      const published = await publishCourse(
        domainServices(contextOf(publisher)),
        publisher.node.institution,
        fixture("m44beta-tgz-course-surveypro-nousers.mbz"),
        { title: "Surveys" },
      );
      const object = new URL(`/courses/${published.course.id}`, publisher.url).href;
      await eventually(() => follower.node.services.catalog.catalogEntry(object));
      const destination = { kind: "new-course", categoryId: copiesCategory } as const;
      const refused = await finished(
        follower,
        (
          await requestRestore(follower.node.services, {
            objectUri: object,
            targetName: "campus",
            destination,
            requestedBy: "teacher",
            person: restorePerson(follower),
          })
        ).id,
      );
      expect(refused.state).toBe("refused");
      expect(refused.errorMessage).toContain("mod_surveypro");

      const overridden = await finished(
        follower,
        (
          await requestRestore(follower.node.services, {
            objectUri: object,
            targetName: "campus",
            destination,
            requestedBy: "admin",
            override: true,
            person: restorePerson(follower),
          })
        ).id,
      );
      // The same job, asked again with the override: Moodle's outcome is reported as it is.
      expect(overridden).toMatchObject({
        id: refused.id,
        state: "succeeded",
        overriddenBy: "admin",
      });
      expect(overridden.problems).toContainEqual(
        expect.objectContaining({ kind: "missing-activities", activities: { surveypro: 20 } }),
      );
    });
  },
  { when: haveFixtures() },
);
