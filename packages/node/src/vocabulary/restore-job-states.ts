export const RESTORE_JOB_STATES = ["queued", "running", "succeeded", "refused", "failed"] as const;
export type RestoreJobState = (typeof RESTORE_JOB_STATES)[number];
/** The states a job ends in: nothing more happens to it unless it is asked for again. */
export const FINISHED_RESTORE_STATES: ReadonlySet<RestoreJobState> = new Set([
  "succeeded",
  "refused",
  "failed",
]);
