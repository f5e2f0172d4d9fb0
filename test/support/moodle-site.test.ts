import { afterEach, describe, expect, it } from "vitest";
import { selectedReleases } from "./moodle-site.ts";

describe("COURSEFED_MOODLE_RELEASES", () => {
  const before = process.env.COURSEFED_MOODLE_RELEASES;
  afterEach(() => {
    if (before === undefined) delete process.env.COURSEFED_MOODLE_RELEASES;
    else process.env.COURSEFED_MOODLE_RELEASES = before;
  });
  const selecting = (value: string | undefined) => {
    if (value === undefined) delete process.env.COURSEFED_MOODLE_RELEASES;
    else process.env.COURSEFED_MOODLE_RELEASES = value;
    return selectedReleases();
  };

  it("runs the Moodle tests on 4.5 and 5.1 unless told otherwise", () => {
    expect(selecting(undefined)).toEqual(["4.5", "5.1"]);
    expect(selecting(" ")).toEqual(["4.5", "5.1"]);
  });

  it("keeps the releases named, by commas or spaces", () => {
    expect(selecting("5.1")).toEqual(["5.1"]);
    expect(selecting("4.5")).toEqual(["4.5"]);
    expect(selecting("4.5, 5.1")).toEqual(["4.5", "5.1"]);
  });

  it("refuses a release the tests have no site for, naming those they have", () => {
    expect(() => selecting("4.5,5.0")).toThrow(
      "COURSEFED_MOODLE_RELEASES=4.5,5.0: the tests have no Moodle site for 5.0; name 4.5 or 5.1, or both separated by a comma.",
    );
    expect(() => selecting("4.5.6")).toThrow("no Moodle site for 4.5.6;");
  });
});
