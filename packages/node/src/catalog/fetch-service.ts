import type { BlobStore, StoredBlob } from "../blobs/blob-store.ts";
import { downloadResumably, type RequestSigner } from "../blobs/resumable-download.ts";
import { CodedError } from "../coded-error.ts";
import { federatesWith } from "../settings/federation-policy.ts";
import type { NodeSettings } from "../settings/node-settings.ts";
import type { CatalogRepository } from "./catalog-repository.ts";

export class FetchError extends CodedError<
  "NOT_IN_CATALOG" | "NO_SUCH_REVISION" | "WITHDRAWN" | "FOREIGN_ARCHIVE" | "NOT_FEDERATED"
> {
  override readonly name = "FetchError";
}

/** What fetching an archive uses: the catalog, the blob store, the policy, a signature. */
export interface ArchiveFetchStores {
  readonly catalog: CatalogRepository;
  readonly blobs: BlobStore;
  readonly settings: NodeSettings;
  /**
   * Signs requests as the institution, so that a followers-only course's server can see
   * we follow its author. Asked for only when a download is needed; federation/ makes it.
   */
  readonly institutionSigner: () => Promise<RequestSigner>;
  /** Whether the publisher's server may be on a private or loopback address. */
  readonly allowPrivateAddresses: boolean;
}

/**
 * Brings the archive of a course in the catalog (its latest revision, or the one asked
 * for) into the local blob store: resumed if an earlier attempt was cut, and kept only if
 * its sha256 is the one the signed manifest gave.
 */
export async function fetchCatalogArchive(
  services: ArchiveFetchStores,
  objectUri: string,
  revisionNumber?: number,
): Promise<StoredBlob & { revision: number }> {
  const entry = await services.catalog.catalogEntry(objectUri);
  if (!entry)
    throw new FetchError(
      "NOT_IN_CATALOG",
      `${objectUri} is not in this node's catalog; follow its publisher first.`,
    );
  if (entry.deletedAt !== null)
    throw new FetchError("WITHDRAWN", `${objectUri} was withdrawn by its publisher.`);
  const revision = await services.catalog.catalogRevision(
    objectUri,
    revisionNumber ?? entry.revision,
  );
  if (!revision) {
    const held = await services.catalog.catalogRevisions(objectUri);
    throw new FetchError(
      "NO_SUCH_REVISION",
      `This node has not received revision ${revisionNumber} of ${objectUri}; revisions held: ${held.map((each) => each.revision).join(", ")}.`,
    );
  }
  const held = await services.blobs.has(revision.sha256);
  if (held) return { ...held, revision: revision.revision };
  const archive = new URL(revision.archiveUrl);
  // The archive must come from the publisher's own server, like its manifest.
  if (archive.origin !== new URL(entry.actorUri).origin) {
    throw new FetchError(
      "FOREIGN_ARCHIVE",
      `The archive of ${objectUri} is not on its publisher's server; refusing to fetch it.`,
    );
  }
  if (!federatesWith(await services.settings.federationPolicy(), archive)) {
    throw new FetchError("NOT_FEDERATED", `This node does not federate with ${archive.hostname}.`);
  }
  const sign = await services.institutionSigner();
  const stored = await services.blobs.download(revision.sha256, (partial) =>
    downloadResumably(archive, partial, revision.sha256, {
      sign,
      size: revision.size,
      allowPrivateAddresses: services.allowPrivateAddresses,
    }),
  );
  return { ...stored, revision: revision.revision };
}
