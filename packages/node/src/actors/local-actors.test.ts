import { exportJwk } from "@fedify/fedify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { NodeDatabase } from "../db/database.ts";
import { type TemporaryDatabase, temporaryDatabase } from "../db/test-database.ts";
import { LocalActorRepository } from "./local-actors.ts";

let database: TemporaryDatabase;
const opened: NodeDatabase[] = [];

async function open(): Promise<NodeDatabase> {
  const db = await database.open();
  opened.push(db);
  return db;
}

beforeAll(async () => {
  database = await temporaryDatabase();
});
afterAll(async () => {
  for (const db of opened) await db.close();
  await database.remove();
});

describe("LocalActorRepository", () => {
  it("creates the institution once, even when several processes start together", async () => {
    const starting = await Promise.all([open(), open(), open()]);
    const institutions = await Promise.all(
      starting.map((db) => new LocalActorRepository(db).ensureInstitution("univ", "University")),
    );
    expect(new Set(institutions.map((institution) => institution.id)).size).toBe(1);
    expect(await new LocalActorRepository(await open()).all()).toHaveLength(1);
  });

  it("follows the configured handle and name", async () => {
    const actors = new LocalActorRepository(await open());
    const first = await actors.ensureInstitution("univ", "University");
    const renamed = await actors.ensureInstitution("univ-paris", "Université de Paris");
    expect(renamed.id).toBe(first.id);
    expect(renamed.identifier).toBe("institution");
    expect((await actors.byHandle("univ-paris"))?.name).toBe("Université de Paris");
    expect(await actors.byHandle("univ")).toBeUndefined();
  });

  it("makes RSA and Ed25519 keys once, and finds the same ones after a restart", async () => {
    const before = new LocalActorRepository(await open());
    const institution = await before.ensureInstitution("univ", "University");
    const pairs = await before.keyPairs(institution);
    expect(pairs.map((pair) => pair.publicKey.algorithm.name)).toEqual([
      "RSASSA-PKCS1-v1_5",
      "Ed25519",
    ]);

    const after = new LocalActorRepository(await open());
    const again = await after.keyPairs(await after.ensureInstitution("univ", "University"));
    for (const [index, pair] of pairs.entries()) {
      expect(await exportJwk(again[index]?.publicKey as typeof pair.publicKey)).toEqual(
        await exportJwk(pair.publicKey),
      );
    }
  });
});
