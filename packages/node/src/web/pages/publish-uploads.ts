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
 * and an upload whose scan nobody read is not worth keeping past a restart: its archive,
 * which nothing names, goes with the node's hourly sweep once a day old.
 */
export class PendingUploads {
  readonly #uploads = new Map<string, PendingUpload>();

  /** Keeps an upload; returns those older than a day, forgotten now. */
  add(upload: Omit<PendingUpload, "id" | "createdAt">): {
    pending: PendingUpload;
    expired: PendingUpload[];
  } {
    const now = Date.now();
    const expired = [...this.#uploads.values()].filter((old) => old.createdAt < now - KEPT_MS);
    for (const old of expired) this.#uploads.delete(old.id);
    const pending = { ...upload, id: crypto.randomUUID(), createdAt: now };
    this.#uploads.set(pending.id, pending);
    return { pending, expired };
  }

  /** Whether an upload still waiting has these bytes. */
  holds(sha256: string): boolean {
    return [...this.#uploads.values()].some((upload) => upload.sha256 === sha256);
  }

  find(id: string, accountId: number): PendingUpload | undefined {
    const upload = this.#uploads.get(id);
    return upload?.accountId === accountId ? upload : undefined;
  }

  remove(id: string): void {
    this.#uploads.delete(id);
  }
}
