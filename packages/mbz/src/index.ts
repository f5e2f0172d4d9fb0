export type { ArchiveMember } from "./archive-reader.ts";
export {
  type ActivityRef,
  type BackupDiff,
  type BackupSide,
  DIFF_FORMAT_VERSION,
  type DiffOptions,
  diffBackups,
  type FileChange,
  type SectionRef,
  type SettingChange,
} from "./backup-diff.ts";
export {
  type DiffCounts,
  diffCounts,
  diffHeadline,
  diffText,
  HEADLINE_LANGUAGES,
  type HeadlineLanguage,
} from "./backup-diff-text.ts";
export { type ByteSizeLanguage, formatBytes } from "./byte-size.ts";
export type { ContainerFormat } from "./container.ts";
export { MbzError, type MbzErrorCode } from "./errors.ts";
export {
  type BackupReport,
  type BackupType,
  type InspectOptions,
  inspectBackup,
} from "./inspect.ts";
export { type ArchiveLimits, DEFAULT_LIMITS } from "./limits.ts";
export { compareMoodleBranches, type MoodleBranch, parseMoodleBranch } from "./moodle-branch.ts";
export type {
  PersonalDataCategory,
  PersonalDataFinding,
  PersonalDataReport,
} from "./personal-data.ts";
export { isStandardPlugin, requiredPlugins } from "./required-plugins.ts";
export { type SanitizeOptions, type SanitizeResult, sanitizeBackup } from "./sanitize.ts";
