import type { InboxContext, KvStore, RetryPolicy } from "@fedify/fedify";
import type { Activity } from "@fedify/vocab";
import { Temporal } from "../temporal.ts";

/**
 * How long to wait before each new try of an incoming activity whose handling failed.
 * What fails there is mostly a publisher briefly unreachable (a restart, a deploy) or
 * for good (an object or manifest that is not there, a key that does not verify): tries
 * spread over about an hour ride out the first, and then the activity is dropped.
 * Fedify's default, ten tries over half an hour, repeated more often every request the
 * activity causes.
 */
export type InboxRetrySchedule = readonly Temporal.Duration[];

/** Tries again after 1, 5, 15 and 40 minutes: five tries over about an hour. */
export const INBOX_RETRY_SCHEDULE: InboxRetrySchedule = ["PT1M", "PT5M", "PT15M", "PT40M"].map(
  (delay) => Temporal.Duration.from(delay),
);

/** How many times an activity is tried under `schedule`, the first included. */
export function inboxAttempts(schedule: InboxRetrySchedule): number {
  return schedule.length + 1;
}

/** Fedify's retry policy for `schedule`: each delay in turn, then none (dropped). */
export function inboxRetryPolicy(schedule: InboxRetrySchedule = INBOX_RETRY_SCHEDULE): RetryPolicy {
  // Fedify counts the first try as attempt 0: the policy is asked after each failure.
  return ({ attempts }) => schedule[attempts] ?? null;
}

/** How long a failing activity's count of attempts is kept: well past its last retry. */
function attemptsKept(schedule: InboxRetrySchedule): Temporal.Duration {
  const total = schedule.reduce(
    (sum, delay) => sum.add(delay),
    Temporal.Duration.from({ seconds: 0 }),
  );
  return total.add({ hours: 1 });
}

/**
 * Logs each failed attempt at handling an activity in one line (activity, actor, why;
 * whether and when it will be tried again) and lets Fedify retry it by its schedule. Fedify's
 * own log of it goes nowhere unless LogTape is configured, and says neither the actor
 * nor how many tries are left. The attempts are counted in the key-value store, since a
 * retry may run in another process of the node.
 */
export function loggingInboxFailures<C extends InboxContext<unknown>, A extends Activity>(
  kv: KvStore,
  handler: (ctx: C, activity: A) => Promise<void>,
  options: {
    /** The schedule the federation's inboxRetryPolicy follows. */
    readonly schedule?: InboxRetrySchedule;
    readonly log?: (line: string) => void;
    /** Told of an activity dropped after its last try (catch-up reads its actor again). */
    readonly onDropped?: (ctx: C, activity: A) => Promise<void>;
  } = {},
): (ctx: C, activity: A) => Promise<void> {
  const { schedule = INBOX_RETRY_SCHEDULE, log = (line) => console.error(line) } = options;
  const attempts = inboxAttempts(schedule);
  return async (ctx, activity) => {
    try {
      await handler(ctx, activity);
    } catch (error) {
      const id = activity.id?.href;
      const attempt = id === undefined ? undefined : await countAttempt(kv, id, schedule);
      const next = attempt === undefined ? undefined : schedule[attempt - 1];
      const last = attempt !== undefined && attempt >= attempts;
      const reason = (error instanceof Error ? error.message : String(error)).replace(/\s+/g, " ");
      log(
        `coursefed: inbox: ${activity.constructor.name} ${id ?? "(no id)"} from ` +
          `${activity.actorId?.href ?? "(no actor)"} failed` +
          `${attempt === undefined ? "" : ` (attempt ${attempt} of ${attempts})`}: ${reason}; ` +
          (last ? "dropped" : `tried again ${next ? `in ${spoken(next)}` : "later"}`),
      );
      if (last && id !== undefined) await kv.delete(attemptsKey(id));
      if (last) {
        await options.onDropped?.(ctx, activity).catch((failure: unknown) => {
          log(`coursefed: inbox: after dropping ${id}: ${(failure as Error).message}`);
        });
      }
      throw error;
    }
  };
}

/** A delay as the log says it: "30 s", "5 min". */
function spoken(delay: Temporal.Duration): string {
  const seconds = Math.round(delay.total("second"));
  return seconds < 60 ? `${seconds} s` : `${Math.round(seconds / 60)} min`;
}

function attemptsKey(activityId: string): readonly [string, string, string] {
  return ["coursefed", "inbox-attempts", activityId];
}

async function countAttempt(
  kv: KvStore,
  activityId: string,
  schedule: InboxRetrySchedule,
): Promise<number> {
  const attempt = ((await kv.get<number>(attemptsKey(activityId))) ?? 0) + 1;
  await kv.set(attemptsKey(activityId), attempt, { ttl: attemptsKept(schedule) });
  return attempt;
}
