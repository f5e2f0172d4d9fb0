import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LocalActorRepository } from "../actors/local-actors.ts";
import type { NodeDatabase } from "../db/database.ts";
import { type TemporaryDatabase, temporaryDatabase } from "../db/test-database.ts";
import { FollowRepository } from "./follow-repository.ts";

describe("FollowRepository: whom a catch-up reads, and in what order", () => {
  let database: TemporaryDatabase;
  let db: NodeDatabase;
  let follows: FollowRepository;
  let institution: number;
  let ada: number;
  const actor = (name: string) => `https://peer.example/actors/${name}`;

  beforeAll(async () => {
    database = await temporaryDatabase();
    db = await database.open();
    follows = new FollowRepository(db);
    const actors = new LocalActorRepository(db);
    institution = (await actors.ensureInstitution("univ", "University")).id;
    ada = (await actors.createTeacher("ada", "Ada Lovelace")).id;
    for (const name of ["old", "fresh", "late", "pending", "shared"]) {
      await follows.rememberActor({
        uri: actor(name),
        handle: null,
        type: "Person",
        name,
        inbox: `${actor(name)}/inbox`,
        sharedInbox: null,
      });
      await follows.startFollowing(institution, actor(name), `${actor(name)}#by-institution`);
      if (name !== "pending") await follows.acceptFollowing(institution, actor(name));
    }
    // Two local actors follow "shared": it is read once.
    await follows.startFollowing(ada, actor("shared"), `${actor("shared")}#by-ada`);
    await follows.acceptFollowing(ada, actor("shared"));
  });

  afterAll(async () => {
    await db.close();
    await database.remove();
  });

  it("lists each accepted follow's actor once, the behind first, then the least recently caught up", async () => {
    const record = (name: string, at: number) =>
      follows.recordCatchUp(actor(name), {
        startedAt: at,
        result: "ok: 0 received, 0 withdrawn, 1 pages",
        caughtUp: true,
        notBefore: null,
      });
    await record("old", 1_000);
    await record("fresh", 3_000);
    await record("shared", 2_000);
    await follows.markBehind(actor("fresh"), 5_000);
    await follows.markBehind(actor("fresh"), 6_000);
    const candidates = await follows.catchUpCandidates();
    expect(candidates.map((candidate) => candidate.actorUri)).toEqual([
      actor("fresh"),
      actor("late"),
      actor("old"),
      actor("shared"),
    ]);
    // Behind since its latest failure.
    expect(candidates[0]).toMatchObject({ behindSince: 6_000, caughtUpAt: 3_000 });
    expect(candidates.find((c) => c.actorUri === actor("shared"))?.result).toBe(
      "ok: 0 received, 0 withdrawn, 1 pages",
    );
    expect((await follows.catchUpCandidates({ behindOnly: true })).map((c) => c.actorUri)).toEqual([
      actor("fresh"),
    ]);
    expect(await follows.catchUpCandidates({ actorUri: actor("pending") })).toEqual([]);
  });

  it("keeps an actor behind when it failed again after the catch-up began, or the catch-up failed; the behind run waits for a new failure", async () => {
    const late = async () => (await follows.catchUpCandidates({ actorUri: actor("late") }))[0];
    const behindRun = async () =>
      (await follows.catchUpCandidates({ behindOnly: true })).map((c) => c.actorUri);
    await follows.markBehind(actor("late"), 10_000);
    // A failure after the catch-up began: still behind, and read again by the behind run.
    await follows.recordCatchUp(actor("late"), {
      startedAt: 9_000,
      result: "ok: 1 received, 0 withdrawn, 1 pages",
      caughtUp: true,
      notBefore: null,
    });
    expect(await late()).toMatchObject({ behindSince: 10_000, caughtUpAt: 9_000 });
    expect(await behindRun()).toContain(actor("late"));
    // A catch-up that failed: still behind, but left to the periodic run, until it fails again.
    await follows.recordCatchUp(actor("late"), {
      startedAt: 12_000,
      result: "failed: https://peer.example/actors/late answered 503",
      caughtUp: false,
      notBefore: 20_000,
    });
    expect(await late()).toMatchObject({
      behindSince: 10_000,
      caughtUpAt: 12_000,
      notBefore: 20_000,
    });
    expect(await behindRun()).not.toContain(actor("late"));
    await follows.markBehind(actor("late"), 14_000);
    expect(await behindRun()).toContain(actor("late"));
    await follows.recordCatchUp(actor("late"), {
      startedAt: 21_000,
      result: "ok: 0 received, 0 withdrawn, 1 pages",
      caughtUp: true,
      notBefore: null,
    });
    expect(await late()).toMatchObject({ behindSince: null, notBefore: null });
    expect(await behindRun()).not.toContain(actor("late"));
  });

  it("keeps when an outbox was last read through, and only a read-through changes it", async () => {
    const readThroughAt = async () =>
      (await follows.catchUpCandidates({ actorUri: actor("old") }))[0]?.readThroughAt;
    const record = (at: number, readThrough?: boolean) =>
      follows.recordCatchUp(actor("old"), {
        startedAt: at,
        result: "ok: 0 received, 0 withdrawn, 1 pages",
        caughtUp: true,
        notBefore: null,
        ...(readThrough === undefined ? {} : { readThrough }),
      });
    expect(await readThroughAt()).toBeNull();
    await record(30_000, true);
    expect(await readThroughAt()).toBe(30_000);
    // Stopped at a page already held: the read-through stays as it was.
    await record(40_000, false);
    await record(50_000);
    expect(await readThroughAt()).toBe(30_000);
  });
});
