import { describe, expect, it } from "vitest";
import { en } from "../i18n/en.ts";
import { fr } from "../i18n/fr.ts";
import { problemText } from "./course-page.ts";

describe("a compatibility problem as the course page words it", () => {
  const problem = {
    kind: "missing-plugins",
    plugins: ["qtype_ccode", "qtype_coderunner"],
    retired: [{ component: "qtype_ccode", successor: "qtype_coderunner" }],
    message: "",
  } as const;

  it("tells a retired plugin apart from one to install", () => {
    expect(problemText(en, problem, "en")).toBe(
      "Plugins missing on the site: qtype_ccode, qtype_coderunner. qtype_ccode no longer exists (qtype_coderunner replaced it): no use installing it; remove what uses it from the course, or restore without it.",
    );
    expect(problemText(fr, problem, "fr")).toContain(
      "qtype_ccode n’existe plus (remplacé par qtype_coderunner)",
    );
  });
});
