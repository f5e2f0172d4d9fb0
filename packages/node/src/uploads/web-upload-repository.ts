import type { BackupReport } from "@coursefed/mbz";
import { and, eq, gte, lt } from "drizzle-orm";
import type { NodeDatabase } from "../db/database.ts";
import { ABANDONED_UPLOAD_AGE_MS } from "./abandoned-uploads.ts";

/** A backup uploaded through the web interface, inspected, waiting to be published. */
export interface PendingUpload {
  readonly id: string;
  readonly accountId: number;
  readonly sha256: string;
  readonly size: number;
  readonly report: BackupReport;
  /** The course it is to become a new revision of, if any. */
  readonly courseId: string | null;
  readonly createdAt: number;
}

/**
 * Web uploads between the upload and the publish form, each visible to its account only,
 * for a day. In the database (table web_uploads), not in a process's memory: with several
 * node processes the form may reach another one than the upload did. The API keeps its
 * uploads per API token (table uploads); a web account has no token. The node's hourly
 * sweep forgets those a day old, and their archives once nothing else uses them.
 */
export class WebUploadRepository {
  readonly #db: NodeDatabase;

  constructor(db: NodeDatabase) {
    this.#db = db;
  }

  async add(upload: Omit<PendingUpload, "id" | "createdAt">): Promise<PendingUpload> {
    const { webUploads } = this.#db.tables;
    const pending = { ...upload, id: crypto.randomUUID(), createdAt: Date.now() };
    await this.#db.insert(webUploads).values({
      ...pending,
      report: pending.report as unknown as Record<string, unknown>,
    });
    return pending;
  }

  /** An upload of this account made less than a day ago, as the API's are kept. */
  async find(id: string, accountId: number, now = Date.now()): Promise<PendingUpload | undefined> {
    const { webUploads } = this.#db.tables;
    const [row] = await this.#db
      .select()
      .from(webUploads)
      .where(
        and(
          eq(webUploads.id, id),
          eq(webUploads.accountId, accountId),
          gte(webUploads.createdAt, now - ABANDONED_UPLOAD_AGE_MS),
        ),
      )
      .limit(1);
    return row && { ...row, report: row.report as unknown as BackupReport };
  }

  /** Whether an upload still waiting has these bytes: its archive must stay. */
  async holds(sha256: string): Promise<boolean> {
    const { webUploads } = this.#db.tables;
    const [row] = await this.#db
      .select({ id: webUploads.id })
      .from(webUploads)
      .where(eq(webUploads.sha256, sha256))
      .limit(1);
    return row !== undefined;
  }

  async remove(id: string): Promise<void> {
    const { webUploads } = this.#db.tables;
    await this.#db.delete(webUploads).where(eq(webUploads.id, id));
  }

  /** Forgets the uploads made before `before` (ms since the epoch); returns how many. */
  async forgetOlderThan(before: number): Promise<number> {
    const { webUploads } = this.#db.tables;
    const forgotten = await this.#db
      .delete(webUploads)
      .where(lt(webUploads.createdAt, before))
      .returning({ id: webUploads.id });
    return forgotten.length;
  }
}
