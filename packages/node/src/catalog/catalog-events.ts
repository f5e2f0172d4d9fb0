/** A course revision of another node's, just kept in the catalog: newer than what was held. */
export interface RevisionReceived {
  readonly objectUri: string;
  readonly revision: number;
  /** The publisher, and the actor that announced it to us, if it came by an Announce. */
  readonly actorUri: string;
  readonly announcedBy?: string | undefined;
  readonly tags: readonly string[];
  /** First revision this node has seen of the course, or a newer one of a course it had. */
  readonly isNew: boolean;
}

export type RevisionReceivedListener = (event: RevisionReceived) => Promise<void>;

/**
 * What happens to the catalog, told to whoever listens: the inbox says a revision was
 * received, and the auto-restore rules (wired in node.ts) act on it, without the inbox
 * knowing of them. One per node, never a module's own: several nodes share a test process.
 * Listeners run one after the other and are awaited, so that a failing one fails the
 * activity's handling as it would have without the event (the inbox then retries it).
 */
export class CatalogEvents {
  readonly #revisionReceived: RevisionReceivedListener[] = [];

  onRevisionReceived(listener: RevisionReceivedListener): void {
    this.#revisionReceived.push(listener);
  }

  async revisionReceived(event: RevisionReceived): Promise<void> {
    for (const listener of this.#revisionReceived) await listener(event);
  }
}
