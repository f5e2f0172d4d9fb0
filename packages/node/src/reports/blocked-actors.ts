import { eq } from "drizzle-orm";
import type { NodeDatabase } from "../db/database.ts";

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
  #cache: { readonly readAt: number; readonly actors: Promise<ReadonlySet<string>> } | undefined;

  constructor(db: NodeDatabase) {
    this.#db = db;
  }

  async has(actorUri: string): Promise<boolean> {
    return (await this.#read()).has(actorUri);
  }

  async list(): Promise<string[]> {
    return [...(await this.#read())].sort();
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
    this.#cache = undefined;
  }

  #read(): Promise<ReadonlySet<string>> {
    const now = Date.now();
    if (!this.#cache || now - this.#cache.readAt >= CACHE_MS) {
      const { nodeSettings } = this.#db.tables;
      const actors = this.#db
        .select({ value: nodeSettings.value })
        .from(nodeSettings)
        .where(eq(nodeSettings.key, KEY))
        .limit(1)
        .then(([row]) => new Set(Array.isArray(row?.value) ? (row.value as string[]) : []));
      this.#cache = { readAt: now, actors };
      actors.catch(() => {
        if (this.#cache?.actors === actors) this.#cache = undefined;
      });
    }
    return this.#cache.actors;
  }
}
