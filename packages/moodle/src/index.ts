export { type ActivityCounts, countActivities, missingActivities } from "./activity-counts.ts";
export {
  type BackupFacts,
  backupFactsOf,
  type CompatibilityProblem,
  type CompatibilityReport,
  checkCompatibility,
} from "./compatibility.ts";
export type {
  BackupOutcome,
  BackupRequest,
  MoodleDriver,
  MoodleSiteInfo,
  RestoreDestination,
  RestoreOutcome,
  RestoreRequest,
} from "./driver.ts";
export { CliDriver, type CliDriverConfig } from "./drivers/cli-driver.ts";
export { WsDriver, type WsDriverConfig } from "./drivers/ws-driver.ts";
export { MoodleError, type MoodleErrorCode } from "./errors.ts";
