import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { NodeDatabase } from "../db/database.ts";
import { type TemporaryDatabase, temporaryDatabase } from "../db/test-database.ts";
import { MoodleTargetRepository } from "../moodle-targets/target-repository.ts";
import { RestoreRepository, type RestoreRequestRecord } from "./restore-repository.ts";

describe("RestoreRepository.request", () => {
  let database: TemporaryDatabase;
  let db: NodeDatabase;
  let restores: RestoreRepository;
  let targetId: number;

  beforeAll(async () => {
    database = await temporaryDatabase();
    db = await database.open();
    restores = new RestoreRepository(db);
    const target = await new MoodleTargetRepository(db).add({
      name: "lyon-sciences",
      driver: "ws",
      url: "https://moodle.lyon.example",
      token: "token",
    });
    targetId = target.id;
  });

  afterAll(async () => {
    await db.close();
    await database.remove();
  });

  function request(objectUri: string, overrides: Partial<RestoreRequestRecord> = {}) {
    return restores.request({
      objectUri,
      revision: 1,
      targetId,
      destination: { kind: "new-course", categoryId: 3 },
      requesterKey: "name:admin",
      requestedBy: "admin",
      ...overrides,
    });
  }

  it("gives the same job when asked twice for the same revision, target and destination", async () => {
    const first = await request("https://univ.example/courses/a");
    const second = await request("https://univ.example/courses/a");
    expect(first.created).toBe(true);
    expect(first.job.state).toBe("queued");
    expect(second).toEqual({ job: first.job, created: false });
  });

  it("makes another job for another revision or destination", async () => {
    const first = await request("https://univ.example/courses/b");
    const revision = await request("https://univ.example/courses/b", { revision: 2 });
    const destination = await request("https://univ.example/courses/b", {
      destination: { kind: "existing-course", courseId: 12, mode: "merge" },
    });
    expect(revision.created).toBe(true);
    expect(destination.created).toBe(true);
    expect(new Set([first.job.id, revision.job.id, destination.job.id]).size).toBe(3);
  });

  it("makes a new course's job per asker, and shares a job into an existing course", async () => {
    const uri = "https://univ.example/courses/two-teachers";
    const ada = await request(uri, { requesterKey: "actor:1", requestedBy: "teacher ada" });
    const grace = await request(uri, { requesterKey: "actor:2", requestedBy: "teacher grace" });
    expect(grace.created).toBe(true);
    expect(grace.job.id).not.toBe(ada.job.id);
    expect(grace.job.requestedBy).toBe("teacher grace");
    expect(await request(uri, { requesterKey: "actor:1" })).toEqual({
      job: ada.job,
      created: false,
    });

    const into = { kind: "existing-course", courseId: 70, mode: "merge" } as const;
    const adaInto = await request(uri, { destination: into, requesterKey: "" });
    const graceInto = await request(uri, {
      destination: into,
      requesterKey: "",
      requestedBy: "teacher grace",
    });
    expect(graceInto).toEqual({ job: adaInto.job, created: false });
  });

  it("queues a failed job again, cleared, with the new override", async () => {
    const { job } = await request("https://univ.example/courses/c");
    await restores.update(job.id, {
      state: "failed",
      attempts: 3,
      errorCode: "MOODLE_FAILED",
      errorMessage: "restore failed",
      startedAt: 1,
      finishedAt: 2,
    });
    const again = await request("https://univ.example/courses/c", {
      requestedBy: "teacher",
      overriddenBy: "admin",
    });
    expect(again.created).toBe(true);
    expect(again.job).toMatchObject({
      id: job.id,
      state: "queued",
      requestedBy: "teacher",
      overriddenBy: "admin",
      attempts: 0,
      problems: [],
      errorCode: null,
      errorMessage: null,
      startedAt: null,
      finishedAt: null,
    });
    expect(await restores.job(job.id)).toEqual(again.job);
  });

  it("makes one job when processes ask for the same restore at the same moment", async () => {
    const others = [await database.open(), await database.open(), await database.open()];
    try {
      const answers = await Promise.all(
        others.map((other) =>
          new RestoreRepository(other).request({
            objectUri: "https://peer.example/courses/raced",
            revision: 1,
            targetId,
            destination: { kind: "new-course", categoryId: 3 },
            requesterKey: "rules",
            requestedBy: "rule 1",
          }),
        ),
      );
      expect(new Set(answers.map((answer) => answer.job.id)).size).toBe(1);
      expect(answers.filter((answer) => answer.created)).toHaveLength(1);
    } finally {
      for (const other of others) await other.close();
    }
  });
});

describe("RestoreRepository.createdBy", () => {
  let database: TemporaryDatabase;
  let db: NodeDatabase;
  let restores: RestoreRepository;
  let targetId: number;

  beforeAll(async () => {
    database = await temporaryDatabase();
    db = await database.open();
    restores = new RestoreRepository(db);
    targetId = (
      await new MoodleTargetRepository(db).add({
        name: "campus",
        driver: "ws",
        url: "https://moodle.campus.example",
        token: "token",
      })
    ).id;
  });

  afterAll(async () => {
    await db.close();
    await database.remove();
  });

  /** A job asked for by actor 7 that ended as `state` in Moodle course `courseId`. */
  async function finished(
    objectUri: string,
    destination: RestoreRequestRecord["destination"],
    state: "succeeded" | "failed",
    courseId: number,
  ) {
    const { job } = await restores.request({
      objectUri,
      revision: 1,
      targetId,
      destination,
      requesterKey: destination.kind === "new-course" ? "actor:7" : "",
      requestedBy: "teacher ada",
      requestedByActorId: 7,
    });
    await restores.update(job.id, { state, moodleCourseId: courseId });
  }

  it("knows the courses an actor's restores made, not those they restored into or that failed", async () => {
    await finished(
      "https://univ.example/courses/a",
      { kind: "new-course", categoryId: 3 },
      "succeeded",
      41,
    );
    await finished(
      "https://univ.example/courses/b",
      { kind: "existing-course", courseId: 42, mode: "replace" },
      "succeeded",
      42,
    );
    await finished(
      "https://univ.example/courses/c",
      { kind: "new-course", categoryId: 3 },
      "failed",
      43,
    );
    expect(await restores.createdBy(targetId, 41, 7)).toBe(true);
    expect(await restores.createdBy(targetId, 41, 8)).toBe(false);
    expect(await restores.createdBy(targetId, 42, 7)).toBe(false);
    expect(await restores.createdBy(targetId, 43, 7)).toBe(false);
    expect(await restores.createdBy(targetId + 1, 41, 7)).toBe(false);
  });
});
