/**
 * A Map that keeps at most `capacity` entries, forgetting the one used longest ago: a read
 * or a write makes an entry the most recent. For caches kept in the process's memory
 * (compiled statements, verified keys, diffs, who asked what), whose size must stay
 * bounded whatever the traffic. It leans on Map keeping its keys in insertion order:
 * an entry used is taken out and put back last, so the first key is always the oldest.
 */
export class LruMap<K, V> {
  readonly #entries = new Map<K, V>();
  readonly #capacity: number;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`An LruMap holds at least one entry, not ${capacity}.`);
    }
    this.#capacity = capacity;
  }

  get size(): number {
    return this.#entries.size;
  }

  has(key: K): boolean {
    return this.#entries.has(key);
  }

  /** The value kept for `key`, which becomes the most recently used. */
  get(key: K): V | undefined {
    if (!this.#entries.has(key)) return undefined;
    const value = this.#entries.get(key) as V;
    this.#entries.delete(key);
    this.#entries.set(key, value);
    return value;
  }

  /** Keeps `value` as the most recently used; past the capacity, the oldest is forgotten. */
  set(key: K, value: V): this {
    this.#entries.delete(key);
    this.#entries.set(key, value);
    if (this.#entries.size > this.#capacity) {
      this.#entries.delete(this.#entries.keys().next().value as K);
    }
    return this;
  }

  delete(key: K): boolean {
    return this.#entries.delete(key);
  }
}
