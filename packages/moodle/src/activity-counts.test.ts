import { describe, expect, it } from "vitest";
import { countActivities, missingActivities } from "./activity-counts.ts";

describe("activity counts", () => {
  it("counts a backup's activities by module", () => {
    expect(countActivities([{ module: "quiz" }, { module: "forum" }, { module: "quiz" }])).toEqual({
      quiz: 2,
      forum: 1,
    });
  });

  it("names what the restored course lacks, and how many of each", () => {
    expect(
      missingActivities({ forum: 1, surveypro: 20, quiz: 3 }, { forum: 2, quiz: 1, page: 4 }),
    ).toEqual({ surveypro: 20, quiz: 2 });
    expect(missingActivities({ forum: 1 }, { forum: 1 })).toEqual({});
  });
});
