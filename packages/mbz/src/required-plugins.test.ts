import { describe, expect, it } from "vitest";
import { isStandardPlugin, requiredPlugins } from "./required-plugins.ts";

describe("isStandardPlugin", () => {
  it("knows when a plugin joined Moodle", () => {
    expect(isStandardPlugin("qtype_ordering", "4.3")).toBe(false);
    expect(isStandardPlugin("qtype_ordering", "4.4")).toBe(true);
    expect(isStandardPlugin("mod_h5pactivity", "3.8")).toBe(false);
    expect(isStandardPlugin("mod_h5pactivity", "3.10")).toBe(true);
  });

  it("knows when a plugin left Moodle", () => {
    expect(isStandardPlugin("mod_chat", "4.5")).toBe(true);
    expect(isStandardPlugin("mod_chat", "5.0")).toBe(false);
  });

  it("judges branches newer than its data as the newest it knows", () => {
    expect(isStandardPlugin("mod_forum", "9.9")).toBe(true);
    expect(isStandardPlugin("mod_chat", "9.9")).toBe(false);
  });

  it("never calls a third-party plugin standard", () => {
    expect(isStandardPlugin("qtype_stack", "4.5")).toBe(false);
    expect(isStandardPlugin("mod_studentquiz", "3.5")).toBe(false);
  });
});

describe("requiredPlugins", () => {
  it("lists the non-standard plugins, sorted and once each", () => {
    expect(
      requiredPlugins(
        ["mod_quiz", "qtype_stack", "format_tiles", "qtype_stack", "block_html"],
        "4.1",
      ),
    ).toEqual(["format_tiles", "qtype_stack"]);
  });
});
