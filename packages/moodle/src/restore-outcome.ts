import { type ActivityCounts, missingActivities } from "./activity-counts.ts";
import type { RestoreOutcome } from "./driver.ts";

/**
 * What a driver reports of a finished restore, whichever way it reached the site: the
 * course, its link, what of the backup it lacks, and the precheck's warnings ahead of
 * Moodle's log.
 */
export function restoreOutcome(restored: {
  readonly courseId: number;
  readonly wwwroot: string;
  readonly restoredActivities: ActivityCounts;
  readonly expectedActivities: ActivityCounts;
  readonly warnings: readonly string[];
  readonly log: string;
}): RestoreOutcome {
  return {
    courseId: restored.courseId,
    courseUrl: `${restored.wwwroot.replace(/\/+$/, "")}/course/view.php?id=${restored.courseId}`,
    restoredActivities: restored.restoredActivities,
    missingActivities: missingActivities(restored.expectedActivities, restored.restoredActivities),
    log: [...restored.warnings.map((warning) => `Precheck warning: ${warning}`), restored.log]
      .filter((line) => line !== "")
      .join("\n"),
  };
}
