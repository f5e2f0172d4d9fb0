import { createFederation, type Federation, type KvStore, type MessageQueue } from "@fedify/fedify";
import { Accept, Create, Delete, Follow, Reject, Undo, Update } from "@fedify/vocab";
import { registerActors } from "./actor.ts";
import type { FederationServices } from "./context.ts";
import { registerCourseObjects } from "./course-object.ts";
import { registerFollowers } from "./followers.ts";
import { onCourseCreateOrUpdate, onCourseDelete } from "./inbox/courses.ts";
import { onAccept, onFollow, onReject, onUndo } from "./inbox/follows.ts";
import { registerNodeInfo } from "./nodeinfo.ts";

export interface NodeFederationOptions {
  readonly kv: KvStore;
  readonly queue: MessageQueue;
  /** The public origin: URLs in objects use it whatever address a request came in on. */
  readonly origin: URL;
  /** Tests run several nodes on loopback, which Fedify refuses to fetch by default. */
  readonly allowPrivateAddress?: boolean;
}

/** The node's Fedify federation, with every dispatcher and listener registered. */
export function createNodeFederation(
  options: NodeFederationOptions,
): Federation<FederationServices> {
  const federation = createFederation<FederationServices>({
    kv: options.kv,
    queue: options.queue,
    origin: options.origin.origin,
    allowPrivateAddress: options.allowPrivateAddress ?? false,
    // The node starts its queue workers itself, with their services and a stop signal.
    manuallyStartQueue: true,
  });
  registerActors(federation);
  registerNodeInfo(federation);
  federation
    .setInboxListeners("/actors/{identifier}/inbox", "/inbox")
    .on(Follow, onFollow)
    .on(Accept, onAccept)
    .on(Reject, onReject)
    .on(Undo, onUndo)
    .on(Create, onCourseCreateOrUpdate)
    .on(Update, onCourseCreateOrUpdate)
    .on(Delete, onCourseDelete);
  registerFollowers(federation);
  registerCourseObjects(federation);
  return federation;
}
