import type { MiddlewareHandler } from "hono";

/** Counts the requests being handled, so that shutdown can wait for the last ones. */
export class RequestsInFlight {
  #count = 0;
  #idle: (() => void)[] = [];

  track(): MiddlewareHandler {
    return async (_, next) => {
      this.#count += 1;
      try {
        await next();
      } finally {
        this.#count -= 1;
        if (this.#count === 0) for (const resolve of this.#idle.splice(0)) resolve();
      }
    };
  }

  /** Resolves when no request is being handled, or after `limitMs` whatever is left. */
  async drained(limitMs: number): Promise<void> {
    if (this.#count === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve) => {
      this.#idle.push(resolve);
      timer = setTimeout(resolve, limitMs);
    });
    clearTimeout(timer);
  }
}
