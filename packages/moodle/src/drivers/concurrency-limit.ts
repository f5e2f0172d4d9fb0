/**
 * Lets at most `limit` tasks run at once, the others waiting in order. Two restores into
 * one Moodle site compete for its database and temp directory, and two into one course
 * would interleave, so a driver runs restores through one of these.
 */
export class ConcurrencyLimit {
  private readonly limit: number;
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(limit: number) {
    if (!Number.isInteger(limit) || limit < 1) {
      throw new RangeError(
        `A concurrency limit must be a whole number of at least 1, not ${limit}.`,
      );
    }
    this.limit = limit;
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running >= this.limit) {
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.running++;
    }
    try {
      return await task();
    } finally {
      // Hand the slot straight to the next waiter, so running never drops and rises again.
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}
