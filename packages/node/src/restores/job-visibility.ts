import type { RestoreDestination } from "@coursefed/moodle";
import type { RestoreJobState } from "../vocabulary/restore-job-states.ts";
import type { RestorePermissionStores } from "./restore-permissions.ts";
import type { MoodleCourseRef, RestoreJob } from "./restore-repository.ts";

/**
 * Who looks at restore jobs, which decides the jobs they see (docs/security.md, "Restore
 * jobs"): an admin sees every job; a Moodle site's token its own target's; a teacher the
 * jobs she asked for, and those into a Moodle course she may restore into herself (one
 * her own restores made, or one an admin granted her), whoever asked (a colleague sharing
 * the course, a rule updating it). Another teacher's job elsewhere says where a course
 * went and why it failed: it is not hers to read.
 */
export type RestoreJobViewer =
  | { readonly kind: "admin" }
  | { readonly kind: "site"; readonly targetId: number }
  | { readonly kind: "teacher"; readonly actorId: number };

type VisibilityStores = Pick<RestorePermissionStores, "restores" | "moodleTargets">;

/** The jobs the viewer may see, newest first; with `states`, only in one of them. */
export async function visibleRestoreJobs(
  stores: VisibilityStores,
  viewer: RestoreJobViewer,
  page: {
    readonly states?: readonly RestoreJobState[];
    readonly limit: number;
    readonly offset: number;
  },
): Promise<RestoreJob[]> {
  const query = {
    ...(page.states ? { states: page.states } : {}),
    limit: page.limit,
    offset: page.offset,
  };
  switch (viewer.kind) {
    case "admin":
      return await stores.restores.jobs(query);
    case "site":
      return await stores.restores.jobs({ ...query, targetId: viewer.targetId });
    case "teacher":
      return await stores.restores.jobs({
        ...query,
        askedByOrInto: {
          actorId: viewer.actorId,
          courses: await coursesOf(stores, viewer.actorId),
        },
      });
  }
}

/** The job, if there is one of that id and the viewer may see it. */
export async function visibleRestoreJob(
  stores: VisibilityStores,
  viewer: RestoreJobViewer,
  id: string,
): Promise<RestoreJob | undefined> {
  const job = await stores.restores.job(id);
  if (!job) return undefined;
  switch (viewer.kind) {
    case "admin":
      return job;
    case "site":
      return job.targetId === viewer.targetId ? job : undefined;
    case "teacher": {
      if (job.requestedByActorId === viewer.actorId) return job;
      const courses = moodleCoursesOf(job);
      if (courses.length === 0) return undefined;
      const mine = await coursesOf(stores, viewer.actorId);
      return mine.some(
        (ref) => ref.targetId === job.targetId && courses.includes(ref.moodleCourseId),
      )
        ? job
        : undefined;
    }
  }
}

/** The Moodle courses a teacher may restore into herself: made by her restores, or granted. */
async function coursesOf(stores: VisibilityStores, actorId: number): Promise<MoodleCourseRef[]> {
  const [made, granted] = await Promise.all([
    stores.restores.coursesCreatedBy(actorId),
    stores.moodleTargets.grantsTo(actorId),
  ]);
  return [
    ...made,
    ...granted.map(({ targetId, moodleCourseId }) => ({ targetId, moodleCourseId })),
  ];
}

/**
 * The Moodle courses a job is about: the one it restored into, and the existing course it
 * was asked to restore into (the same once it is done; none for a new course not made yet).
 */
function moodleCoursesOf(job: RestoreJob): number[] {
  const destination = job.destination as unknown as RestoreDestination;
  return [
    ...(job.moodleCourseId === null ? [] : [job.moodleCourseId]),
    ...(destination.kind === "existing-course" ? [destination.courseId] : []),
  ];
}
