import type { LocalActor } from "../actors/local-actors.ts";
import {
  type CourseMetadata,
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
  options: { readonly courseId?: string; readonly sanitize?: boolean },
) {
  const published = await publishCourse(
    services,
    actor,
    services.blobs.pathOf(upload.sha256),
    metadata,
    options,
  );
  await upload.forget();
  await discardUnusedArchive(holders, services.blobs, upload.sha256);
  return published;
}
