import type { ArchiveFetchStores } from "../catalog/fetch-service.ts";
import { catalogChanges, type RevisionChanges } from "../catalog/revision-changes.ts";
import { CodedError } from "../coded-error.ts";
import type { RestorePermissionStores } from "./restore-permissions.ts";

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
  const lineage = await services.restores.lineageOf(target.id, destination.moodleCourseId);
  if (!lineage || lineage.objectUri !== objectUri) return null;
  const to = revision ?? (await services.catalog.catalogEntry(objectUri))?.revision;
  if (to === undefined || to === lineage.revision) return null;
  return await catalogChanges(services, objectUri, lineage.revision, to);
}
