import type { RestoreDestination } from "./driver.ts";
import { MoodleError } from "./errors.ts";

/** The longest full name Moodle keeps, in characters (course/edit_form.php, mdl_course.fullname). */
export const MAX_COURSE_FULL_NAME_CHARS = 254;
/**
 * The longest short name a restore gives, in characters: mdl_course.shortname holds 255,
 * but restore_dbops::calculate_course_names, which both drivers use to keep it unique,
 * cuts it at 100 (suffix "_N" included).
 */
export const MAX_COURSE_SHORT_NAME_CHARS = 100;

/** The names a new course is given in place of the backup's own. */
export interface NewCourseNames {
  /** Absent when only a short name was asked for: the full name stays the backup's. */
  readonly fullName?: string;
  readonly shortName: string;
}

/**
 * A course name as Moodle will show it: whitespace and control characters folded into
 * single spaces, trimmed, in NFC.
 */
export function tidyCourseName(name: string): string {
  return (
    name
      .normalize("NFC")
      // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it removes
      .replace(/[\s\u0000-\u001f\u007f]+/gu, " ")
      .trim()
  );
}

/** The first `max` characters (code points, as Moodle counts them) of a tidied name. */
export function courseNameWithin(name: string, max: number): string {
  return [...tidyCourseName(name)].slice(0, max).join("").trimEnd();
}

/**
 * The names a "new-course" destination asks for, tidied and checked against Moodle's
 * limits; undefined when it asks for none (the course keeps the backup's names). The
 * short name, when not given, is the full name's first 100 characters. Moodle still makes
 * both unique on the site: "Name copy 2" and "Name_2" when a course already has them.
 * @throws MoodleError RESTORE_FAILED for an empty or too long name.
 */
export function newCourseNames(destination: RestoreDestination): NewCourseNames | undefined {
  if (destination.kind !== "new-course") return undefined;
  if (destination.fullName === undefined && destination.shortName === undefined) return undefined;
  const shortName =
    destination.shortName === undefined
      ? undefined
      : checked(destination.shortName, "short", MAX_COURSE_SHORT_NAME_CHARS);
  if (destination.fullName === undefined) return { shortName: shortName as string };
  const fullName = checked(destination.fullName, "full", MAX_COURSE_FULL_NAME_CHARS);
  return {
    fullName,
    shortName: shortName ?? courseNameWithin(fullName, MAX_COURSE_SHORT_NAME_CHARS),
  };
}

function checked(name: string, which: string, max: number): string {
  const tidy = tidyCourseName(name);
  if (tidy === "") {
    throw new MoodleError("RESTORE_FAILED", `A new course's ${which} name cannot be empty.`);
  }
  const length = [...tidy].length;
  if (length > max) {
    throw new MoodleError(
      "RESTORE_FAILED",
      `A new course's ${which} name may have at most ${max} characters in Moodle; '${[...tidy].slice(0, 40).join("")}…' has ${length}.`,
    );
  }
  return tidy;
}
