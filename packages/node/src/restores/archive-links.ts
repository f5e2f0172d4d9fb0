import { hashBearerSecret, newBearerSecret } from "../bearer-secrets.ts";
import type { StoredBlob } from "../blobs/blob-store.ts";
import { Temporal } from "../temporal.ts";

/**
 * Where links are kept: the node's key-value store (federation/kv-store.ts), shared by
 * every process on the database, so a link minted by the worker running a restore is
 * honoured by whichever process Moodle's download reaches. Written out here so that the
 * domain does not import Fedify, whose KvStore this is.
 */
export interface LinkStore {
  get<T = unknown>(key: readonly [string, ...string[]]): Promise<T | undefined>;
  set(
    key: readonly [string, ...string[]],
    value: unknown,
    options?: { readonly ttl?: Temporal.Duration },
  ): Promise<void>;
  delete(key: readonly [string, ...string[]]): Promise<void>;
}

/**
 * A link's life. Moodle must START the download within START_WITHIN_MS of the link being
 * made (the node calls the plugin right after making it; the margin covers a slow site
 * and a queue of restores before ours on the site). Once bytes went out, the download may
 * go on, or resume after a cut, until RESUME_WITHIN_MS after the last byte served: a
 * several-GB archive can take longer than any fixed lifetime, while a link nobody reads
 * dies minutes after its reader stopped. MAX_LIFETIME_MS bounds even a link read without
 * end (its job revokes it long before, unless the worker died).
 */
export const ARCHIVE_LINK_TIMES = {
  START_WITHIN_MS: 15 * 60_000,
  RESUME_WITHIN_MS: 5 * 60_000,
  MAX_LIFETIME_MS: 24 * 3600_000,
  /** How often a download in progress notes it is alive (a key-value write). */
  PROGRESS_EVERY_MS: 60_000,
} as const;

/** What a link gives access to: one archive of the blob store. */
export interface ArchiveLink extends StoredBlob {
  /** The address Moodle downloads from: the token is in its path, nothing else is needed. */
  readonly url: URL;
  /** The latest moment the download may start. */
  readonly startBy: Date;
}

interface LinkRecord {
  readonly sha256: string;
  readonly size: number;
  readonly createdAt: number;
  readonly startBy: number;
}

const LINK_KEY = "archive-link";
const SERVED_KEY = "archive-link-served";
const PATH = "/archive-links/";

/**
 * Short-lived download links to one archive each, for a Moodle site that pulls the backup
 * it restores instead of receiving an upload (docs/security.md, "Archive links"): 256
 * random bits in the path, kept hashed like API tokens, bound to one digest and size.
 */
export class ArchiveLinks {
  readonly #store: LinkStore;
  readonly #origin: URL;
  readonly #now: () => number;
  /** The latest note of a download's progress per link, still being written. */
  readonly #notes = new Map<string, Promise<void>>();

  /** `origin`: the node's address as the Moodle sites reach it by default (its public URL). */
  constructor(store: LinkStore, origin: URL, now: () => number = Date.now) {
    this.#store = store;
    this.#origin = origin;
    this.#now = now;
  }

  /**
   * `origin`: the node's address as the site that will download reaches it, when not the
   * public URL (a target's nodeUrl).
   */
  async mint(blob: StoredBlob, origin: URL = this.#origin): Promise<ArchiveLink> {
    const token = newBearerSecret();
    const now = this.#now();
    const record: LinkRecord = {
      sha256: blob.sha256,
      size: blob.size,
      createdAt: now,
      startBy: now + ARCHIVE_LINK_TIMES.START_WITHIN_MS,
    };
    await this.#store.set([LINK_KEY, hashBearerSecret(token)], record, {
      ttl: Temporal.Duration.from({ milliseconds: ARCHIVE_LINK_TIMES.MAX_LIFETIME_MS }),
    });
    return {
      sha256: blob.sha256,
      size: blob.size,
      url: new URL(`${PATH}${token}`, origin),
      startBy: new Date(record.startBy),
    };
  }

  /**
   * The archive a link's token gives, if the link may be used now: started within its
   * start window, or resumed within the resume window of its last byte served. Unknown,
   * expired and revoked tokens alike give undefined.
   */
  async resolve(token: string): Promise<StoredBlob | undefined> {
    if (!isToken(token)) return undefined;
    const hash = hashBearerSecret(token);
    const record = await this.#store.get<LinkRecord>([LINK_KEY, hash]);
    if (!record) return undefined;
    const now = this.#now();
    if (now >= record.createdAt + ARCHIVE_LINK_TIMES.MAX_LIFETIME_MS) return undefined;
    if (now >= record.startBy) {
      const lastServedAt = await this.#store.get<number>([SERVED_KEY, hash]);
      if (lastServedAt === undefined || now >= lastServedAt + ARCHIVE_LINK_TIMES.RESUME_WITHIN_MS)
        return undefined;
    }
    return { sha256: record.sha256, size: record.size };
  }

  /**
   * Notes that bytes of the link's archive were just served, which opens (or extends) its
   * resume window. Kept apart from the link itself: a note written after a revocation
   * leaves the link revoked.
   */
  async served(token: string): Promise<void> {
    if (!isToken(token)) return;
    const hash = hashBearerSecret(token);
    const at = this.#now();
    // One note after the other, in the order they were taken: a slow earlier write landing
    // last would move the window back.
    const previous = this.#notes.get(hash) ?? Promise.resolve();
    const note = previous
      .catch(() => undefined)
      .then(() =>
        this.#store.set([SERVED_KEY, hash], at, {
          ttl: Temporal.Duration.from({ milliseconds: ARCHIVE_LINK_TIMES.RESUME_WITHIN_MS * 2 }),
        }),
      );
    this.#notes.set(hash, note);
    try {
      await note;
    } finally {
      if (this.#notes.get(hash) === note) this.#notes.delete(hash);
    }
  }

  /** Ends the link (its restore ended): refused from now on, by every process. */
  async revoke(link: ArchiveLink): Promise<void> {
    const token = link.url.pathname.slice(PATH.length);
    if (!isToken(token)) return;
    const hash = hashBearerSecret(token);
    await this.#store.delete([LINK_KEY, hash]);
    await this.#store.delete([SERVED_KEY, hash]);
  }
}

/** 32 bytes in base64url: anything else was never a link, and is not looked up. */
function isToken(token: string): boolean {
  return /^[A-Za-z0-9_-]{43}$/.test(token);
}
