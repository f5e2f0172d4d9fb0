import { and, eq } from "drizzle-orm";
import type { NodeDatabase } from "../db/database.ts";
import { uploads } from "../db/schema.ts";

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
}
