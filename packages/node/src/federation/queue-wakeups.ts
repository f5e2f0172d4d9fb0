/**
 * How listeners learn that messages were queued, so that they need not wait for their
 * next poll. Polling remains for what a wakeup does not reach.
 */
export interface QueueWakeups {
  /** Tells the listeners of `channel` that messages were queued on it. */
  announce(channel: string): Promise<void>;
  /**
   * Calls `wake` whenever messages are announced on `channel`, until `signal` aborts;
   * then resolves once it has let go of what it held.
   */
  watch(channel: string, wake: () => void, signal: AbortSignal | undefined): Promise<void>;
}
