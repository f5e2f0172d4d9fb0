/**
 * Waits until `probe` gives a value (anything but undefined, null or false) and returns
 * it; fails after `timeoutMs`. Federation between test nodes is asynchronous: tests wait
 * for its effects rather than sleep.
 */
export async function eventually<T>(
  probe: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  timeoutMs = 15_000,
): Promise<T> {
  const start = Date.now();
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== null && value !== false) return value;
    if (Date.now() - start > timeoutMs) throw new Error(`nothing happened within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
