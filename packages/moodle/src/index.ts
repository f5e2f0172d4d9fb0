export type {
  BackupOutcome,
  BackupRequest,
  MoodleDriver,
  MoodleSiteInfo,
  RestoreDestination,
  RestoreOutcome,
  RestoreRequest,
} from "./driver.ts";
export { MoodleError, type MoodleErrorCode } from "./errors.ts";
