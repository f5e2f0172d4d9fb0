/**
 * What the node needs from a Moodle site, whichever way it reaches it: the `cli` driver
 * runs Moodle's PHP scripts on the same host, the `ws` driver calls the companion plugin
 * local_coursefed over web services. Neither trusts Moodle's exit codes alone: an outcome
 * is checked against what was asked for (see ../../../shared/DESIGN.md, "Moodle side").
 */

/** A site's identity and what is installed on it, as `probe` reports it. */
export interface MoodleSiteInfo {
  /** `$version` of the site, e.g. "2024100706.00". */
  readonly version: string;
  /** `$release`, e.g. "4.5.6 (Build: 20250811)". */
  readonly release: string;
  /** Major.minor branch, e.g. "4.5". */
  readonly branch: string;
  /** Every installed plugin (frankenstyle component, e.g. "mod_quiz") with its version number. */
  readonly plugins: Readonly<Record<string, number>>;
  /**
   * The largest backup the site accepts for restore, in bytes; null when unlimited. The ws
   * driver's site pulls its backups, so no upload limit applies there: null.
   */
  readonly maxRestoreBytes: number | null;
  /**
   * md5 of the site's `siteidentifier` (made at install, kept when the site moves to a new
   * address), as Moodle writes it into every backup (original_site_identifier_hash): which
   * site this is, whatever address reached it. Absent from a local_coursefed too old to say.
   */
  readonly siteIdentifierHash?: string;
}

/** Where a backup goes on the site. */
export type RestoreDestination =
  | {
      readonly kind: "new-course";
      readonly categoryId: number;
      /**
       * The new course's full name (e.g. the catalog title), at most 254 characters; the
       * backup's own when absent. Whitespace is folded; Moodle appends " copy N" when a
       * course of that name exists (restore_dbops::calculate_course_names).
       */
      readonly fullName?: string;
      /**
       * Its short name, at most 100 characters (the most a restore gives one); the full
       * name's first 100 characters when absent and `fullName` is given. Made unique by
       * Moodle with "_N". A name too long or empty fails the restore (MoodleError
       * RESTORE_FAILED) before Moodle is asked anything: see course-names.ts.
       */
      readonly shortName?: string;
    }
  | {
      readonly kind: "existing-course";
      readonly courseId: number;
      /**
       * merge adds the backup's contents; replace deletes the course's contents first,
       * keeping its enrolments, roles and groups (the people of the course stay).
       */
      readonly mode: "merge" | "replace";
    };

/**
 * Where a site that pulls its backups (the ws driver's plugin) downloads the archive: a
 * short-lived link the node serves, with the size and digest the download must have.
 */
export interface ArchiveDownload {
  readonly url: URL;
  readonly sha256: string;
  readonly size: number;
}

export interface RestoreRequest {
  /** Absolute path of the .mbz on the node's disk. */
  readonly archivePath: string;
  /**
   * The same archive as a download link: the ws driver hands it to the site, which pulls
   * the archive (no upload, so no PHP upload limit); the cli driver reads archivePath.
   */
  readonly download?: ArchiveDownload;
  readonly destination: RestoreDestination;
  /**
   * Activity modules the backup holds, by module name ("quiz": 2): the restored course
   * is checked against them, since Moodle silently drops what it cannot restore.
   */
  readonly expectedActivities: Readonly<Record<string, number>>;
  readonly signal?: AbortSignal;
}

export interface RestoreOutcome {
  readonly courseId: number;
  /** The course's page on the site, e.g. https://moodle.example/course/view.php?id=12. */
  readonly courseUrl: string;
  /** Activity modules the restored course holds, by module name. */
  readonly restoredActivities: Readonly<Record<string, number>>;
  /** Expected modules Moodle did not restore (name → how many are missing); empty when complete. */
  readonly missingActivities: Readonly<Record<string, number>>;
  /** What Moodle printed or reported, for the job's record. */
  readonly log: string;
}

export interface BackupRequest {
  readonly courseId: number;
  /** Directory the driver writes the .mbz into; the caller owns and removes it. */
  readonly outputDirectory: string;
  readonly signal?: AbortSignal;
}

export interface BackupOutcome {
  /** Absolute path of the backup, written without user data. */
  readonly path: string;
  readonly log: string;
}

/** A course category a new course may be restored into. */
export interface MoodleCategory {
  readonly id: number;
  /** As Moodle shows it, multi-language filters applied. */
  readonly name: string;
  /** Its names from the top level down, e.g. "Sciences / Chimie". */
  readonly path: string;
  /** 0 for a top-level category. */
  readonly parentId: number;
  readonly courseCount: number;
  /** False when hidden from students. */
  readonly visible: boolean;
}

/** An existing course a backup may be restored into. */
export interface MoodleCourseSummary {
  readonly id: number;
  readonly fullName: string;
  readonly shortName: string;
  readonly categoryId: number;
  /** Its category's path, e.g. "Sciences / Chimie". */
  readonly categoryPath: string;
  readonly visible: boolean;
}

/** Which courses to list: those whose full or short name holds every word of `search`. */
export interface CourseSearch {
  readonly search?: string;
  /** How many to skip; 0 by default. */
  readonly offset?: number;
  /** How many at most, up to MAX_COURSES_PER_PAGE; 50 by default. */
  readonly limit?: number;
  readonly signal?: AbortSignal;
}

/** The most courses one listing returns (local_coursefed's course_listing::MAX_PER_PAGE). */
export const MAX_COURSES_PER_PAGE = 200;

/** A page of a course search, by full name, and how many the whole search finds. */
export interface CoursePage {
  readonly total: number;
  readonly courses: readonly MoodleCourseSummary[];
}

export interface MoodleDriver {
  probe(signal?: AbortSignal): Promise<MoodleSiteInfo>;
  restore(request: RestoreRequest): Promise<RestoreOutcome>;
  backup(request: BackupRequest): Promise<BackupOutcome>;
  /**
   * The categories the driver's Moodle user may restore a new course into, in Moodle's
   * order: every one for the cli driver (it runs as the site's admin), those where the ws
   * driver's user holds moodle/course:create and the restore capabilities otherwise.
   */
  listCategories(signal?: AbortSignal): Promise<readonly MoodleCategory[]>;
  /** A page of the courses the driver's Moodle user may restore into, by full name. */
  listCourses(search: CourseSearch): Promise<CoursePage>;
}
