import type { BackupReport } from "@coursefed/mbz";

/** A backup uploaded through the web interface, inspected, waiting to be published. */
export interface PendingUpload {
  readonly id: string;
  readonly accountId: number;
  readonly sha256: string;
  readonly size: number;
  readonly report: BackupReport;
  /** The course it is to become a new revision of, if any. */
  readonly courseId: string | undefined;
  readonly createdAt: number;
}

/** A day to read the scan and fill in the form, as the API's uploads are kept. */
const KEPT_MS = 24 * 3600 * 1000;

/**
 * Web uploads between the upload and the publish form, each visible to its account only.
 * The API keeps its uploads per API token in the database; a web account has no token,
 * and an upload whose scan nobody read is not worth keeping past a restart.
 */
export class PendingUploads {
  readonly #uploads = new Map<string, PendingUpload>();

  add(upload: Omit<PendingUpload, "id" | "createdAt">): PendingUpload {
    const now = Date.now();
    for (const [id, old] of this.#uploads) {
      if (old.createdAt < now - KEPT_MS) this.#uploads.delete(id);
    }
    const pending = { ...upload, id: crypto.randomUUID(), createdAt: now };
    this.#uploads.set(pending.id, pending);
    return pending;
  }

  find(id: string, accountId: number): PendingUpload | undefined {
    const upload = this.#uploads.get(id);
    return upload?.accountId === accountId ? upload : undefined;
  }

  remove(id: string): void {
    this.#uploads.delete(id);
  }
}
