import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LocalActorRepository } from "../actors/local-actors.ts";
import type { NodeDatabase } from "../db/database.ts";
import { type TemporaryDatabase, temporaryDatabase } from "../db/test-database.ts";
import { type MoodleTarget, MoodleTargetRepository } from "./target-repository.ts";

describe("MoodleTargetRepository: what teachers may do on a target", () => {
  let database: TemporaryDatabase;
  let db: NodeDatabase;
  let targets: MoodleTargetRepository;
  let target: MoodleTarget;
  let ada: number;
  let grace: number;

  beforeAll(async () => {
    database = await temporaryDatabase();
    db = await database.open();
    targets = new MoodleTargetRepository(db);
    target = await targets.add({
      name: "lyon-sciences",
      driver: "ws",
      url: "https://moodle.lyon.example",
      token: "token",
    });
    const actors = new LocalActorRepository(db);
    ada = (await actors.createTeacher("ada", "Ada Lovelace")).id;
    grace = (await actors.createTeacher("grace", "Grace Hopper")).id;
  });

  afterAll(async () => {
    await db.close();
    await database.remove();
  });

  it("opens no category to teachers until an admin does, then keeps them sorted once each", async () => {
    expect(target.teacherCategoryIds).toEqual([]);
    const saved = await targets.setTeacherCategories(target, [5, 3, 5]);
    expect(saved.teacherCategoryIds).toEqual([3, 5]);
    expect((await targets.byName("lyon-sciences"))?.teacherCategoryIds).toEqual([3, 5]);
    expect((await targets.setTeacherCategories(target, [])).teacherCategoryIds).toEqual([]);
  });

  it("grants a course to one teacher once, lists and takes back grants", async () => {
    expect(await targets.grant(target, 12, ada, "admin")).toBe(true);
    expect(await targets.grant(target, 12, ada, "admin")).toBe(false);
    expect(await targets.grant(target, 9, grace, "admin")).toBe(true);
    expect((await targets.grants(target)).map((g) => [g.moodleCourseId, g.actorId])).toEqual([
      [9, grace],
      [12, ada],
    ]);
    expect((await targets.grants(target, ada)).map((g) => g.moodleCourseId)).toEqual([12]);
    expect(await targets.revoke(target, 12, grace)).toBe(false);
    expect(await targets.revoke(target, 12, ada)).toBe(true);
    expect(await targets.grants(target, ada)).toEqual([]);
  });

  it("keeps the node's address as the site reaches it: an http(s) origin, no credentials", async () => {
    expect(target.nodeUrl).toBeNull();
    const inside = await targets.add({
      name: "inside",
      driver: "ws",
      url: "https://moodle.inside.example",
      token: "token",
      nodeUrl: "http://coursefed.internal:8080/",
    });
    expect(inside.nodeUrl).toBe("http://coursefed.internal:8080");
    expect((await targets.setNodeUrl(inside, "HTTPS://Node.Example")).nodeUrl).toBe(
      "https://node.example",
    );
    expect((await targets.setNodeUrl(inside, null)).nodeUrl).toBeNull();
    const refusals: Array<[string, string]> = [
      ["ftp://node.example", "is not an http(s) address of this node"],
      ["node.example", "is not an http(s) address of this node"],
      ["http://admin:secret@node.example", "must not hold a user name or password"],
      ["http://node.example/coursefed/", "has a path, query or fragment"],
      ["http://node.example/?site=1", "has a path, query or fragment"],
    ];
    for (const [nodeUrl, message] of refusals) {
      await expect(targets.setNodeUrl(inside, nodeUrl)).rejects.toThrow(message);
      await expect(
        targets.add({ name: "other", driver: "ws", url: "https://m.example", nodeUrl }),
      ).rejects.toMatchObject({ code: "INVALID", message: expect.stringContaining(message) });
    }
    expect((await targets.byName("inside"))?.nodeUrl).toBeNull();
    expect(await targets.byName("other")).toBeUndefined();
  });

  it("forgets a target's grants with the target", async () => {
    await targets.grant(target, 30, grace, "admin");
    await targets.remove("lyon-sciences");
    expect(await db.select().from(db.tables.moodleCourseGrants)).toEqual([]);
  });
});
