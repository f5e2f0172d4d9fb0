import {
  type BackupDiff,
  diffHeadline,
  HEADLINE_LANGUAGES,
  type HeadlineLanguage,
  MbzError,
} from "@coursefed/mbz";
import { diffStoredArchives } from "../blobs/archive-diff.ts";
import type { BlobStore } from "../blobs/blob-store.ts";
import { CodedError } from "../coded-error.ts";
import { type CourseReaders, mayRead } from "./access.ts";
import type { CourseRevision } from "./course-repository.ts";

export class CourseChangesError extends CodedError<
  "COURSE_NOT_FOUND" | "NO_SUCH_REVISION" | "ARCHIVE_MISSING"
> {
  override readonly name = "CourseChangesError";
}

/**
 * The sentence an Update carries when a new revision is published: what changed since
 * the previous one, from the two archives this node holds, in each language the node
 * speaks (the Update's summaryMap). Null for a first revision, and when the previous
 * archive is gone or unreadable: the revision is published all the same, only without
 * the sentence.
 */
export async function changesSincePrevious(
  blobs: BlobStore,
  previous: CourseRevision | undefined,
  sha256: string,
): Promise<Record<HeadlineLanguage, string> | null> {
  if (!previous || !(await blobs.has(previous.sha256))) return null;
  try {
    const diff = await diffStoredArchives(blobs, previous.sha256, sha256);
    return Object.fromEntries(
      HEADLINE_LANGUAGES.map((language) => [language, diffHeadline(diff, language)]),
    ) as Record<HeadlineLanguage, string>;
  } catch (error) {
    if (error instanceof MbzError) return null;
    throw error;
  }
}

/** Someone of this node asking about one of its courses: a token's actor and role. */
export interface CourseChangesReader {
  readonly actorId: number;
  readonly admin: boolean;
}

/**
 * What changed between two revisions of a course published here. Its author and admins
 * may ask about any course of theirs; others about a course they may read. A course
 * they may not read is not found, as elsewhere.
 */
export async function ownCourseChanges(
  services: CourseReaders & { readonly blobs: BlobStore },
  reader: CourseChangesReader,
  courseId: string,
  from: number,
  to: number,
): Promise<{ course: string; from: number; to: number; diff: BackupDiff }> {
  const course = await services.courses.course(courseId);
  const visible =
    course &&
    course.deletedAt === null &&
    (reader.admin ||
      course.actorId === reader.actorId ||
      (await mayRead(services, course, undefined)));
  if (!course || !visible) {
    throw new CourseChangesError("COURSE_NOT_FOUND", `There is no course ${courseId} here.`);
  }
  const revisions = await services.courses.revisions(courseId);
  const pick = async (number: number) => {
    const revision = revisions.find((each) => each.revision === number);
    if (!revision) {
      throw new CourseChangesError(
        "NO_SUCH_REVISION",
        `Course ${courseId} has no revision ${number}; its revisions are ${revisions
          .map((each) => each.revision)
          .sort((a, b) => a - b)
          .join(", ")}.`,
      );
    }
    if (!(await services.blobs.has(revision.sha256))) {
      throw new CourseChangesError(
        "ARCHIVE_MISSING",
        `The archive of revision ${number} of course ${courseId} is no longer on this node; its changes cannot be shown.`,
      );
    }
    return revision;
  };
  const older = await pick(from);
  const newer = await pick(to);
  return {
    course: courseId,
    from,
    to,
    diff: await diffStoredArchives(services.blobs, older.sha256, newer.sha256),
  };
}
