import type { LocalActor } from "../actors/local-actors.ts";
import {
  type CourseMetadata,
  PublishError,
  type PublishStores,
  publishCourse,
} from "../courses/publish-service.ts";
import type { MoodleTargetRepository } from "../moodle-targets/target-repository.ts";
import { withStagingDirectory } from "../staging-directories.ts";
import type { RestoreRepository } from "./restore-repository.ts";

/** What publishing from Moodle uses: the targets, their lineage, and publishing. */
export interface PublishFromMoodleStores extends PublishStores {
  readonly moodleTargets: MoodleTargetRepository;
  readonly restores: RestoreRepository;
}

/** The steps of publishing from Moodle, in order, as a share job shows them. */
export type PublishFromMoodleStep = "backing-up" | "scanning" | "publishing";

/**
 * Publishes a course of a Moodle target: the site makes a backup without user data, which
 * is scanned (it must come out clean) and published like an upload. Publishing the same
 * Moodle course again makes a new revision of the same object (a new object once that one
 * was withdrawn: followers were told it is gone); a course restored from the catalog names
 * its source in the manifest (`derivedFrom`), so the lineage is kept.
 */
export async function publishFromMoodle(
  services: PublishFromMoodleStores,
  actor: LocalActor,
  source: { readonly targetName: string; readonly moodleCourseId: number },
  metadata: CourseMetadata,
  onProgress?: (step: PublishFromMoodleStep) => Promise<void>,
) {
  const target = await services.moodleTargets.byName(source.targetName);
  if (!target) {
    throw new PublishError(
      "NO_SUCH_TARGET",
      `There is no Moodle target named ${source.targetName}; see coursefed moodle list.`,
    );
  }
  const publishedAs = await services.restores.publishedFrom(target.id, source.moodleCourseId);
  const previous =
    publishedAs && (await services.courses.course(publishedAs))?.deletedAt === null
      ? publishedAs
      : undefined;
  const lineage = await services.restores.lineageOf(target.id, source.moodleCourseId);
  return await withStagingDirectory("moodle-backup", async (workDir) => {
    await onProgress?.("backing-up");
    const backup = await services.moodleTargets
      .driverOf(target)
      .backup({ courseId: source.moodleCourseId, outputDirectory: workDir });
    const published = await publishCourse(services, actor, backup.path, metadata, {
      ...(previous ? { courseId: previous } : {}),
      ...(lineage
        ? { derivedFrom: { object: lineage.objectUri, revision: lineage.revision } }
        : {}),
      ...(onProgress ? { onProgress } : {}),
    });
    await services.restores.recordPublication(
      target.id,
      source.moodleCourseId,
      published.course.id,
    );
    return published;
  });
}
