import { MoodleError } from "@coursefed/moodle";
import { describe, expect, it } from "vitest";
import { BoostError } from "../catalog/boost-service.ts";
import { FetchError } from "../catalog/fetch-service.ts";
import { PublishError } from "../courses/publish-service.ts";
import { FollowError } from "../follows/follow-target.ts";
import { TeacherPermissionError } from "../moodle-targets/teacher-permissions.ts";
import { RestoreError } from "../restores/restore-service.ts";
import { RuleError } from "../restores/rule-service.ts";
import { problemOf, refusalStatus } from "./error-problems.ts";

const answer = (error: Error) => {
  const found = problemOf(error);
  return found && { status: found.status, code: found.code };
};

describe("one HTTP answer for each refusal", () => {
  it("answers the same refusal the same way whichever service made it", () => {
    // Fetching, boosting and restoring a withdrawn course once answered 404, 409 and 409.
    const withdrawn = [
      new FetchError("WITHDRAWN", "withdrawn"),
      new BoostError("WITHDRAWN", "withdrawn"),
      new RestoreError("WITHDRAWN", "withdrawn"),
    ].map(answer);
    expect(withdrawn).toEqual(Array(3).fill({ status: 409, code: "withdrawn" }));
    const missingTarget = [
      new PublishError("NO_SUCH_TARGET", "no target"),
      new RestoreError("NO_SUCH_TARGET", "no target"),
      new RuleError("TARGET_NOT_FOUND", "no target"),
      new TeacherPermissionError("NO_SUCH_TARGET", "no target"),
    ].map(answer);
    expect(missingTarget).toEqual(Array(4).fill({ status: 404, code: "target_not_found" }));
    expect([
      answer(new FetchError("NOT_FEDERATED", "policy")),
      answer(new FollowError("NOT_FEDERATED", "policy")),
    ]).toEqual(Array(2).fill({ status: 403, code: "not_federated" }));
  });

  it("keeps what a program needs beside the message: findings, Moodle's log", () => {
    const finding = { kind: "users" } as unknown as PublishError["findings"][number];
    expect(problemOf(new PublishError("PERSONAL_DATA", "users", [finding]))).toEqual({
      status: 422,
      code: "personal_data",
      message: "users",
      details: [finding],
    });
    expect(problemOf(new PublishError("NOT_YOURS", "someone else's"))).toEqual({
      status: 403,
      code: "forbidden",
      message: "someone else's",
    });
    expect(
      problemOf(new MoodleError("MISCONFIGURED", "no token", { log: "Moodle said no" })),
    ).toMatchObject({
      status: 502,
      code: "moodle_misconfigured",
      details: { log: "Moodle said no" },
    });
    // A course the Moodle site does not have is the caller's mistake, not Moodle's.
    expect(answer(new MoodleError("NOT_FOUND", "no course 9"))).toEqual({
      status: 404,
      code: "moodle_not_found",
    });
  });

  it("knows no error that is not a refusal: the route lets it go to a 500", () => {
    expect(problemOf(new Error("a bug"))).toBeUndefined();
    expect(problemOf("not even an error")).toBeUndefined();
    expect(refusalStatus(new TypeError("a bug"))).toBe(500);
  });
});
