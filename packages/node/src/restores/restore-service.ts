import {
  type BackupFacts,
  checkCompatibility,
  courseNameWithin,
  MAX_COURSE_FULL_NAME_CHARS,
  MoodleError,
  type MoodleSiteInfo,
  type NewCourseNames,
  newCourseNames,
  type RestoreDestination,
} from "@coursefed/moodle";
import { BlobDigestError } from "../blobs/blob-store.ts";
import { DownloadError } from "../blobs/resumable-download.ts";
import {
  type ArchiveFetchStores,
  FetchError,
  fetchCatalogArchive,
} from "../catalog/fetch-service.ts";
import { CodedError } from "../coded-error.ts";
import type { CourseManifest } from "../manifests/course-manifest.ts";
import { probeTarget } from "../moodle-targets/probe-target.ts";
import type { MoodleTarget } from "../moodle-targets/target-repository.ts";
import { Temporal } from "../temporal.ts";
import type { ArchiveLink, ArchiveLinks } from "./archive-links.ts";
import {
  checkRestorePermission,
  type RestorePermissionStores,
  type RestorePerson,
  type RestoreRefusal,
} from "./restore-permissions.ts";
import type { RestoreJob } from "./restore-repository.ts";
import { changesOfUpdateJob } from "./update-changes.ts";

/** A restore job's message on the queue's "restore" channel. */
export interface RestoreMessage {
  readonly type: "restore";
  readonly jobId: string;
}

/**
 * After a transient failure (site down, download cut) a job is tried again after each of
 * these delays in turn, then given up as failed: about an hour and a half in all.
 */
export const RESTORE_RETRY_DELAYS_MS = [60_000, 5 * 60_000, 15 * 60_000, 60 * 60_000] as const;

export class RestoreError extends CodedError<
  | "NOT_IN_CATALOG"
  | "NO_SUCH_REVISION"
  | "WITHDRAWN"
  | "NO_SUCH_TARGET"
  | "INVALID_COURSE_NAME"
  | RestoreRefusal["code"]
> {
  override readonly name = "RestoreError";
}

export interface RestoreRequestCommon {
  readonly objectUri: string;
  /** The latest revision received, when not given. */
  readonly revision?: number | undefined;
  readonly targetName: string;
  /** The target's default category, as a new course, when not given. */
  readonly destination?: RestoreDestination | undefined;
  /**
   * The new course's names, in place of the catalog title (see namedAfter); for a new
   * course only, in `destination` or the target's default category.
   */
  readonly names?: { readonly fullName?: string; readonly shortName?: string } | undefined;
  readonly requestedBy: string;
  /** Restore even if the compatibility check refuses: `requestedBy` takes the risk (admins only). */
  readonly override?: boolean | undefined;
  /** The person confirmed restoring into an existing course (merge or replace). */
  readonly confirmed?: boolean | undefined;
}

/**
 * A restore asked for by a person, whose permissions are checked and whose request is
 * audited, or by an auto-restore rule (admin-made: neither).
 */
export type CatalogRestoreRequest = RestoreRequestCommon &
  (
    | { readonly person: RestorePerson; readonly ruleId?: undefined }
    | { readonly ruleId: number; readonly person?: undefined }
  );

/**
 * How long a probe of a site is trusted before a restore: plugins are rarely installed,
 * and a probe costs a PHP start (or a web-service call) per job otherwise. An admin who
 * has just installed a plugin probes again (coursefed moodle probe).
 */
export const PROBE_FRESHNESS_MS = 10 * 60 * 1000;

async function currentSiteInfo(
  services: Pick<RestoreJobStores, "moodleTargets">,
  target: MoodleTarget,
): Promise<MoodleSiteInfo> {
  if (target.siteInfo && target.probedAt && Date.now() - target.probedAt < PROBE_FRESHNESS_MS) {
    return target.siteInfo as unknown as MoodleSiteInfo;
  }
  return (await probeTarget(services.moodleTargets, target)).info;
}

/**
 * Where restore jobs wait for a worker: the node's "restore" queue. Written out here
 * rather than taken from Fedify, whose queue the node happens to use, so that asking for a
 * restore knows nothing of federation.
 */
export interface RestoreQueue {
  enqueue(
    message: RestoreMessage,
    options: { readonly orderingKey: string; readonly delay?: Temporal.Duration },
  ): Promise<void>;
}

/** What asking for a restore uses: the catalog, the targets, the jobs and their queue. */
export interface RestoreRequestStores extends RestorePermissionStores {
  readonly restoreQueue: RestoreQueue;
}

/**
 * What running a job uses besides: the blob store, the policy, signed downloads, and the
 * links a ws target's site pulls the archive by.
 */
export interface RestoreJobStores extends RestoreRequestStores, ArchiveFetchStores {
  readonly archiveLinks: ArchiveLinks;
}

/**
 * A restore asked for: its job, and whether the same restore (revision, target and
 * destination, and for a new course the same asker: see requesterKey) was asked for
 * before, so whoever asked is told it is the same job.
 */
export type RequestedRestore = RestoreJob & {
  /**
   * null: a new job; "unchanged": the job asked for before, as it stands (queued, running,
   * or done); "queued-again": the job asked for before had failed or been refused and is
   * tried again.
   */
  readonly repeat: null | "unchanged" | "queued-again";
};

/**
 * Asks for a catalog course to be restored into a Moodle target: checks that the course,
 * revision and target exist and that the person may restore there, and queues a job (or
 * gives back the one already asked for the same revision, target and destination, by the
 * same asker for a new course). The permission check comes first, so that a job is only
 * ever handed to someone who may see it.
 */
export async function requestRestore(
  services: RestoreRequestStores,
  request: CatalogRestoreRequest,
): Promise<RequestedRestore> {
  const entry = await services.catalog.catalogEntry(request.objectUri);
  if (!entry) {
    throw new RestoreError(
      "NOT_IN_CATALOG",
      `${request.objectUri} is not in this node's catalog; follow its publisher first.`,
    );
  }
  if (entry.deletedAt !== null) {
    throw new RestoreError("WITHDRAWN", `${request.objectUri} was withdrawn by its publisher.`);
  }
  const revision = request.revision ?? entry.revision;
  if (!(await services.catalog.catalogRevision(request.objectUri, revision))) {
    throw new RestoreError(
      "NO_SUCH_REVISION",
      `This node has not received revision ${revision} of ${request.objectUri}.`,
    );
  }
  const target = await services.moodleTargets.byName(request.targetName);
  if (!target) {
    throw new RestoreError(
      "NO_SUCH_TARGET",
      `There is no Moodle target named ${request.targetName}; see coursefed moodle list.`,
    );
  }
  const destination = withTidyNames(
    request.destination ?? { kind: "new-course", categoryId: target.defaultCategoryId },
    request.names,
  );
  const { person } = request;
  if (person) {
    const refusal = await checkRestorePermission(services, person, target, destination, {
      override: request.override === true,
      confirmed: request.confirmed === true,
    });
    if (refusal) {
      // A request waiting for its confirmation is a step of asking, not a refusal.
      if (refusal.code !== "NEEDS_CONFIRMATION") {
        await person.auditLog.record(person.auditActor, "restore.refuse", target.name, {
          object: request.objectUri,
          revision,
          destination: { ...destination },
          reason: refusal.code.toLowerCase(),
        });
      }
      throw new RestoreError(refusal.code, refusal.message);
    }
  }
  const askedAt = Date.now();
  const { job, created } = await services.restores.request({
    objectUri: request.objectUri,
    revision,
    targetId: target.id,
    destination,
    requesterKey: requesterKey(request, destination),
    requestedBy: request.requestedBy,
    requestedByActorId: person?.actorId,
    ruleId: request.ruleId,
    overriddenBy: request.override ? request.requestedBy : undefined,
  });
  if (person) await auditRestore(person, target, job, request);
  // A job asked for again that never started is queued again too: a process that died
  // between saving a job and queueing it would otherwise leave it waiting for ever. If its
  // message is still there, the two share the job's ordering key: the second one runs
  // after the first and finds the job done.
  if (created || (job.state === "queued" && job.startedAt === null)) {
    await queueRestore(services, job);
  }
  // A failed or refused job asked for again is queued again under its first date.
  const repeat = !created ? "unchanged" : job.createdAt < askedAt ? "queued-again" : null;
  return { ...job, repeat };
}

/**
 * Whose job a restore is, beside its revision, target and destination (docs/security.md,
 * "Restore jobs"). A new course is its asker's own: two teachers importing the same course
 * into the same category each expect a course of their own, and the job made for one says
 * where her course went and why it failed, which is not the other's to read. So it is
 * keyed by the asker's actor: a teacher's own (the same on the web and the API, so that a
 * retry is the same job), or the institution's for admins, who all act as it and see every
 * job anyway; by the name a Moodle site's user asked under, since a site acts as the
 * institution for all its users; or by the rules together (two rules matching one course
 * make one course, as they always did). A job into an existing course is shared by all who
 * ask for it: only those who may restore into that course get that far, and they see its
 * jobs.
 */
function requesterKey(request: CatalogRestoreRequest, destination: RestoreDestination): string {
  if (destination.kind === "existing-course") return "";
  const { person } = request;
  if (!person) return "rules";
  return person.vouchedBySite ? `name:${request.requestedBy}` : `actor:${person.actorId}`;
}

/**
 * A person's restore in the audit log: the request, and apart the decisions that take a
 * risk, so that they are found on their own: an override, a confirmed merge or replace.
 */
async function auditRestore(
  person: RestorePerson,
  target: MoodleTarget,
  job: RestoreJob,
  request: CatalogRestoreRequest,
): Promise<void> {
  const details = {
    object: job.objectUri,
    revision: job.revision,
    destination: job.destination,
    job: job.id,
  };
  await person.auditLog.record(person.auditActor, "restore.request", target.name, details);
  if (request.override)
    await person.auditLog.record(person.auditActor, "restore.override", target.name, details);
  if (job.destination.kind === "existing-course")
    await person.auditLog.record(person.auditActor, "restore.confirm", target.name, details);
}

async function queueRestore(
  services: RestoreRequestStores,
  job: RestoreJob,
  delayMs?: number,
): Promise<void> {
  const message: RestoreMessage = { type: "restore", jobId: job.id };
  await services.restoreQueue.enqueue(message, {
    // One job at a time per destination: two restores into one course must not interleave.
    orderingKey: `${job.targetId}/${job.destinationKey}`,
    ...(delayMs ? { delay: Temporal.Duration.from({ milliseconds: delayMs }) } : {}),
  });
}

/**
 * The names a new course is asked to have, as Moodle will keep them (whitespace folded),
 * so that the same names asked twice are the same job; refused before anything is queued
 * when Moodle would refuse them (empty, too long).
 */
function withTidyNames(
  asked: RestoreDestination,
  askedNames: RestoreRequestCommon["names"],
): RestoreDestination {
  const named = askedNames?.fullName !== undefined || askedNames?.shortName !== undefined;
  if (named && asked.kind !== "new-course") {
    throw new RestoreError(
      "INVALID_COURSE_NAME",
      "A full or short name is for a new course; an existing course keeps its names.",
    );
  }
  const destination: RestoreDestination =
    asked.kind === "new-course" && named
      ? {
          ...asked,
          ...(askedNames?.fullName === undefined ? {} : { fullName: askedNames.fullName }),
          ...(askedNames?.shortName === undefined ? {} : { shortName: askedNames.shortName }),
        }
      : asked;
  let names: NewCourseNames | undefined;
  try {
    names = newCourseNames(destination);
  } catch (error) {
    if (!(error instanceof MoodleError)) throw error;
    throw new RestoreError("INVALID_COURSE_NAME", error.message);
  }
  if (!names || destination.kind !== "new-course") return destination;
  return {
    kind: "new-course",
    categoryId: destination.categoryId,
    ...(destination.fullName === undefined ? {} : { fullName: names.fullName }),
    ...(destination.shortName === undefined ? {} : { shortName: names.shortName }),
  };
}

/**
 * A new course is named as asked, or else after the catalog title the user chose (cut to
 * what Moodle keeps), not the name inside the backup; a short name not asked for is
 * derived from the full name by the driver. Names asked for are part of the job's
 * destination, and so of its idempotence key; the title is given to the restore only.
 */
function namedAfter(
  destination: RestoreDestination,
  title: string | undefined,
): RestoreDestination {
  if (destination.kind !== "new-course" || title === undefined) return destination;
  if (destination.fullName !== undefined) return destination;
  const fullName = courseNameWithin(title, MAX_COURSE_FULL_NAME_CHARS);
  return fullName === "" ? destination : { ...destination, fullName };
}

/** A link that cannot be revoked now still dies minutes after its last byte served. */
async function revokeQuietly(links: ArchiveLinks, link: ArchiveLink): Promise<void> {
  await links.revoke(link).catch((error: unknown) => {
    console.error(`coursefed: revoking an archive link failed: ${(error as Error).message}`);
  });
}

/**
 * Runs a queued job: fetches and verifies the archive, checks it against what the site
 * has (probed within PROBE_FRESHNESS_MS), restores it with the target's driver and records the outcome and the
 * lineage. After a transient failure the job is queued again, later (see
 * RESTORE_RETRY_DELAYS_MS); any other failure ends it with Moodle's real reason.
 */
export async function runRestoreJob(
  services: RestoreJobStores,
  message: RestoreMessage,
): Promise<void> {
  const queued = await services.restores.job(message.jobId);
  if (!queued || (queued.state !== "queued" && queued.state !== "running")) return;
  const target = await services.moodleTargets.byId(queued.targetId);
  if (!target) return;
  const job = await services.restores.update(queued.id, {
    state: "running",
    attempts: queued.attempts + 1,
    startedAt: Date.now(),
  });
  if (!job) return;
  try {
    const stored = await fetchCatalogArchive(services, job.objectUri, job.revision);
    const manifest = (await services.catalog.catalogRevision(job.objectUri, job.revision))
      ?.manifest as unknown as CourseManifest;
    const driver = services.moodleTargets.driverOf(target);
    const site = await currentSiteInfo(services, target);
    const compatibility = checkCompatibility(manifest satisfies BackupFacts, site);
    if (!compatibility.restorable && job.overriddenBy === null) {
      await services.restores.update(job.id, {
        state: "refused",
        problems: [...compatibility.problems],
        errorCode: "incompatible",
        errorMessage: compatibility.problems.map((problem) => problem.message).join(" "),
        finishedAt: Date.now(),
      });
      return;
    }
    // Worked out before the restore moves the course's lineage on; once, not per attempt.
    if (job.changes === null) {
      const changes = await changesOfUpdateJob(services, target, job);
      if (changes) await services.restores.update(job.id, { changes: { ...changes } });
    }
    const entry = await services.catalog.catalogEntry(job.objectUri);
    const started = performance.now();
    // A ws target's site downloads the archive from the node, at the address it reaches the
    // node by; the link lives as long as this attempt (a retry makes a new one).
    const link =
      target.driver === "ws"
        ? await services.archiveLinks.mint(
            stored,
            target.nodeUrl === null ? undefined : new URL(target.nodeUrl),
          )
        : undefined;
    const outcome = await driver
      .restore({
        archivePath: services.blobs.pathOf(stored.sha256),
        ...(link ? { download: link } : {}),
        destination: namedAfter(job.destination as unknown as RestoreDestination, entry?.title),
        expectedActivities: manifest.activities,
      })
      .finally(() => (link ? revokeQuietly(services.archiveLinks, link) : undefined));
    const missing = Object.keys(outcome.missingActivities).length > 0;
    const done = await services.restores.update(job.id, {
      state: "succeeded",
      moodleCourseId: outcome.courseId,
      courseUrl: outcome.courseUrl,
      moodleMs: Math.round(performance.now() - started),
      problems: [
        ...(compatibility.restorable ? [] : compatibility.problems),
        ...(missing ? [{ kind: "missing-activities", activities: outcome.missingActivities }] : []),
      ],
      errorCode: null,
      errorMessage: null,
      log: outcome.log,
      finishedAt: Date.now(),
    });
    if (done) await services.restores.recordLineage(done, outcome.courseId);
  } catch (error) {
    const transient =
      (error instanceof MoodleError && error.transient) || error instanceof DownloadError;
    const known =
      error instanceof MoodleError ||
      error instanceof FetchError ||
      error instanceof DownloadError ||
      error instanceof BlobDigestError;
    if (!known) throw error;
    const delay = transient ? RESTORE_RETRY_DELAYS_MS[job.attempts - 1] : undefined;
    const updated = await services.restores.update(job.id, {
      state: delay === undefined ? "failed" : "queued",
      errorCode: "code" in error ? String(error.code).toLowerCase() : "download_failed",
      errorMessage: error.message,
      log: error instanceof MoodleError ? error.log : null,
      finishedAt: delay === undefined ? Date.now() : null,
    });
    if (updated && delay !== undefined) await queueRestore(services, updated, delay);
  }
}
