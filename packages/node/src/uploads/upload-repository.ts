import { and, eq, lt, sql } from "drizzle-orm";
import type { NodeDatabase } from "../db/database.ts";
import type { uploads } from "../db/schema.postgres.ts";

export type Upload = typeof uploads.$inferSelect;

/** Backups uploaded and not yet published, each visible only to the token that sent it. */
export class UploadRepository {
  readonly #db: NodeDatabase;

  constructor(db: NodeDatabase) {
    this.#db = db;
  }

  async add(tokenId: number, sha256: string, size: number): Promise<Upload> {
    const { uploads } = this.#db.tables;
    const [upload] = await this.#db
      .insert(uploads)
      .values({ id: crypto.randomUUID(), tokenId, sha256, size, createdAt: Date.now() })
      .returning();
    // An insert returns its one row.
    return upload as Upload;
  }

  async find(id: string, tokenId: number): Promise<Upload | undefined> {
    const { uploads } = this.#db.tables;
    const [upload] = await this.#db
      .select()
      .from(uploads)
      .where(and(eq(uploads.id, id), eq(uploads.tokenId, tokenId)))
      .limit(1);
    return upload;
  }

  async remove(id: string): Promise<void> {
    const { uploads } = this.#db.tables;
    await this.#db.delete(uploads).where(eq(uploads.id, id));
  }

  /** Uploads made before `before` (ms since the epoch) and never published. */
  async olderThan(before: number): Promise<Upload[]> {
    const { uploads } = this.#db.tables;
    return await this.#db.select().from(uploads).where(lt(uploads.createdAt, before));
  }

  /**
   * Whether an archive is still needed once its upload is gone: published here, received
   * and fetched for the catalog, or uploaded again by someone.
   */
  async archiveInUse(sha256: string): Promise<boolean> {
    const { catalogRevisions, courseRevisions, uploads } = this.#db.tables;
    const [row] = await this.#db
      .select({
        // A boolean in PostgreSQL, 0 or 1 in SQLite.
        used: sql<boolean>`exists (select 1 from ${courseRevisions} where ${courseRevisions.sha256} = ${sha256})
          or exists (select 1 from ${catalogRevisions} where ${catalogRevisions.sha256} = ${sha256})
          or exists (select 1 from ${uploads} where ${uploads.sha256} = ${sha256})`.mapWith(
          Boolean,
        ),
      })
      // PostgreSQL wants a name for a subquery in FROM.
      .from(sql`(select 1) as one`);
    return row?.used ?? false;
  }
}
