import type { BackupDiff } from "@coursefed/mbz";
import { diffStoredArchives } from "../blobs/archive-diff.ts";
import { BlobDigestError } from "../blobs/blob-store.ts";
import { DownloadError } from "../blobs/resumable-download.ts";
import { CodedError } from "../coded-error.ts";
import { type ArchiveFetchStores, fetchCatalogArchive } from "./fetch-service.ts";

export class ChangesError extends CodedError<"ARCHIVE_UNAVAILABLE"> {
  override readonly name = "ChangesError";
}

/** What changed between two revisions of a course: which ones, and the diff. */
export interface RevisionChanges {
  readonly object: string;
  readonly from: number;
  readonly to: number;
  readonly diff: BackupDiff;
}

/**
 * What changed between two revisions of a catalog course, worked out from their
 * archives: each is brought here through the digest-verified fetch if it is not here
 * already (and kept, as any fetched archive is). The refusals of fetching stand (not in
 * the catalog, no such revision, withdrawn); an archive its publisher no longer serves
 * is ARCHIVE_UNAVAILABLE, naming the revision.
 */
export async function catalogChanges(
  services: ArchiveFetchStores,
  objectUri: string,
  from: number,
  to: number,
): Promise<RevisionChanges> {
  // A revision never received is refused before anything is downloaded.
  for (const revision of [from, to]) {
    if (!(await services.catalog.catalogRevision(objectUri, revision)))
      await fetchCatalogArchive(services, objectUri, revision);
  }
  const older = await fetchRevision(services, objectUri, from);
  const newer = await fetchRevision(services, objectUri, to);
  return {
    object: objectUri,
    from,
    to,
    diff: await diffStoredArchives(services.blobs, older.sha256, newer.sha256),
  };
}

async function fetchRevision(services: ArchiveFetchStores, objectUri: string, revision: number) {
  try {
    return await fetchCatalogArchive(services, objectUri, revision);
  } catch (error) {
    if (error instanceof DownloadError || error instanceof BlobDigestError) {
      throw new ChangesError(
        "ARCHIVE_UNAVAILABLE",
        `The archive of revision ${revision} of ${objectUri} is not on this node and its publisher did not give it (${error.message}); the changes cannot be shown until it does.`,
      );
    }
    throw error;
  }
}
