import { type BackupDiff, MbzError } from "@coursefed/mbz";
import type { RestoreDestination } from "@coursefed/moodle";
import { BlobDigestError } from "../blobs/blob-store.ts";
import { DownloadError } from "../blobs/resumable-download.ts";
import { type ArchiveFetchStores, FetchError } from "../catalog/fetch-service.ts";
import { ChangesError, catalogChanges, type RevisionChanges } from "../catalog/revision-changes.ts";
import { CodedError } from "../coded-error.ts";
import type { MoodleTarget } from "../moodle-targets/target-repository.ts";
import type { RestorePermissionStores } from "./restore-permissions.ts";
import type { RestoreJob } from "./restore-repository.ts";

export class UpdateChangesError extends CodedError<"NO_SUCH_TARGET"> {
  override readonly name = "UpdateChangesError";
}

/**
 * What restoring `revision` (the latest by default) of a catalog course into an existing
 * Moodle course would change, when that Moodle course was restored from the same catalog
 * course: from the revision it holds, as the lineage of restores records it. Null when it
 * holds another course, none this node restored, or already that revision. Asked before
 * an update is applied, so that the person sees what it brings first.
 */
export async function changesBeforeUpdate(
  services: ArchiveFetchStores & RestorePermissionStores,
  destination: { readonly targetName: string; readonly moodleCourseId: number },
  objectUri: string,
  revision?: number,
): Promise<RevisionChanges | null> {
  const target = await services.moodleTargets.byName(destination.targetName);
  if (!target) {
    throw new UpdateChangesError(
      "NO_SUCH_TARGET",
      `There is no Moodle target named ${destination.targetName}; see coursefed moodle list.`,
    );
  }
  const revisions = await updateRevisions(
    services,
    target,
    destination.moodleCourseId,
    objectUri,
    revision ?? (await services.catalog.catalogEntry(objectUri))?.revision,
  );
  return revisions && (await catalogChanges(services, objectUri, revisions.from, revisions.to));
}

/**
 * The revisions an update goes from (the one the Moodle course holds, as the lineage of
 * restores records it) and to; null when the course holds another catalog course, none
 * this node restored, or already that revision.
 */
async function updateRevisions(
  services: RestorePermissionStores,
  target: MoodleTarget,
  moodleCourseId: number,
  objectUri: string,
  to: number | undefined,
): Promise<{ from: number; to: number } | null> {
  const lineage = await services.restores.lineageOf(target.id, moodleCourseId);
  if (!lineage || lineage.objectUri !== objectUri) return null;
  if (to === undefined || to === lineage.revision) return null;
  return { from: lineage.revision, to };
}

/** The refusals working changes out can meet, said to the person rather than thrown. */
export function isChangesRefusal(error: unknown): error is Error {
  return (
    error instanceof ChangesError ||
    error instanceof FetchError ||
    error instanceof DownloadError ||
    error instanceof BlobDigestError ||
    error instanceof MbzError ||
    error instanceof UpdateChangesError
  );
}

/**
 * What a restore job updating a course records of the update (restore_jobs.changes): the
 * revisions, and the diff or why it could not be worked out (docs/diff-json.md).
 */
export interface JobChanges {
  readonly from: number;
  readonly to: number;
  readonly diff: BackupDiff | null;
  readonly unavailable: string | null;
}

/**
 * What a job updating a Moodle course restored from the same catalog course changes in
 * it, worked out as the job runs, before the lineage moves on to the new revision: kept
 * on the job, so that an update nobody previewed (an auto-restore rule's) shows what it
 * brought. Null for a new course, or a course that holds another catalog course. That the
 * changes cannot be worked out does not stop the restore: the job says why instead.
 */
export async function changesOfUpdateJob(
  services: ArchiveFetchStores & RestorePermissionStores,
  target: MoodleTarget,
  job: RestoreJob,
): Promise<JobChanges | null> {
  const destination = job.destination as unknown as RestoreDestination;
  if (destination.kind !== "existing-course") return null;
  const revisions = await updateRevisions(
    services,
    target,
    destination.courseId,
    job.objectUri,
    job.revision,
  );
  if (!revisions) return null;
  try {
    const { diff } = await catalogChanges(services, job.objectUri, revisions.from, revisions.to);
    return { ...revisions, diff, unavailable: null };
  } catch (error) {
    if (!isChangesRefusal(error)) throw error;
    return { ...revisions, diff: null, unavailable: error.message };
  }
}
