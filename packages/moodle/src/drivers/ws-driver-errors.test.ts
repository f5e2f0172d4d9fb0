import { describe, expect, it } from "vitest";
import { MoodleError } from "../errors.ts";
import { moodleErrorOf, pluginMissingWhenNotFound } from "./ws-driver-errors.ts";

const SITE = "https://moodle.example";

/** What a site answers for a missing record, as its release words it (measured on 4.5.6 and 5.1.3). */
const MISSING = {
  functionOn45: {
    exception: "dml_missing_record_exception",
    errorcode: "invalidrecord",
    message: "Can't find data record in database table external_functions.",
  },
  courseOn45: {
    exception: "dml_missing_record_exception",
    errorcode: "invalidrecord",
    message: "Can't find data record in database table course.",
  },
  // 5.1 without debugging: the same answer for a function and a course it does not know.
  anythingOn51: {
    exception: "dml_missing_record_exception",
    errorcode: "invalidrecordunknown",
    message: "Can't find data record in database.",
  },
};

/** The error a promise that rejects with `error` ends with once `handle` saw it. */
async function handled(error: unknown, handle: (error: unknown) => never): Promise<unknown> {
  return await Promise.reject(error)
    .catch(handle)
    .catch((caught: unknown) => caught);
}

describe("missing records in Moodle's answers", () => {
  it("calls a course Moodle 4.5 or 5.1 cannot find NOT_FOUND, and a function 4.5 cannot find PLUGIN_MISSING", () => {
    expect(moodleErrorOf(SITE, MISSING.courseOn45, "BACKUP_FAILED", "").code).toBe("NOT_FOUND");
    expect(moodleErrorOf(SITE, MISSING.anythingOn51, "BACKUP_FAILED", "").code).toBe("NOT_FOUND");
    expect(moodleErrorOf(SITE, MISSING.functionOn45, "MISCONFIGURED", "")).toMatchObject({
      code: "PLUGIN_MISSING",
      message: expect.stringContaining("admin/cli/upgrade.php"),
    });
  });

  it("says the plugin is missing when the site-info call finds no record on 5.1, keeping Moodle's answer as the log", async () => {
    const log = JSON.stringify(MISSING.anythingOn51);
    const error = await handled(
      moodleErrorOf(SITE, MISSING.anythingOn51, "MISCONFIGURED", log),
      pluginMissingWhenNotFound(SITE),
    );
    expect(error).toBeInstanceOf(MoodleError);
    expect(error).toMatchObject({
      code: "PLUGIN_MISSING",
      transient: false,
      log,
      message: expect.stringContaining(`${SITE} does not have the coursefed plugin`),
    });
  });

  it("passes on every other failure of the site-info call as it is", async () => {
    const refused = moodleErrorOf(
      SITE,
      { errorcode: "invalidtoken", message: "Invalid token - token not found" },
      "MISCONFIGURED",
      "",
    );
    expect(await handled(refused, pluginMissingWhenNotFound(SITE))).toBe(refused);
    const unreachable = new Error("ECONNREFUSED");
    expect(await handled(unreachable, pluginMissingWhenNotFound(SITE))).toBe(unreachable);
  });
});
