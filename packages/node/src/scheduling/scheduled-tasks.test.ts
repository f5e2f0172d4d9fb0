import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { NodeDatabase } from "../db/database.ts";
import { type TemporaryDatabase, temporaryDatabase } from "../db/test-database.ts";
import { startScheduler } from "./scheduled-tasks.ts";

describe("startScheduler", () => {
  let database: TemporaryDatabase;
  const opened: NodeDatabase[] = [];

  beforeEach(async () => {
    database = await temporaryDatabase();
  });
  afterEach(async () => {
    for (const db of opened.splice(0)) await db.close();
    await database.remove();
  });

  it("runs a task once per period whatever the number of processes", async () => {
    // Three processes, each with its own connection to the one database.
    for (let index = 0; index < 3; index += 1) opened.push(await database.open());
    let clock = 1_000_000;
    const runs: number[] = [];
    const start = (db: NodeDatabase, process: number) =>
      startScheduler(
        db,
        [{ name: "sweep", intervalMs: 3_600_000, run: async () => void runs.push(process) }],
        { checkEveryMs: 5, now: () => clock },
      );
    const schedulers = opened.map(start);
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(runs).toHaveLength(1);
    clock += 3_600_000;
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(runs).toHaveLength(2);
    for (const scheduler of schedulers) await scheduler.stop();
  });

  it("reports a failed task and runs it again next period", async () => {
    const db = await database.open();
    opened.push(db);
    let clock = 0;
    let attempts = 0;
    const failures: string[] = [];
    const scheduler = startScheduler(
      db,
      [
        {
          name: "flaky",
          intervalMs: 1000,
          run: async () => {
            attempts += 1;
            throw new Error("disk full");
          },
        },
      ],
      { checkEveryMs: 5, now: () => clock, onError: (_, error) => failures.push(String(error)) },
    );
    await new Promise((resolve) => setTimeout(resolve, 30));
    clock += 1000;
    await new Promise((resolve) => setTimeout(resolve, 30));
    await scheduler.stop();
    expect(attempts).toBe(2);
    expect(failures).toEqual(["Error: disk full", "Error: disk full"]);
  });
});
