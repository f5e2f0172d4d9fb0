import type { RemoteActor } from "../actors/remote-actors.ts";
import type { FollowRepository } from "../follows/follow-repository.ts";
import type { CatalogEvents } from "./catalog-events.ts";
import type { CatalogRepository, ReceivedCourse } from "./catalog-repository.ts";

/** How long a publisher's name and handle are kept before they are read again. */
const AUTHOR_REFRESH_MS = 24 * 3600 * 1000;

/** What keeping received courses uses: the catalog, the remote actors, the events. */
export interface CatalogStores {
  readonly catalog: CatalogRepository;
  readonly follows: FollowRepository;
  readonly catalogEvents: CatalogEvents;
}

/** How a verified course arrived, and who published it. */
export interface CourseArrival {
  /** Delivered to the inbox (a Create, Update or Announce), not read back from an outbox. */
  readonly delivered?: boolean;
  readonly announcedBy?: string | undefined;
  /**
   * The publisher as the node keeps remote actors; asked for only when its name and
   * handle are due to be read again, since its handle costs a WebFinger lookup;
   * undefined for a publisher that names no inbox, which is not kept.
   */
  readonly describeAuthor: () => Promise<Omit<RemoteActor, "fetchedAt"> | undefined>;
}

/**
 * Keeps a course of another node in the catalog, once federation/ has shown it to be its
 * publisher's (attributed, signed manifest from the publisher's own server). The catalog
 * shows the publisher's name and handle (a teacher's courses often arrive announced by
 * their institution, the actor followed), read again once a day at most. A delivered new
 * course or revision goes to whoever listens for it (the auto-restore rules). Returns
 * whether it was kept.
 */
export async function keepReceivedCourse(
  services: CatalogStores,
  course: ReceivedCourse,
  arrival: CourseArrival,
): Promise<boolean> {
  const held = await services.catalog.catalogEntry(course.objectUri);
  const kept = await services.catalog.receive(course);
  if (kept) {
    const known = await services.follows.remoteActor(course.actorUri);
    if (!known || known.fetchedAt <= Date.now() - AUTHOR_REFRESH_MS) {
      const author = await arrival.describeAuthor();
      if (author) await services.follows.rememberActor(author);
    }
  }
  const arrivedNewer = !held || course.manifest.revision > held.revision;
  if (kept && arrivedNewer && arrival.delivered) {
    await services.catalogEvents.revisionReceived({
      objectUri: course.objectUri,
      revision: course.manifest.revision,
      actorUri: course.actorUri,
      announcedBy: arrival.announcedBy,
      tags: course.tags,
      isNew: !held,
    });
  }
  return kept;
}

/**
 * A course withdrawn leaves the catalog (kept as a tombstone; restored copies stay). Its
 * publisher may withdraw it, and so may another actor of the publisher's own server — the
 * institution that announced a teacher's course tells its own followers. That server
 * holds both actors' keys and serves the course, so it is the authority on it anyway; an
 * actor of any other server (a booster, a third party) is never heard on it.
 */
export async function withdrawReceivedCourse(
  services: Pick<CatalogStores, "catalog">,
  objectUri: string,
  senderUri: string,
): Promise<void> {
  const entry = await services.catalog.catalogEntry(objectUri);
  if (!entry) return;
  const sender = new URL(senderUri);
  if (sender.href !== entry.actorUri && sender.origin !== new URL(entry.actorUri).origin) return;
  await services.catalog.tombstone(entry.objectUri, entry.actorUri);
}
