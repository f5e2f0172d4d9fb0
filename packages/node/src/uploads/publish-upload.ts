import type { LocalActor } from "../actors/local-actors.ts";
import { declaredSource } from "../courses/licence-lineage.ts";
import {
  type CourseMetadata,
  PublishError,
  type PublishStores,
  publishCourse,
} from "../courses/publish-service.ts";
import { discardUnusedArchive, type UploadHolders } from "./abandoned-uploads.ts";

/** An upload waiting to be published, the API's or the web pages': its archive, and how to let it go. */
export interface WaitingUpload {
  readonly sha256: string;
  /** Forgets the upload's record (its archive goes with discardUnusedArchive). */
  forget(): Promise<void>;
}

/**
 * Publishes an upload as a course (or, with `courseId`, a new revision of one), then lets
 * the upload go at once: its record, and its archive unless a course or another upload
 * holds it (the original of a backup published sanitized holds the personal data that
 * was removed). A refused upload stays, to be published again or swept.
 */
export async function publishUpload(
  services: PublishStores,
  holders: UploadHolders,
  actor: LocalActor,
  upload: WaitingUpload,
  metadata: CourseMetadata,
  options: {
    readonly courseId?: string;
    readonly sanitize?: boolean;
    /** The course this one adapts (ours or in our catalog), its latest revision unless given. */
    readonly derivedFrom?: { readonly object: string; readonly revision?: number | undefined };
  },
) {
  const { derivedFrom: declared, ...rest } = options;
  const derivedFrom = declared
    ? await declaredSource(services, declared.object, declared.revision)
    : undefined;
  if (declared && !derivedFrom) {
    throw new PublishError(
      "UNKNOWN_SOURCE",
      `${declared.object}${declared.revision ? ` (revision ${declared.revision})` : ""} is neither a course of this node nor one in its catalog: name the course you adapted as the catalog lists it (coursefed catalog --object URL).`,
    );
  }
  const published = await publishCourse(
    services,
    actor,
    services.blobs.pathOf(upload.sha256),
    metadata,
    { ...rest, ...(derivedFrom ? { derivedFrom } : {}) },
  );
  await upload.forget();
  await discardUnusedArchive(holders, services.blobs, upload.sha256);
  return published;
}
