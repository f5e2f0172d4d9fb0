import type { CourseManifest } from "../manifests/course-manifest.ts";
import type { RestorePermissionStores } from "./restore-permissions.ts";

/** Someone who published on the network, as this node last saw them. */
export interface OriginPublisher {
  readonly actor: string | null;
  readonly name: string | null;
  readonly handle: string | null;
}

/** How many activities of one kind (Moodle module name) the two revisions hold. */
export interface ActivityChange {
  readonly module: string;
  readonly before: number;
  readonly after: number;
}

/**
 * What a newer revision changes in what the Moodle course got, as the two signed manifests
 * tell: publishers write no changelog, so this is what can be known without downloading.
 */
export interface RevisionChanges {
  readonly title: { readonly before: string; readonly after: string } | null;
  readonly sections: { readonly before: number; readonly after: number } | null;
  readonly activities: readonly ActivityChange[];
  readonly size: { readonly before: number; readonly after: number };
  /** The course's summary as its publisher last sent it (sanitized HTML). */
  readonly summary: string | null;
}

/** Where a Moodle course restored from the network came from, and whether it is behind. */
export interface CourseOrigin {
  readonly object: string;
  readonly title: string;
  readonly institution: OriginPublisher & { readonly host: string };
  /** The course's author when it is a teacher (a Person), not the institution itself. */
  readonly teacher: OriginPublisher | null;
  readonly revision: number;
  readonly restoredAt: number;
  readonly latestRevision: number;
  /** A newer revision than the one restored is here, and the course was not withdrawn. */
  readonly updateAvailable: boolean;
  readonly withdrawn: boolean;
  /** From the restored revision to the latest; null when there is no newer one. */
  readonly changes: RevisionChanges | null;
}

/**
 * The origin of a Moodle course of a target, from the lineage restores record: undefined
 * for a course no restore of this node made (or whose catalog course is gone).
 */
export async function originOf(
  services: RestorePermissionStores,
  targetId: number,
  moodleCourseId: number,
): Promise<CourseOrigin | undefined> {
  const lineage = await services.restores.lineageOf(targetId, moodleCourseId);
  if (!lineage) return undefined;
  const entry = await services.catalog.catalogEntry(lineage.objectUri);
  if (!entry) return undefined;
  const publisher = (await services.catalog.catalogPublishers([entry.actorUri])).get(
    entry.actorUri,
  );
  const author = publisher?.author;
  const withdrawn = entry.deletedAt !== null;
  const newer = entry.revision > lineage.revision;
  const changes = newer
    ? await changesBetween(services, entry.objectUri, lineage.revision, entry.revision)
    : null;
  return {
    object: entry.objectUri,
    title: entry.title,
    institution: {
      actor: publisher?.institution?.uri ?? null,
      name: publisher?.institution?.name ?? null,
      handle: publisher?.institution?.handle ?? null,
      host: new URL(entry.actorUri).host,
    },
    teacher:
      author && author.type === "Person"
        ? { actor: author.uri, name: author.name, handle: author.handle }
        : null,
    revision: lineage.revision,
    restoredAt: lineage.restoredAt,
    latestRevision: entry.revision,
    updateAvailable: newer && !withdrawn,
    withdrawn,
    changes: changes ? { ...changes, summary: entry.summary } : null,
  };
}

async function changesBetween(
  services: RestorePermissionStores,
  objectUri: string,
  from: number,
  to: number,
): Promise<Omit<RevisionChanges, "summary"> | null> {
  const [before, after] = await Promise.all([
    services.catalog.catalogRevision(objectUri, from),
    services.catalog.catalogRevision(objectUri, to),
  ]);
  if (!after) return null;
  const next = after.manifest as unknown as CourseManifest;
  // The restored revision may be one this node no longer holds: only the latest is told.
  const previous = before?.manifest as unknown as CourseManifest | undefined;
  const modules = new Set([
    ...Object.keys(previous?.activities ?? {}),
    ...Object.keys(next.activities ?? {}),
  ]);
  const activities = [...modules]
    .sort()
    .map((module) => ({
      module,
      before: previous?.activities?.[module] ?? 0,
      after: next.activities?.[module] ?? 0,
    }))
    .filter((change) => change.before !== change.after);
  return {
    title:
      previous && previous.course.fullname !== next.course.fullname
        ? { before: previous.course.fullname, after: next.course.fullname }
        : null,
    sections:
      previous && previous.sections !== next.sections
        ? { before: previous.sections, after: next.sections }
        : null,
    activities: previous ? activities : [],
    size: { before: before?.size ?? after.size, after: after.size },
  };
}
