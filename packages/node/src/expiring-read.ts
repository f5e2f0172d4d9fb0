/**
 * A value read from where every process of a node keeps it (a node_settings row), read
 * again at most once per `lifetimeMs`: a change made through another process is seen
 * within that time, without a query for each asker. Concurrent askers share one read; a
 * failed read is not kept, so the next asker tries again; `forget()` makes the next asker
 * read again, for a change this process made and must see at once.
 */
export class ExpiringRead<T> {
  readonly #read: () => Promise<T>;
  readonly #lifetimeMs: number;
  readonly #now: () => number;
  #held: { readonly readAt: number; readonly value: Promise<T> } | undefined;

  constructor(read: () => Promise<T>, lifetimeMs: number, now: () => number = Date.now) {
    this.#read = read;
    this.#lifetimeMs = lifetimeMs;
    this.#now = now;
  }

  get(): Promise<T> {
    const now = this.#now();
    if (!this.#held || now - this.#held.readAt >= this.#lifetimeMs) {
      const value = this.#read();
      this.#held = { readAt: now, value };
      value.catch(() => {
        if (this.#held?.value === value) this.#held = undefined;
      });
    }
    return this.#held.value;
  }

  forget(): void {
    this.#held = undefined;
  }
}
