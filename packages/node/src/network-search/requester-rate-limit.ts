import { LruMap } from "../lru-map.ts";

/** How many searches one server may ask of this node per window, unless configured. */
export const DEFAULT_SEARCHES_PER_MINUTE = 60;

const WINDOW_MS = 60_000;

/** Servers remembered at most: past it, the one asked longest ago is forgotten. */
const MAX_REMEMBERED = 10_000;

/**
 * Searches asked by each server within the last minute, so that no one server (a user
 * typing, another node's fan-out, a crawler with a key) takes the node's time from the
 * others: past `perMinute`, a server waits until its oldest search leaves the window.
 * Kept in the process's memory: a search costs a read of the node's own courses, not
 * worth a database write each; with several processes each counts its own share.
 */
export class RequesterRateLimit {
  readonly #perMinute: number;
  readonly #now: () => number;
  readonly #asked = new LruMap<string, number[]>(MAX_REMEMBERED);

  constructor(perMinute = DEFAULT_SEARCHES_PER_MINUTE, now: () => number = Date.now) {
    this.#perMinute = perMinute;
    this.#now = now;
  }

  /**
   * Counts a search by `server` and returns undefined if it may be answered; otherwise
   * the seconds it must wait (not counted).
   */
  take(server: string): number | undefined {
    const now = this.#now();
    const recent = (this.#asked.get(server) ?? []).filter((at) => at > now - WINDOW_MS);
    if (recent.length >= this.#perMinute) {
      this.#asked.set(server, recent);
      return Math.max(1, Math.ceil(((recent[0] as number) + WINDOW_MS - now) / 1000));
    }
    recent.push(now);
    this.#asked.set(server, recent);
    return undefined;
  }
}
