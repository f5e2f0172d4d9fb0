import { createServer, type Server } from "node:http";
import type { Context } from "@fedify/fedify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { NodeDatabase } from "../db/database.ts";
import { type TemporaryDatabase, temporaryDatabase } from "../db/test-database.ts";
import { CatchUpRunRepository } from "../follows/catch-up-run-repository.ts";
import { CATCH_UP_LIMITS } from "./catch-up.ts";
import { CatchUpRuns, PERIODIC } from "./catch-up-runs.ts";
import type { FederationServices } from "./context.ts";

/**
 * A node's catch-up runs over a real run repository, with a federation context that knows
 * one followed actor, on a server that never answers: a run stays under way until cut.
 */
describe("CatchUpRuns: an admin's run in the background, cut when the node stops", () => {
  let database: TemporaryDatabase;
  let db: NodeDatabase;
  let silent: Server;
  let actorUri: string;
  const recorded: string[] = [];
  let asked = 0;

  beforeAll(async () => {
    database = await temporaryDatabase();
    db = await database.open();
    silent = createServer(() => {
      // Holds every request: only the run's own signal ends the wait.
      asked++;
    });
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const address = silent.address();
    actorUri = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}/actors/quiet`;
  });

  afterAll(async () => {
    silent.closeAllConnections();
    await new Promise((resolve) => silent.close(resolve));
    await db.close();
    await database.remove();
  });

  async function context(): Promise<Context<FederationServices>> {
    const { privateKey } = await crypto.subtle.generateKey(
      {
        name: "RSASSA-PKCS1-v1_5",
        modulusLength: 2048,
        publicExponent: new Uint8Array([1, 0, 1]),
        hash: "SHA-256",
      },
      true,
      ["sign", "verify"],
    );
    const reader = { id: 1, identifier: "institution" };
    const data = {
      allowPrivateAddresses: true,
      follows: {
        catchUpCandidates: async () => [
          {
            actorUri,
            localActorId: 1,
            followedSince: 0,
            behindSince: null,
            caughtUpAt: null,
            readThroughAt: null,
            result: null,
            notBefore: null,
          },
        ],
        recordCatchUp: async (_actor: string, outcome: { result: string }) => {
          recorded.push(outcome.result);
        },
      },
      actors: {
        byId: async () => reader,
        byIdentifier: async () => reader,
        keyPairs: async () => [{ privateKey }],
      },
    };
    return {
      data,
      getActorKeyPairs: async () => [
        { keyId: new URL("https://node.example/actors/institution#main-key") },
      ],
      getDocumentLoader: async () => async () => {
        throw new Error("no documents here");
      },
      contextLoader: async () => {
        throw new Error("no contexts here");
      },
    } as unknown as Context<FederationServices>;
  }

  it("starts in the background, refuses a second run and the periodic one meanwhile, and records the run cut short when the node stops", async () => {
    const runs = new CatchUpRuns(await context(), new CatchUpRunRepository(db), {
      limits: CATCH_UP_LIMITS,
    });
    const started = await runs.start("ops token");
    expect(started).toMatchObject({ started: true, run: { state: "under-way" } });
    const second = await runs.start("another token");
    expect(second).toMatchObject({ started: false, run: { id: started.run.id } });
    // The periodic run due meanwhile gives way at once.
    await runs.runPeriodic();
    expect((await runs.latest())?.id).toBe(started.run.id);

    // Stopped once the run waits on the actor's server.
    while (asked === 0) await new Promise((resolve) => setTimeout(resolve, 20));
    const stopped = Date.now();
    await runs.stop();
    expect(Date.now() - stopped).toBeLessThan(5000);
    expect(await runs.latest()).toMatchObject({
      id: started.run.id,
      state: "cut-short",
      actors: 1,
      read: 1,
      caughtUp: 0,
      error: "cut short: the node was stopped; ask again to read the rest",
    });
    expect(recorded).toEqual([
      expect.stringMatching(/^failed: 127\.0\.0\.1:\d+ could not be read/),
    ]);
    await expect(runs.start("late")).rejects.toThrow("This node is stopping");
  });

  it("runs the periodic catch-up in the same slot, listed as the node's", async () => {
    const runs = new CatchUpRuns(await context(), new CatchUpRunRepository(db), {
      limits: { ...CATCH_UP_LIMITS, budgetMs: 300 },
    });
    await runs.runPeriodic();
    expect(await runs.latest()).toMatchObject({
      requestedBy: PERIODIC,
      state: "ended",
      read: 1,
      error: null,
    });
  });
});
