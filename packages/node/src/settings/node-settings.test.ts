import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { NodeDatabase } from "../db/database.ts";
import { type TemporaryDatabase, temporaryDatabase } from "../db/test-database.ts";
import { NodeSettings, SETTINGS_CACHE_MS, SettingsError } from "./node-settings.ts";

const CONFIGURED = {
  federation: { mode: "blocklist", domains: ["spam.example"] },
  autoAcceptDomains: ["partner.example"],
} as const;

describe("NodeSettings", () => {
  let database: TemporaryDatabase;
  let db: NodeDatabase;
  let now = 1_000_000;
  const clock = () => now;

  beforeAll(async () => {
    database = await temporaryDatabase();
    db = await database.open();
  });
  afterAll(async () => {
    await db.close();
    await database.remove();
  });

  it("gives the configuration's values until an admin overrides them", async () => {
    const settings = new NodeSettings(db, CONFIGURED, { now: clock });
    expect(await settings.federationPolicy()).toEqual(CONFIGURED.federation);
    expect(await settings.autoAcceptDomains()).toEqual(CONFIGURED.autoAcceptDomains);
    expect((await settings.federation()).policy.override).toBeNull();
  });

  it("applies an override at once in its process, in another within the cache's time", async () => {
    const here = new NodeSettings(db, CONFIGURED, { now: clock });
    const there = new NodeSettings(db, CONFIGURED, { now: clock });
    expect(await there.federationPolicy()).toEqual(CONFIGURED.federation);

    const changed = await here.update(
      { policy: { mode: "allowlist", domains: "Univ.example\n ac-paris.example, " } },
      "marie",
    );
    expect(changed.policy.value).toEqual({
      mode: "allowlist",
      domains: ["univ.example", "ac-paris.example"],
    });
    expect(changed.policy.configured).toEqual(CONFIGURED.federation);
    expect(changed.policy.override).toEqual({ updatedAt: now, updatedBy: "marie" });
    expect(changed.autoAccept.override).toBeNull();

    // The other process still trusts what it read, without a query...
    const read = vi.spyOn(db, "select");
    now += SETTINGS_CACHE_MS - 1;
    expect((await there.federationPolicy()).mode).toBe("blocklist");
    expect(read).not.toHaveBeenCalled();
    // ...until its cache runs out.
    now += 1;
    expect((await there.federationPolicy()).mode).toBe("allowlist");
    expect(read).toHaveBeenCalledTimes(1);
    read.mockRestore();
  });

  it("refuses what the configuration refuses, naming the field, and stores nothing then", async () => {
    const settings = new NodeSettings(db, CONFIGURED, { now: clock });
    const before = await settings.federation();
    const refusals = [
      [{ policy: { mode: "closed", domains: "" } }, "mode", "is not a federation mode"],
      [{ policy: { mode: "allowlist", domains: " " } }, "domains", "needs at least one host"],
      [
        {
          policy: { mode: "blocklist", domains: "spam.example" },
          autoAccept: "ok.example\nunder_score.example",
        },
        "autoAccept",
        '"under_score.example" is not a host name',
      ],
    ] as const;
    for (const [changes, field, message] of refusals) {
      const refused = await settings.update(changes, "marie").catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(SettingsError);
      expect((refused as SettingsError).field).toBe(field);
      expect((refused as SettingsError).message).toContain(message);
      // The message is for a form's field: no command-line flag in it.
      expect((refused as SettingsError).message).not.toContain("--");
    }
    expect(await settings.federation()).toEqual(before);
  });

  it("resets an override to the configuration's value", async () => {
    const settings = new NodeSettings(db, CONFIGURED, { now: clock });
    await settings.update({ autoAccept: "a.example, b.example" }, "marie");
    expect(await settings.autoAcceptDomains()).toEqual(["a.example", "b.example"]);
    const reset = await settings.reset("autoAccept");
    expect(reset.autoAccept).toEqual({
      value: CONFIGURED.autoAcceptDomains,
      configured: CONFIGURED.autoAcceptDomains,
      override: null,
    });
    // The other setting's override stays.
    expect(reset.policy.override).not.toBeNull();
    await settings.reset("policy");
    expect(await settings.federationPolicy()).toEqual(CONFIGURED.federation);
  });

  it("leaves the configuration in force when a stored value no longer passes its rules", async () => {
    const { nodeSettings } = db.tables;
    await db.insert(nodeSettings).values({
      key: "federation.policy",
      value: { mode: "allowlist", domains: [] },
      updatedAt: now,
      updatedBy: "by hand",
    });
    const error = vi.spyOn(console, "error").mockImplementation(() => {});
    const settings = new NodeSettings(db, CONFIGURED, { now: clock });
    expect(await settings.federationPolicy()).toEqual(CONFIGURED.federation);
    expect(error).toHaveBeenCalledOnce();
    error.mockRestore();
  });
});
