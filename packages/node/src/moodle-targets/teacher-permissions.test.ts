import { describe, expect, it } from "vitest";
import { categoryIdsFrom, TeacherPermissionError } from "./teacher-permissions.ts";

describe("categoryIdsFrom", () => {
  it("reads ids separated by commas and/or spaces, and none as no category", () => {
    expect(categoryIdsFrom("3,5")).toEqual([3, 5]);
    expect(categoryIdsFrom(" 3, 5  12 ")).toEqual([3, 5, 12]);
    expect(categoryIdsFrom("3,,5,")).toEqual([3, 5]);
    expect(categoryIdsFrom("none")).toEqual([]);
    expect(categoryIdsFrom("  ")).toEqual([]);
  });

  it("refuses what is not a Moodle id, naming it", () => {
    for (const [text, named] of [
      ["3,x", "x"],
      ["0", "0"],
      ["-4", "-4"],
      ["1e3", "1e3"],
      ["0x10", "0x10"],
      ["3.5", "3.5"],
      ["99999999999999999", "99999999999999999"],
    ]) {
      let refusal: unknown;
      try {
        categoryIdsFrom(text as string);
      } catch (error) {
        refusal = error;
      }
      expect(refusal, text).toBeInstanceOf(TeacherPermissionError);
      expect((refusal as TeacherPermissionError).code).toBe("INVALID");
      expect((refusal as Error).message).toContain(`"${named}" is not a Moodle category id`);
    }
  });
});
