import { eq } from "drizzle-orm";
import type { NodeDatabase } from "../db/database.ts";
import { ExpiringRead } from "../expiring-read.ts";

/** Where the list is kept: a row of node_settings, as the console's other settings. */
const KEY = "federation.blocked-actors";

/** How long a process trusts the list it read: the settings' own delay, for the same reason. */
const CACHE_MS = 5000;

/**
 * Remote actors an admin blocked from a report, one by one, where blocking their server
 * would also block everyone else there: nothing they send is handled, and no course of
 * theirs enters the catalog, delivered or announced by another. Read at most every few
 * seconds by each process (the inbox asks for every activity).
 */
export class BlockedActors {
  readonly #db: NodeDatabase;
  readonly #actors: ExpiringRead<ReadonlySet<string>>;

  constructor(db: NodeDatabase) {
    this.#db = db;
    this.#actors = new ExpiringRead(() => this.#read(), CACHE_MS);
  }

  async has(actorUri: string): Promise<boolean> {
    return (await this.#actors.get()).has(actorUri);
  }

  async list(): Promise<string[]> {
    return [...(await this.#actors.get())].sort();
  }

  /** Adds an actor to the list; `by` names the admin, as the settings' rows do. */
  async block(actorUri: string, by: string): Promise<void> {
    const { nodeSettings } = this.#db.tables;
    await this.#db.transaction(async (tx) => {
      const [row] = await tx
        .select({ value: nodeSettings.value })
        .from(nodeSettings)
        .where(eq(nodeSettings.key, KEY))
        .limit(1);
      const actors = [...new Set([...(Array.isArray(row?.value) ? row.value : []), actorUri])];
      const stored = { value: actors, updatedAt: Date.now(), updatedBy: by };
      await tx
        .insert(nodeSettings)
        .values({ key: KEY, ...stored })
        .onConflictDoUpdate({ target: nodeSettings.key, set: stored });
    });
    this.#actors.forget();
  }

  async #read(): Promise<ReadonlySet<string>> {
    const { nodeSettings } = this.#db.tables;
    const [row] = await this.#db
      .select({ value: nodeSettings.value })
      .from(nodeSettings)
      .where(eq(nodeSettings.key, KEY))
      .limit(1);
    return new Set(Array.isArray(row?.value) ? (row.value as string[]) : []);
  }
}
