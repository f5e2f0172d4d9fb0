import type { PersonalDataFinding } from "@coursefed/mbz";
import type { CourseMetadata } from "../courses/publish-service.ts";
import { Temporal } from "../temporal.ts";

/** Where a share from a Moodle site stands; the last two are final. */
export const SHARE_JOB_STATES = [
  "queued",
  "backing-up",
  "scanning",
  "publishing",
  "done",
  "failed",
] as const;
export type ShareJobState = (typeof SHARE_JOB_STATES)[number];

/**
 * A Moodle course being shared from its site: Moodle makes a backup without user data,
 * the node scans it and publishes it (a new course, or a new revision of the one this
 * Moodle course was shared as).
 */
export interface ShareJob {
  readonly id: string;
  readonly targetId: number;
  readonly moodleCourseId: number;
  /** The local actor the course is published as: the teacher the site acts for. */
  readonly actorId: number;
  /** Who asked, for people: the Moodle user's name and the site. */
  readonly requestedBy: string;
  readonly metadata: CourseMetadata;
  readonly state: ShareJobState;
  /** What went wrong, for people (failed), or what is being done. */
  readonly message: string | null;
  /** A stable code for programs when failed: personal_data, moodle_unreachable, ... */
  readonly errorCode: string | null;
  /** What the personal-data scan found, when it refused the backup. */
  readonly findings: readonly PersonalDataFinding[];
  /** The published course and revision, once done. */
  readonly course: { readonly id: string; readonly revision: number } | null;
  readonly createdAt: number;
  readonly updatedAt: number;
}

/**
 * Where the jobs' records live: the node's key-value table (the one Fedify's store uses,
 * under keys of its own), so that a job and its outcome outlive the process that ran it
 * without a table of their own. The node's DatabaseKvStore has this shape.
 */
export interface ShareJobRecords {
  get<T = unknown>(key: readonly [string, ...string[]]): Promise<T | undefined>;
  set(
    key: readonly [string, ...string[]],
    value: unknown,
    options?: { ttl?: Temporal.Duration },
  ): Promise<void>;
}

/**
 * How long a job's record is kept after its last change: long enough for a teacher to come
 * back to the course page and see how the share went; the course itself says the rest.
 */
const RECORD_LIFETIME = Temporal.Duration.from({ hours: 24 * 30 });

const jobKey = (id: string) => ["coursefed", "share-job", id] as const;
const latestKey = (targetId: number, moodleCourseId: number) =>
  ["coursefed", "share-job-of", String(targetId), String(moodleCourseId)] as const;

/** Share jobs by id, and the latest one of each Moodle course. */
export class ShareJobRepository {
  readonly #records: ShareJobRecords;

  constructor(records: ShareJobRecords) {
    this.#records = records;
  }

  async create(
    job: Pick<ShareJob, "targetId" | "moodleCourseId" | "actorId" | "requestedBy" | "metadata">,
  ): Promise<ShareJob> {
    const now = Date.now();
    const created: ShareJob = {
      ...job,
      id: crypto.randomUUID(),
      state: "queued",
      message: null,
      errorCode: null,
      findings: [],
      course: null,
      createdAt: now,
      updatedAt: now,
    };
    await this.#records.set(jobKey(created.id), created, { ttl: RECORD_LIFETIME });
    await this.#records.set(latestKey(job.targetId, job.moodleCourseId), created.id, {
      ttl: RECORD_LIFETIME,
    });
    return created;
  }

  async job(id: string): Promise<ShareJob | undefined> {
    return await this.#records.get<ShareJob>(jobKey(id));
  }

  /** The course's most recent job, if one was made in the last month. */
  async latestOf(targetId: number, moodleCourseId: number): Promise<ShareJob | undefined> {
    const id = await this.#records.get<string>(latestKey(targetId, moodleCourseId));
    return id === undefined ? undefined : await this.job(id);
  }

  async update(
    id: string,
    change: Partial<Pick<ShareJob, "state" | "message" | "errorCode" | "findings" | "course">>,
  ): Promise<ShareJob | undefined> {
    const job = await this.job(id);
    if (!job) return undefined;
    const updated: ShareJob = { ...job, ...change, updatedAt: Date.now() };
    await this.#records.set(jobKey(id), updated, { ttl: RECORD_LIFETIME });
    return updated;
  }
}

export function isFinished(job: ShareJob): boolean {
  return job.state === "done" || job.state === "failed";
}
