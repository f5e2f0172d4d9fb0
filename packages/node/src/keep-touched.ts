import { utimes } from "node:fs/promises";

/**
 * How often a live writer touches what it is writing (a file, a lock, a staging folder):
 * whatever is left untouched for many times this long was left by a process that died,
 * and the sweeps that clear such leftovers go by that.
 */
export const TOUCH_MS = 30_000;

/** Touches `path` every TOUCH_MS, until the returned timer is cleared. */
export function keepTouched(path: string): NodeJS.Timeout {
  const touching = setInterval(() => {
    const now = new Date();
    utimes(path, now, now).catch(() => {});
  }, TOUCH_MS);
  touching.unref();
  return touching;
}
