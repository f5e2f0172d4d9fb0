import {
  createFederation,
  type Federation,
  type FederationQueueOptions,
  type InboxContext,
  type KvStore,
  type MessageQueue,
} from "@fedify/fedify";
import {
  Accept,
  type Activity,
  Announce,
  Create,
  Delete,
  Flag,
  Follow,
  Move,
  Reject,
  Undo,
  Update,
} from "@fedify/vocab";
import { federatesWith } from "../settings/federation-policy.ts";
import { registerActors } from "./actor.ts";
import { markSenderBehind } from "./catch-up.ts";
import type { FederationServices } from "./context.ts";
import { registerCourseObjects } from "./course-object.ts";
import { deliveryRetryPolicy } from "./delivery-retry.ts";
import { DELIVERY_KV_PREFIXES } from "./direct-delivery.ts";
import type { FirstKnock } from "./first-knock.ts";
import { registerFollowers, registerFollowing } from "./followers.ts";
import { onDelete, onMove } from "./inbox/actors.ts";
import { onCourseAnnounce, onCourseCreateOrUpdate } from "./inbox/courses.ts";
import { answersToReportsOr, onFlag } from "./inbox/flags.ts";
import { onAccept, onFollow, onReject, onUndo } from "./inbox/follows.ts";
import {
  INBOX_RETRY_SCHEDULE,
  type InboxRetrySchedule,
  inboxRetryPolicy,
  loggingInboxFailures,
} from "./inbox-retry.ts";
import { registerNodeInfo } from "./nodeinfo.ts";
import { registerOutbox } from "./outbox.ts";
import type { SignedRequester } from "./signed-requester.ts";

export interface NodeFederationOptions {
  readonly kv: KvStore;
  readonly queue: MessageQueue | FederationQueueOptions;
  /** The public origin: URLs in objects use it whatever address a request came in on. */
  readonly origin: URL;
  /** Tests run several nodes on loopback, which Fedify refuses to fetch by default. */
  readonly allowPrivateAddress?: boolean;
  /** Called for each failed delivery (Fedify retries it later). */
  readonly onDeliveryError?: (error: Error) => void;
  /** The HTTP signature scheme tried first with a server not met before. */
  readonly firstKnock?: FirstKnock;
  /** When a failed incoming activity is tried again: INBOX_RETRY_SCHEDULE unless given. */
  readonly inboxRetrySchedule?: InboxRetrySchedule | undefined;
  /** Who signed a read, with the node's kept keys: the outbox and course objects ask it. */
  readonly signedRequester: SignedRequester;
}

export const SIGNATURE_SPECS = {
  rfc9421: "rfc9421",
  "draft-cavage": "draft-cavage-http-signatures-12",
} as const;

/**
 * Drops activities from actors on servers the federation policy excludes (the HTTP
 * guard already refuses their signed requests; this covers an actor whose key is
 * hosted elsewhere), and from actors an admin blocked from a report.
 */
function fromAllowedServers<A extends Activity>(
  handler: (ctx: InboxContext<FederationServices>, activity: A) => Promise<void>,
): (ctx: InboxContext<FederationServices>, activity: A) => Promise<void> {
  return async (ctx, activity) => {
    const actor = activity.actorId;
    if (!actor || !federatesWith(await ctx.data.settings.federationPolicy(), actor)) return;
    if (await ctx.data.blockedActors.has(actor.href)) {
      // Its server is still let in, so what it sends arrives: the log says why it went
      // no further (an admin asking where a course is, a test that it stayed out).
      console.info(
        `coursefed: inbox: ${activity.id?.href ?? "an activity"} from ${actor.href} is dropped: an admin blocked that actor from a report.`,
      );
      return;
    }
    await handler(ctx, activity);
  };
}

/** The node's Fedify federation, with every dispatcher and listener registered. */
export function createNodeFederation(
  options: NodeFederationOptions,
): Federation<FederationServices> {
  const schedule = options.inboxRetrySchedule ?? INBOX_RETRY_SCHEDULE;
  const federation = createFederation<FederationServices>({
    kv: options.kv,
    kvPrefixes: DELIVERY_KV_PREFIXES,
    queue: options.queue,
    origin: options.origin.origin,
    allowPrivateAddress: options.allowPrivateAddress ?? false,
    // The node starts its queue workers itself, with their services and a stop signal.
    manuallyStartQueue: true,
    ...(options.onDeliveryError ? { onOutboxError: options.onDeliveryError } : {}),
    firstKnock: SIGNATURE_SPECS[options.firstKnock ?? "rfc9421"],
    outboxRetryPolicy: deliveryRetryPolicy(),
    inboxRetryPolicy: inboxRetryPolicy(schedule),
  });
  const listener = <A extends Activity>(
    handler: (ctx: InboxContext<FederationServices>, activity: A) => Promise<void>,
  ) => loggingInboxFailures(options.kv, fromAllowedServers(handler), { schedule });
  // A course activity dropped for good leaves the catalog behind its sender: the next
  // catch-up reads the sender's outbox first (catch-up.ts).
  const courseListener = <A extends Activity>(
    handler: (ctx: InboxContext<FederationServices>, activity: A) => Promise<void>,
  ) =>
    loggingInboxFailures<InboxContext<FederationServices>, A>(
      options.kv,
      fromAllowedServers(handler),
      {
        schedule,
        onDropped: markSenderBehind,
      },
    );
  registerActors(federation);
  registerNodeInfo(federation);
  federation
    .setInboxListeners("/actors/{identifier}/inbox", "/inbox")
    .on(Follow, listener(onFollow))
    .on(Accept, listener(onAccept))
    .on(Reject, listener(onReject))
    .on(Undo, listener(onUndo))
    .on(Create, courseListener(answersToReportsOr(onCourseCreateOrUpdate)))
    .on(Flag, listener(onFlag))
    .on(Update, courseListener(onCourseCreateOrUpdate))
    .on(Delete, listener(onDelete))
    .on(Move, listener(onMove))
    .on(Announce, courseListener(onCourseAnnounce));
  registerFollowers(federation);
  registerFollowing(federation);
  registerCourseObjects(federation, options.signedRequester);
  registerOutbox(federation, options.signedRequester);
  return federation;
}
