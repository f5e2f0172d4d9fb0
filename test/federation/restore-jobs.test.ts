import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { grantCourse } from "../../packages/node/src/moodle-targets/teacher-permissions.ts";
import { applyRestoreRules } from "../../packages/node/src/restores/auto-restore.ts";
import {
  type RestoreError,
  type RestoreRequestCommon,
  requestRestore,
} from "../../packages/node/src/restores/restore-service.ts";
import { eventually } from "../support/eventually.ts";
import { followAndApprove, institutionOf, publishToFollower } from "../support/federation-steps.ts";
import { restorePerson } from "../support/restore-person.ts";
import { fixture, haveFixtures } from "../support/shared-fixtures.ts";
import { freePort, startTestNode, type TestNode } from "../support/test-node.ts";

let publisher: TestNode;
let follower: TestNode;

describe.runIf(haveFixtures())("restore jobs, whatever the Moodle site does", () => {
  let objectUri: string;

  beforeAll(async () => {
    [publisher, follower] = await Promise.all([startTestNode("univ"), startTestNode("school")]);
    await followAndApprove(follower, publisher);
    objectUri = await publishToFollower(
      publisher,
      follower,
      fixture("m26dev-zip-course-glossary-nousers.mbz"),
      { title: "Glossary" },
    );
    // A site that is down: nothing listens on its port.
    await follower.node.services.moodleTargets.add({
      name: "down",
      driver: "ws",
      url: `http://127.0.0.1:${await freePort()}`,
      token: "t",
      timeoutMs: 5000,
    });
  });
  afterAll(async () => {
    await Promise.all([publisher, follower].map((peer) => peer?.stop()));
  });

  it("gives back the same job for the same revision, target and destination", async () => {
    const ask = () =>
      requestRestore(follower.node.services, {
        objectUri,
        targetName: "down",
        destination: { kind: "new-course", categoryId: 3 },
        requestedBy: "teacher",
        person: restorePerson(follower),
      });
    const first = await ask();
    expect((await ask()).id).toBe(first.id);
    const elsewhere = await requestRestore(follower.node.services, {
      objectUri,
      targetName: "down",
      destination: { kind: "existing-course", courseId: 7, mode: "replace" },
      requestedBy: "teacher",
      confirmed: true,
      person: restorePerson(follower),
    });
    expect(elsewhere.id).not.toBe(first.id);
  });

  it("keeps a job whose site is unreachable, to try again later, with the reason", async () => {
    const job = await requestRestore(follower.node.services, {
      objectUri,
      targetName: "down",
      requestedBy: "teacher",
      person: restorePerson(follower),
    });
    const retrying = await eventually(async () => {
      const held = await follower.node.services.restores.job(job.id);
      return held?.attempts === 1 && held.state === "queued" ? held : undefined;
    });
    expect(retrying.errorCode).toBe("unreachable");
    expect(retrying.errorMessage).toContain("127.0.0.1");
    // The archive was fetched and verified before the site was tried.
    const sha256 = (await follower.node.services.catalog.catalogEntry(objectUri))?.sha256 as string;
    expect(await follower.node.services.blobs.has(sha256)).toBeDefined();
    const depth = await follower.node.services.restoreQueue.getDepth?.();
    expect(depth?.delayed).toBeGreaterThanOrEqual(1);
  });

  it("refuses what cannot be restored, naming it", async () => {
    const attempt = (request: Partial<RestoreRequestCommon>) =>
      requestRestore(follower.node.services, {
        objectUri,
        targetName: "down",
        requestedBy: "teacher",
        person: restorePerson(follower),
        ...request,
      }).catch((error: unknown) => error as Error & { code: string });
    expect(await attempt({ objectUri: "https://elsewhere.example/courses/1" })).toMatchObject({
      code: "NOT_IN_CATALOG",
    });
    expect(await attempt({ revision: 9 })).toMatchObject({ code: "NO_SUCH_REVISION" });
    expect(await attempt({ targetName: "nowhere" })).toMatchObject({
      code: "NO_SUCH_TARGET",
      message: expect.stringContaining("nowhere"),
    });
  });
  describe("the Moodle boundary for people", () => {
    let teacherId: number;
    const teacher = () =>
      restorePerson(follower, { teacherActorId: teacherId, name: "teacher grace" });
    const ask = (request: Partial<RestoreRequestCommon>, person = teacher()) =>
      requestRestore(follower.node.services, {
        objectUri,
        targetName: "gated",
        requestedBy: person.auditActor.name,
        person,
        ...request,
      });
    /** The refusal of a request that must be refused. */
    const refusal = (request: Partial<RestoreRequestCommon>, person = teacher()) =>
      ask(request, person).then(
        (job) => {
          throw new Error(`expected a refusal, got job ${job.id}`);
        },
        (error: unknown) => error as RestoreError,
      );
    /**
     * The site is down: the first attempt ends queued again, with why. Only then may a test
     * write the outcome it needs, which the attempt would otherwise overwrite as it ends.
     */
    const firstAttemptOver = (jobId: string) =>
      eventually(async () => {
        const held = await follower.node.services.restores.job(jobId);
        return held?.attempts === 1 && held.state === "queued" && held.errorMessage !== null;
      });
    const auditActions = async () =>
      (await restorePerson(follower).auditLog.page({ limit: 200, offset: 0 })).entries
        .filter((entry) => entry.target === "gated")
        .map((entry) => `${entry.byName} ${entry.action}`);

    beforeAll(async () => {
      const services = follower.node.services;
      teacherId = (await services.actors.createTeacher("grace", "Grace Hopper")).id;
      const gated = await services.moodleTargets.add({
        name: "gated",
        driver: "ws",
        url: `http://127.0.0.1:${await freePort()}`,
        token: "t",
        timeoutMs: 5000,
      });
      await services.moodleTargets.setTeacherCategories(gated, [5]);
    });

    it("refuses a teacher on a target no category of which is open to teachers", async () => {
      const refused = await refusal({
        targetName: "down",
        destination: { kind: "new-course", categoryId: 5 },
      });
      expect(refused).toMatchObject({ code: "NOT_PERMITTED" });
      expect(refused.message).toContain("Teachers may not restore into down");
      expect(refused.message).toContain("Ask an admin");
    });

    it("lets a teacher restore new courses only into the categories opened to teachers", async () => {
      const elsewhere = await refusal({ destination: { kind: "new-course", categoryId: 6 } });
      expect(elsewhere).toMatchObject({ code: "NOT_PERMITTED" });
      expect(elsewhere.message).toContain("category 6 of gated");
      expect(elsewhere.message).toContain("into category 5");
      // The target's default category (1) is not open either.
      expect(await refusal({})).toMatchObject({ code: "NOT_PERMITTED" });
      const job = await ask({ destination: { kind: "new-course", categoryId: 5 } });
      expect(job).toMatchObject({ state: "queued", requestedByActorId: teacherId });
    });

    it("lets a teacher into an existing course only if their restore made it or an admin granted it", async () => {
      const into = (courseId: number) => ({
        destination: { kind: "existing-course", courseId, mode: "replace" } as const,
        confirmed: true,
      });
      const notTheirs = await refusal(into(41));
      expect(notTheirs).toMatchObject({ code: "NOT_PERMITTED" });
      expect(notTheirs.message).toContain("course 41 is neither");

      // Their own restore made course 41 (Moodle is not there: the outcome is recorded as it would be).
      const made = await ask({ destination: { kind: "new-course", categoryId: 5 }, revision: 1 });
      const services = follower.node.services;
      await firstAttemptOver(made.id);
      await services.restores.update(made.id, { state: "succeeded", moodleCourseId: 41 });
      expect(await ask(into(41))).toMatchObject({
        state: "queued",
        destinationKey: "course:41:replace",
      });
      // Another teacher's course stays out of reach, until an admin grants it.
      const other = restorePerson(follower, {
        teacherActorId: (await services.actors.createTeacher("alan", "Alan Turing")).id,
        name: "teacher alan",
      });
      expect(await refusal(into(41), other)).toMatchObject({ code: "NOT_PERMITTED" });
      await grantCourse(services, restorePerson(follower), "gated", 41, "alan");
      expect(
        await ask(
          { ...into(41), destination: { kind: "existing-course", courseId: 41, mode: "merge" } },
          other,
        ),
      ).toMatchObject({
        state: "queued",
      });
    });

    it("asks whoever restores into an existing course to confirm, naming the course", async () => {
      const admin = restorePerson(follower);
      const unconfirmed = await refusal(
        { destination: { kind: "existing-course", courseId: 77, mode: "replace" } },
        admin,
      );
      expect(unconfirmed).toMatchObject({ code: "NEEDS_CONFIRMATION" });
      expect(unconfirmed.message).toContain("Moodle course 77 on gated deletes its contents");
      // A course this node restored is named after the catalog title it was given.
      const services = follower.node.services;
      const made = await ask({ destination: { kind: "new-course", categoryId: 9 } }, admin);
      await firstAttemptOver(made.id);
      const done = await services.restores.update(made.id, {
        state: "succeeded",
        moodleCourseId: 78,
      });
      if (done) await services.restores.recordLineage(done, 78);
      const named = await refusal(
        { destination: { kind: "existing-course", courseId: 78, mode: "merge" } },
        admin,
      );
      expect(named.message).toContain('Moodle course 78 ("Glossary") on gated adds');
      expect(
        await ask(
          {
            destination: { kind: "existing-course", courseId: 78, mode: "merge" },
            confirmed: true,
          },
          admin,
        ),
      ).toMatchObject({ state: "queued" });
    });

    it("lets only an admin override the compatibility check", async () => {
      const refused = await refusal({
        destination: { kind: "new-course", categoryId: 5 },
        override: true,
      });
      expect(refused).toMatchObject({ code: "OVERRIDE_NOT_PERMITTED" });
      expect(refused.message).toContain("Only an admin may override");
      const overridden = await ask(
        { destination: { kind: "new-course", categoryId: 12 }, override: true },
        restorePerson(follower),
      );
      expect(overridden).toMatchObject({ state: "queued", overriddenBy: "test admin" });
    });

    it("keeps in the audit log what people asked, were refused, overrode and confirmed", async () => {
      const actions = await auditActions();
      expect(actions).toEqual(
        expect.arrayContaining([
          "teacher grace restore.refuse",
          "teacher grace restore.request",
          "teacher grace restore.confirm",
          "teacher alan restore.refuse",
          "teacher alan restore.confirm",
          "test admin restore.override",
          "test admin restore.confirm",
          "test admin target.grant",
        ]),
      );
      const { entries } = await restorePerson(follower).auditLog.page({ limit: 200, offset: 0 });
      expect(entries.find((entry) => entry.action === "restore.refuse")?.details).toMatchObject({
        object: objectUri,
        reason: expect.stringMatching(/not_permitted/),
      });
    });

    it("keeps the rules' new course apart from a teacher's, and one for rules matching alike", async () => {
      const services = follower.node.services;
      const gated = await services.moodleTargets.byName("gated");
      const rules = await Promise.all(
        ["first", "second"].map((createdBy) =>
          services.restores.addRule({
            actorUri: null,
            tag: "twice",
            on: "both",
            targetId: gated?.id as number,
            categoryId: 5,
            mode: "new-course",
            createdBy,
          }),
        ),
      );
      const arrived = {
        objectUri,
        revision: 1,
        actorUri: "https://elsewhere.example/actors/nobody",
        tags: ["twice"],
        isNew: true,
      };
      expect(await applyRestoreRules(services, arrived)).toBe(2);
      const ruleJobs = (await services.restores.jobs({ limit: 200, offset: 0 })).filter(
        (job) => job.ruleId !== null && rules.some((rule) => rule.id === job.ruleId),
      );
      expect(ruleJobs).toHaveLength(1);
      expect(ruleJobs[0]).toMatchObject({ destinationKey: "category:5", requesterKey: "rules" });
      // A teacher's new course there is hers: the rules' job is not handed to her.
      const hers = await ask({ destination: { kind: "new-course", categoryId: 5 } });
      expect(hers.id).not.toBe(ruleJobs[0]?.id);
      expect(hers).toMatchObject({ requestedBy: "teacher grace", ruleId: null });
      for (const rule of rules) await services.restores.removeRule(rule.id);
    });

    it("still runs the rules admins made, into existing courses too, without a confirmation", async () => {
      const services = follower.node.services;
      const gated = await services.moodleTargets.byName("gated");
      const rule = await services.restores.addRule({
        actorUri: institutionOf(publisher),
        tag: null,
        on: "both",
        targetId: gated?.id as number,
        categoryId: 30,
        mode: "update-in-place",
        createdBy: "test admin",
      });
      const arrived = {
        objectUri,
        revision: 1,
        actorUri: institutionOf(publisher),
        tags: [],
        isNew: false,
      };
      // The course this object was restored into on gated (78, above) is replaced in place.
      expect(await applyRestoreRules(services, arrived)).toBe(1);
      const jobs = await services.restores.jobs({ limit: 100, offset: 0 });
      expect(jobs.find((job) => job.ruleId === rule.id)).toMatchObject({
        destinationKey: "course:78:replace",
        requestedByActorId: null,
      });
    });
  });
});
