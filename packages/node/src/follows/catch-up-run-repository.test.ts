import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { NodeDatabase } from "../db/database.ts";
import { type TemporaryDatabase, temporaryDatabase } from "../db/test-database.ts";
import { CatchUpRunRepository } from "./catch-up-run-repository.ts";

describe("CatchUpRunRepository: one catch-up of every actor under way per node", () => {
  let database: TemporaryDatabase;
  let db: NodeDatabase;
  let runs: CatchUpRunRepository;
  const hour = 3600_000;
  const t0 = Date.UTC(2026, 0, 5, 9);

  beforeAll(async () => {
    database = await temporaryDatabase();
    db = await database.open();
    runs = new CatchUpRunRepository(db);
  });

  afterAll(async () => {
    await db.close();
    await database.remove();
  });

  it("starts one run; a second is refused with the one under way, whichever process asks, until it ends", async () => {
    expect(await runs.latest(t0)).toBeUndefined();
    const first = await runs.begin({
      id: "first",
      requestedBy: "admin",
      startedAt: t0,
      leaseUntil: t0 + hour,
    });
    expect(first).toMatchObject({ started: true, run: { id: "first", state: "under-way" } });
    // Another process, with its own repository, asked at the same moment.
    const elsewhere = new CatchUpRunRepository(db);
    const refused = await Promise.all(
      ["second", "third"].map((id) =>
        elsewhere.begin({ id, requestedBy: "ops", startedAt: t0 + 1, leaseUntil: t0 + hour }),
      ),
    );
    for (const answer of refused) {
      expect(answer).toMatchObject({ started: false, run: { id: "first", requestedBy: "admin" } });
    }
    await runs.progress("first", { actors: 12 });
    await runs.progress("first", { read: 5, caughtUp: 4 });
    expect(await runs.latest(t0 + 2)).toMatchObject({
      id: "first",
      state: "under-way",
      actors: 12,
      read: 5,
      caughtUp: 4,
      endedAt: null,
    });
    await runs.end("first", { endedAt: t0 + 60_000 });
    expect(await runs.latest(t0 + 60_001)).toMatchObject({
      state: "ended",
      endedAt: t0 + 60_000,
      error: null,
    });
    const next = await runs.begin({
      id: "next",
      requestedBy: "admin",
      startedAt: t0 + 2 * hour,
      leaseUntil: t0 + 3 * hour,
    });
    expect(next).toMatchObject({ started: true, run: { id: "next" } });
    await runs.end("next", {
      endedAt: t0 + 2 * hour + 10,
      error: "cut short: the node was stopped",
    });
    expect(await runs.latest(t0 + 2 * hour + 11)).toMatchObject({
      id: "next",
      state: "cut-short",
      error: "cut short: the node was stopped",
    });
  });

  it("a run whose process died is shown cut short past its lease, and no longer holds the next", async () => {
    await runs.begin({
      id: "orphan",
      requestedBy: "admin",
      startedAt: t0 + 10 * hour,
      leaseUntil: t0 + 11 * hour,
    });
    expect(await runs.latest(t0 + 10 * hour + 1)).toMatchObject({ state: "under-way" });
    expect(await runs.latest(t0 + 11 * hour + 1)).toMatchObject({
      id: "orphan",
      state: "cut-short",
      endedAt: t0 + 11 * hour,
      error: expect.stringMatching(/^cut short: the node process running it stopped/),
    });
    const before = await runs.begin({
      id: "too-soon",
      requestedBy: "admin",
      startedAt: t0 + 10 * hour + 5,
      leaseUntil: t0 + 12 * hour,
    });
    expect(before).toMatchObject({ started: false, run: { id: "orphan" } });
    const after = await runs.begin({
      id: "after",
      requestedBy: "admin",
      startedAt: t0 + 11 * hour + 5,
      leaseUntil: t0 + 12 * hour,
    });
    expect(after).toMatchObject({ started: true, run: { id: "after", state: "under-way" } });
    const [orphan] = await db
      .select()
      .from(db.tables.catchUpRuns)
      .where((await import("drizzle-orm")).eq(db.tables.catchUpRuns.id, "orphan"));
    expect(orphan).toMatchObject({ underWay: null, error: expect.stringMatching(/^cut short/) });
  });
});
