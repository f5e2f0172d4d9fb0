export { type ActivityCounts, countActivities, missingActivities } from "./activity-counts.ts";
export {
  type BackupFacts,
  backupFactsOf,
  type CompatibilityProblem,
  type CompatibilityReport,
  checkCompatibility,
} from "./compatibility.ts";
export {
  courseNameWithin,
  MAX_COURSE_FULL_NAME_CHARS,
  MAX_COURSE_SHORT_NAME_CHARS,
  type NewCourseNames,
  newCourseNames,
} from "./course-names.ts";
export {
  type ArchiveDownload,
  type BackupOutcome,
  type BackupRequest,
  type CoursePage,
  type CourseSearch,
  MAX_COURSES_PER_PAGE,
  type MoodleCategory,
  type MoodleCourseSummary,
  type MoodleDriver,
  type MoodleSiteInfo,
  type RestoreDestination,
  type RestoreOutcome,
  type RestoreRequest,
} from "./driver.ts";
export { CliDriver, type CliDriverConfig } from "./drivers/cli-driver.ts";
export { WsDriver, type WsDriverConfig } from "./drivers/ws-driver.ts";
export { MoodleError, type MoodleErrorCode } from "./errors.ts";
export { RETIRED_PLUGINS, type RetiredPlugin } from "./retired-plugins.ts";
