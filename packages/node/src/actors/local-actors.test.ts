import { exportJwk } from "@fedify/fedify";
import { afterAll, describe, expect, it } from "vitest";
import { temporaryDatabase } from "../db/test-database.ts";
import { LocalActorRepository } from "./local-actors.ts";

const database = temporaryDatabase();
afterAll(() => database.remove());

describe("LocalActorRepository", () => {
  it("creates the institution once and follows the configured handle and name", () => {
    const actors = new LocalActorRepository(database.open());
    const first = actors.ensureInstitution("univ", "University");
    const renamed = actors.ensureInstitution("univ-paris", "Université de Paris");
    expect(renamed.id).toBe(first.id);
    expect(renamed.identifier).toBe("institution");
    expect(actors.byHandle("univ-paris")?.name).toBe("Université de Paris");
    expect(actors.byHandle("univ")).toBeUndefined();
  });

  it("makes RSA and Ed25519 keys once, and finds the same ones after a restart", async () => {
    const before = new LocalActorRepository(database.open());
    const institution = before.ensureInstitution("univ", "University");
    const pairs = await before.keyPairs(institution);
    expect(pairs.map((pair) => pair.publicKey.algorithm.name)).toEqual([
      "RSASSA-PKCS1-v1_5",
      "Ed25519",
    ]);

    const after = new LocalActorRepository(database.open());
    const again = await after.keyPairs(after.ensureInstitution("univ", "University"));
    for (const [index, pair] of pairs.entries()) {
      expect(await exportJwk(again[index]?.publicKey as typeof pair.publicKey)).toEqual(
        await exportJwk(pair.publicKey),
      );
    }
  });
});
