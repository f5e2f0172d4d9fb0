import {
  createExponentialBackoffPolicy,
  type InboxContext,
  type KvStore,
  type RetryPolicy,
} from "@fedify/fedify";
import type { Activity } from "@fedify/vocab";
import { Temporal } from "../temporal.ts";

/**
 * How many times an incoming activity whose handling fails is tried, the first included.
 * What fails there is mostly for good (an object or manifest that is not there, a key
 * that does not verify): a few tries over some seconds cover a peer's hiccup, and then
 * it is dropped. Fedify's default, ten tries over half an hour, repeated each time every
 * request the activity causes.
 */
export const INBOX_ATTEMPTS = 4;

/** Tries again after about 1 s, 2 s and 4 s (with jitter), then gives up. */
export function inboxRetryPolicy(): RetryPolicy {
  return createExponentialBackoffPolicy({
    maxAttempts: INBOX_ATTEMPTS - 1,
    initialDelay: { seconds: 1 },
    factor: 2,
  });
}

/** How long a failing activity's count of attempts is kept: well past its last retry. */
const ATTEMPTS_KEPT = Temporal.Duration.from({ hours: 1 });

/**
 * Logs each failed attempt at handling an activity in one line (activity, actor, why;
 * whether it will be tried again) and lets Fedify retry it by INBOX_ATTEMPTS. Fedify's
 * own log of it goes nowhere unless LogTape is configured, and says neither the actor
 * nor how many tries are left. The attempts are counted in the key-value store, since a
 * retry may run in another process of the node.
 */
export function loggingInboxFailures<C extends InboxContext<unknown>, A extends Activity>(
  kv: KvStore,
  handler: (ctx: C, activity: A) => Promise<void>,
  log: (line: string) => void = (line) => console.error(line),
): (ctx: C, activity: A) => Promise<void> {
  return async (ctx, activity) => {
    try {
      await handler(ctx, activity);
    } catch (error) {
      const id = activity.id?.href;
      const attempt = id === undefined ? undefined : await countAttempt(kv, id);
      const last = attempt !== undefined && attempt >= INBOX_ATTEMPTS;
      const reason = (error instanceof Error ? error.message : String(error)).replace(/\s+/g, " ");
      log(
        `coursefed: inbox: ${activity.constructor.name} ${id ?? "(no id)"} from ` +
          `${activity.actorId?.href ?? "(no actor)"} failed` +
          `${attempt === undefined ? "" : ` (attempt ${attempt} of ${INBOX_ATTEMPTS})`}: ${reason}; ` +
          (last ? "dropped" : "tried again later"),
      );
      if (last && id !== undefined) await kv.delete(attemptsKey(id));
      throw error;
    }
  };
}

function attemptsKey(activityId: string): readonly [string, string, string] {
  return ["coursefed", "inbox-attempts", activityId];
}

async function countAttempt(kv: KvStore, activityId: string): Promise<number> {
  const attempt = ((await kv.get<number>(attemptsKey(activityId))) ?? 0) + 1;
  await kv.set(attemptsKey(activityId), attempt, { ttl: ATTEMPTS_KEPT });
  return attempt;
}
