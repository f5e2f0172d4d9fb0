import { AsyncLocalStorage } from "node:async_hooks";

/**
 * Lets one transaction at a time own a connection that every task of the process shares
 * (SQLite's: better-sqlite3 runs each statement synchronously on one handle). While a
 * transaction is open, statements issued from inside it (its async context) pass, and
 * every other task's statements wait until it ends; otherwise they would run inside it,
 * and be undone by its rollback.
 */
export class StatementGate {
  readonly #context = new AsyncLocalStorage<symbol>();
  #holder: symbol | undefined;
  #released: Promise<void> = Promise.resolve();

  /** Resolves when a statement of the current task may run. */
  async enter(): Promise<void> {
    while (this.#holder !== undefined && this.#context.getStore() !== this.#holder) {
      await this.#released;
    }
  }

  /**
   * Runs `work` owning the connection. A task already inside runs it at once: a nested
   * transaction is the caller's business (drizzle makes it a savepoint).
   */
  async exclusive<T>(work: () => Promise<T>): Promise<T> {
    const current = this.#context.getStore();
    if (current !== undefined && current === this.#holder) return work();
    while (this.#holder !== undefined) await this.#released;
    const holder = Symbol("transaction");
    this.#holder = holder;
    let release = () => {};
    this.#released = new Promise<void>((resolve) => {
      release = resolve;
    });
    try {
      return await this.#context.run(holder, work);
    } finally {
      this.#holder = undefined;
      release();
    }
  }
}
