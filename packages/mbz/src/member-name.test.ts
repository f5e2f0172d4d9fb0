import { describe, expect, it } from "vitest";
import { MbzError } from "./errors.ts";
import { normalizeMemberName } from "./member-name.ts";

describe("normalizeMemberName", () => {
  it.each([
    ["./moodle_backup.xml", "moodle_backup.xml"],
    ["activities/quiz_2/quiz.xml", "activities/quiz_2/quiz.xml"],
    ["./activities/", "activities/"],
    ["course\\course.xml", "course/course.xml"],
    ["a//b/./c.xml", "a/b/c.xml"],
  ])("reads %s as %s", (raw, expected) => {
    expect(normalizeMemberName(raw)).toBe(expected);
  });

  it.each(["../x", "a/../../x", "/etc/passwd", "C:/Windows/x", "a\\..\\..\\x", "bad\0name"])(
    "refuses %s",
    (raw) => {
      expect(() => normalizeMemberName(raw)).toThrow(MbzError);
    },
  );
});
