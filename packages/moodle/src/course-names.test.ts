import { describe, expect, it } from "vitest";
import { courseNameWithin, newCourseNames } from "./course-names.ts";
import { MoodleError } from "./errors.ts";

const newCourse = (names: { fullName?: string; shortName?: string }) =>
  ({ kind: "new-course", categoryId: 1, ...names }) as const;

describe("newCourseNames", () => {
  it("asks for nothing when no name is given, or the course exists", () => {
    expect(newCourseNames(newCourse({}))).toBeUndefined();
    expect(
      newCourseNames({ kind: "existing-course", courseId: 3, mode: "replace" }),
    ).toBeUndefined();
  });

  it("derives the short name from the full name: tidied, at most 100 characters", () => {
    expect(newCourseNames(newCourse({ fullName: "  Glossaire\tde chimie\norganique " }))).toEqual({
      fullName: "Glossaire de chimie organique",
      shortName: "Glossaire de chimie organique",
    });
    const long = `${"é".repeat(99)} suite`;
    expect(newCourseNames(newCourse({ fullName: long }))).toEqual({
      fullName: long,
      shortName: "é".repeat(99),
    });
  });

  it("keeps a short name given, alone or with a full name", () => {
    expect(newCourseNames(newCourse({ fullName: "Chimie", shortName: " CHIM-1 " }))).toEqual({
      fullName: "Chimie",
      shortName: "CHIM-1",
    });
    expect(newCourseNames(newCourse({ shortName: "CHIM-1" }))).toEqual({ shortName: "CHIM-1" });
  });

  it("counts characters as Moodle does (code points), and refuses names Moodle would not keep", () => {
    const emoji = "🧪".repeat(254);
    expect(newCourseNames(newCourse({ fullName: emoji }))?.fullName).toBe(emoji);
    for (const names of [
      { fullName: "x".repeat(255) },
      { fullName: "Chimie", shortName: "x".repeat(101) },
      { fullName: " \n " },
      { shortName: "" },
    ]) {
      let error: unknown;
      try {
        newCourseNames(newCourse(names));
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(MoodleError);
      expect(error).toMatchObject({ code: "RESTORE_FAILED", transient: false });
    }
    expect(() => newCourseNames(newCourse({ fullName: "x".repeat(255) }))).toThrow(
      "at most 254 characters",
    );
  });
});

describe("courseNameWithin", () => {
  it("cuts a tidied name at a number of code points without a trailing space", () => {
    expect(courseNameWithin("ab  cd", 3)).toBe("ab");
    expect(courseNameWithin("🧪🧪🧪", 2)).toBe("🧪🧪");
  });
});
