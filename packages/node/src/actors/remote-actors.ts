import type { remoteActors } from "../db/schema.postgres.ts";

/**
 * An actor of another server as this node keeps it (its inboxes, name, handle, type):
 * actors/ holds the remote ones beside the local ones; follows/ keeps them.
 */
export type RemoteActor = typeof remoteActors.$inferSelect;
