import type { BackupDiff } from "@coursefed/mbz";
import type { RestoreJobState } from "../vocabulary/restore-job-states.ts";

/* The restore jobs the node reports, as `restore` and `restores` print them. */

export interface RestoreProblem {
  kind: string;
  message?: string;
  activities?: Record<string, number>;
}

export interface RestoreJob {
  id: string;
  object: string;
  revision: number;
  target: string;
  destination:
    | { kind: "new-course"; categoryId: number; fullName?: string; shortName?: string }
    | { kind: "existing-course"; courseId: number; mode: string };
  state: RestoreJobState;
  requestedBy: string;
  overriddenBy: string | null;
  attempts: number;
  problems: RestoreProblem[];
  moodleCourseId: number | null;
  courseUrl: string | null;
  errorCode: string | null;
  errorMessage: string | null;
  createdAt: string;
  finishedAt: string | null;
  durations: { totalMs: number | null; runMs: number | null; moodleMs: number | null };
  log?: string | null;
  /** An update of a course restored from the same catalog course: what it changed. */
  changes?: {
    from: number;
    to: number;
    diff: BackupDiff | null;
    unavailable: string | null;
  } | null;
}

/** One line per problem: compatibility problems, and what Moodle did not restore. */
export function describeProblems(job: RestoreJob): string {
  return job.problems
    .map((problem) => {
      if (problem.kind === "missing-activities") {
        const missing = Object.entries(problem.activities ?? {})
          .map(([module, count]) => `${count} ${module}`)
          .join(", ");
        return `  - Moodle did not restore: ${missing}\n`;
      }
      const overridden =
        job.state === "succeeded" && job.overriddenBy ? `(overridden by ${job.overriddenBy}) ` : "";
      return `  - ${overridden}${problem.message ?? problem.kind}\n`;
    })
    .join("");
}
