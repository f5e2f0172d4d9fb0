import { MoodleError } from "@coursefed/moodle";
import type { LocalActor } from "../actors/local-actors.ts";
import { CodedError } from "../coded-error.ts";
import { type CourseMetadata, PublishError, withdrawCourse } from "../courses/publish-service.ts";
import { readOwnManifest } from "../manifests/course-manifest.ts";
import type { Visibility } from "../vocabulary/visibility.ts";
import { type PublishFromMoodleStores, publishFromMoodle } from "./publish-from-moodle.ts";
import { isFinished, type ShareJob, type ShareJobRepository } from "./share-jobs.ts";

/** A share job's message on the queue's "share" channel. */
export interface ShareMessage {
  readonly type: "share";
  readonly jobId: string;
}

/**
 * Where share jobs wait for a worker: a durable queue, so that a job asked for survives a
 * restart of the node (a job cut by one starts again from the backup when its message is
 * taken again).
 */
export interface ShareQueue {
  enqueue(message: ShareMessage, options: { readonly orderingKey: string }): Promise<void>;
}

export interface ShareStores extends PublishFromMoodleStores {
  readonly shareJobs: ShareJobRepository;
  readonly shareQueue: ShareQueue;
}

/** Who shares: a Moodle site acting for one of its users, whose teacher actor publishes. */
export interface SiteSharer {
  readonly targetId: number;
  readonly targetName: string;
  readonly actor: LocalActor;
  /** For people: the Moodle user and the site, e.g. "Ada Lovelace on campus-moodle". */
  readonly requestedBy: string;
}

export class ShareError extends CodedError<
  "NOT_SHARED" | "SHARED_BY_SOMEONE_ELSE" | "SHARE_UNDER_WAY"
> {
  override readonly name = "ShareError";
}

/** What a site sees of one of its courses on the network. */
export interface SharingState {
  readonly shared: boolean;
  /** The course as published (still shown when withdrawn, with `withdrawnAt`). */
  readonly course: {
    readonly id: string;
    readonly title: string;
    readonly summary: string | null;
    readonly tags: readonly string[];
    readonly license: string | null;
    readonly visibility: Visibility;
    readonly revision: number;
    readonly publishedAt: string;
    readonly url: string;
    readonly author: string;
  } | null;
  readonly withdrawnAt: string | null;
  /** The catalog course this one was restored from, as its manifest names it. */
  readonly derivedFrom: { readonly object: string; readonly revision: number } | null;
  /** The latest share of the course, under way or finished (kept a month). */
  readonly job: ShareJob | null;
}

/**
 * Asks for a Moodle course to be shared: a job is queued (or the one under way for the
 * same course given back: a course is backed up once at a time). A course shared by
 * another teacher of the site stays theirs: its changes are theirs to share.
 */
export async function requestShare(
  services: ShareStores,
  sharer: SiteSharer,
  moodleCourseId: number,
  metadata: CourseMetadata,
): Promise<{ readonly job: ShareJob; readonly underWay: boolean }> {
  const latest = await services.shareJobs.latestOf(sharer.targetId, moodleCourseId);
  if (latest && !isFinished(latest)) return { job: latest, underWay: true };
  const published = await publishedCourse(services, sharer.targetId, moodleCourseId);
  if (published && published.actorId !== sharer.actor.id) {
    throw await sharedBySomeoneElse(services, published.actorId);
  }
  const job = await services.shareJobs.create({
    targetId: sharer.targetId,
    moodleCourseId,
    actorId: sharer.actor.id,
    requestedBy: sharer.requestedBy,
    metadata,
  });
  await services.shareQueue.enqueue(
    { type: "share", jobId: job.id },
    { orderingKey: `${sharer.targetId}/${moodleCourseId}` },
  );
  return { job, underWay: false };
}

/**
 * Runs a share job: the site backs the course up, the node scans and publishes it. Every
 * outcome is written to the job, never thrown: a teacher reads it on the course's page,
 * and a share that failed is asked for again by hand (the queue does not retry it).
 */
export async function runShareJob(services: ShareStores, message: ShareMessage): Promise<void> {
  const job = await services.shareJobs.job(message.jobId);
  if (!job || isFinished(job)) return;
  const fail = async (errorCode: string, text: string, findings: ShareJob["findings"] = []) =>
    void (await services.shareJobs.update(job.id, {
      state: "failed",
      errorCode,
      message: text,
      findings,
    }));
  const target = await services.moodleTargets.byId(job.targetId);
  const actor = await services.actors.byId(job.actorId);
  if (!target || !actor) {
    return await fail(
      "target_not_found",
      "The Moodle site was removed from the node, or its teacher account, while the share waited.",
    );
  }
  try {
    const { course, revision } = await publishFromMoodle(
      services,
      actor,
      { targetName: target.name, moodleCourseId: job.moodleCourseId },
      job.metadata,
      async (step) => void (await services.shareJobs.update(job.id, { state: step })),
    );
    await services.shareJobs.update(job.id, {
      state: "done",
      message: null,
      course: { id: course.id, revision: revision.revision },
    });
  } catch (error) {
    if (error instanceof MoodleError) {
      return await fail(`moodle_${error.code.toLowerCase()}`, error.message);
    }
    if (error instanceof PublishError) {
      return await fail(error.code.toLowerCase(), error.message, error.findings);
    }
    console.error(error);
    await fail("internal", "Something went wrong on the node; the error is in its log.");
  }
}

/** A Moodle course's sharing state, as its site's pages show it. */
export async function sharingState(
  services: ShareStores & { readonly origin: string },
  targetId: number,
  moodleCourseId: number,
): Promise<SharingState> {
  const job = (await services.shareJobs.latestOf(targetId, moodleCourseId)) ?? null;
  const courseId = await services.restores.publishedFrom(targetId, moodleCourseId);
  const course = courseId ? await services.courses.course(courseId) : undefined;
  const revision = course ? await services.courses.latestRevision(course.id) : undefined;
  if (!course || !revision) {
    return { shared: false, course: null, withdrawnAt: null, derivedFrom: null, job };
  }
  const author = await services.actors.byId(course.actorId);
  return {
    shared: course.deletedAt === null,
    course: {
      id: course.id,
      title: course.title,
      summary: course.summary,
      tags: course.tags,
      license: course.license,
      visibility: course.visibility,
      revision: revision.revision,
      publishedAt: new Date(revision.publishedAt).toISOString(),
      url: new URL(`/courses/${course.id}`, services.origin).href,
      author: author?.name ?? "",
    },
    withdrawnAt: course.deletedAt === null ? null : new Date(course.deletedAt).toISOString(),
    derivedFrom: readOwnManifest(revision.manifest).derivedFrom,
    job,
  };
}

/** Withdraws the course a Moodle course was shared as; followers are told it is gone. */
export async function withdrawShare(
  services: ShareStores,
  sharer: SiteSharer,
  moodleCourseId: number,
): Promise<void> {
  const latest = await services.shareJobs.latestOf(sharer.targetId, moodleCourseId);
  if (latest && !isFinished(latest)) {
    throw new ShareError(
      "SHARE_UNDER_WAY",
      "A share of this course is under way: wait until it is done, then withdraw it.",
    );
  }
  const published = await publishedCourse(services, sharer.targetId, moodleCourseId);
  if (!published) {
    throw new ShareError("NOT_SHARED", "This course is not shared on the network.");
  }
  if (published.actorId !== sharer.actor.id) {
    throw await sharedBySomeoneElse(services, published.actorId);
  }
  await withdrawCourse(services, sharer.actor, published.id);
}

/** The course a Moodle course is shared as, unless it was withdrawn. */
async function publishedCourse(services: ShareStores, targetId: number, moodleCourseId: number) {
  const courseId = await services.restores.publishedFrom(targetId, moodleCourseId);
  const course = courseId ? await services.courses.course(courseId) : undefined;
  return course && course.deletedAt === null ? course : undefined;
}

async function sharedBySomeoneElse(services: ShareStores, authorId: number): Promise<ShareError> {
  const author = await services.actors.byId(authorId);
  return new ShareError(
    "SHARED_BY_SOMEONE_ELSE",
    `This course was shared by ${author?.name ?? "another teacher"}: only they may share its changes or withdraw it.`,
  );
}
