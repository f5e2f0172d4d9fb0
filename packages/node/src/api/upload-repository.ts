import { and, eq, lt, sql } from "drizzle-orm";
import type { NodeDatabase } from "../db/database.ts";
import { catalogRevisions, courseRevisions, uploads } from "../db/schema.ts";

export type Upload = typeof uploads.$inferSelect;

/** Backups uploaded and not yet published, each visible only to the token that sent it. */
export class UploadRepository {
  readonly #db: NodeDatabase;

  constructor(db: NodeDatabase) {
    this.#db = db;
  }

  add(tokenId: number, sha256: string, size: number): Upload {
    return this.#db
      .insert(uploads)
      .values({ id: crypto.randomUUID(), tokenId, sha256, size, createdAt: Date.now() })
      .returning()
      .get();
  }

  find(id: string, tokenId: number): Upload | undefined {
    return this.#db
      .select()
      .from(uploads)
      .where(and(eq(uploads.id, id), eq(uploads.tokenId, tokenId)))
      .get();
  }

  remove(id: string): void {
    this.#db.delete(uploads).where(eq(uploads.id, id)).run();
  }

  /** Uploads made before `before` (ms since the epoch) and never published. */
  olderThan(before: number): Upload[] {
    return this.#db.select().from(uploads).where(lt(uploads.createdAt, before)).all();
  }

  /**
   * Whether an archive is still needed once its upload is gone: published here, received
   * and fetched for the catalog, or uploaded again by someone.
   */
  archiveInUse(sha256: string): boolean {
    const row = this.#db
      .select({
        used: sql<number>`exists (select 1 from ${courseRevisions} where ${courseRevisions.sha256} = ${sha256})
          or exists (select 1 from ${catalogRevisions} where ${catalogRevisions.sha256} = ${sha256})
          or exists (select 1 from ${uploads} where ${uploads.sha256} = ${sha256})`,
      })
      .from(sql`(select 1)`)
      .get();
    return Boolean(row?.used);
  }
}
