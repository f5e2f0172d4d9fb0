import { createExponentialBackoffPolicy, type RetryPolicy } from "@fedify/fedify";
import { Temporal } from "../temporal.ts";

/**
 * How long a delivery to a peer that is down keeps being retried. A school's server can be
 * off over a long weekend or a holiday; five days covers that without keeping dead
 * peers' activities forever.
 */
export const DELIVERY_RETRY_PERIOD = Temporal.Duration.from({ days: 5 });

/**
 * Retries a failed delivery after 1 s, 2 s, 4 s, ... (with jitter), at most 12 hours
 * apart, until DELIVERY_RETRY_PERIOD has passed since the first attempt. Fedify's default
 * gives up after ten attempts, about half an hour.
 */
export function deliveryRetryPolicy(
  period: Temporal.Duration = DELIVERY_RETRY_PERIOD,
): RetryPolicy {
  const backoff = createExponentialBackoffPolicy({
    maxAttempts: Number.POSITIVE_INFINITY,
    maxDelay: { hours: 12 },
  });
  return (context) =>
    Temporal.Duration.compare(context.elapsedTime, period) >= 0 ? null : backoff(context);
}
