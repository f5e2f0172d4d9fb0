import { type Actor, getActorHandle, type Recipient } from "@fedify/vocab";
import type { RemoteActor } from "../actors/remote-actors.ts";

/** The part of a fetched actor the node keeps. */
export async function describeRemoteActor(actor: Actor): Promise<Omit<RemoteActor, "fetchedAt">> {
  if (!actor.id || !actor.inboxId) {
    throw new Error("A remote actor without an id or inbox cannot be followed or answered.");
  }
  let handle: string | null = null;
  try {
    handle = (await getActorHandle(actor)).replace(/^@/, "");
  } catch {
    // Some servers publish no WebFinger; the URI still identifies the actor.
  }
  // Fedify gives "user@" for a server it cannot ask over https (one on an intranet or
  // loopback address, with a port): the actor's own host completes it.
  if (handle !== null && !/^[^@\s]+@[^@\s]+$/.test(handle)) {
    handle = actor.preferredUsername ? `${actor.preferredUsername}@${actor.id.host}` : null;
  }
  return {
    uri: actor.id.href,
    handle,
    type: actor.constructor.name,
    name: actor.name?.toString() ?? null,
    inbox: actor.inboxId.href,
    sharedInbox: actor.endpoints?.sharedInbox?.href ?? null,
  };
}

/** Where to deliver to a remembered actor. */
export function recipientOf(actor: Pick<RemoteActor, "uri" | "inbox" | "sharedInbox">): Recipient {
  return {
    id: new URL(actor.uri),
    inboxId: new URL(actor.inbox),
    endpoints: actor.sharedInbox ? { sharedInbox: new URL(actor.sharedInbox) } : null,
  };
}
