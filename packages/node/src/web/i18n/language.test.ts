import { describe, expect, it } from "vitest";
import { inLanguage } from "./language.ts";

describe("the text of a language map for a reader", () => {
  const map = { en: "1 activity added.", fr: "1 activité ajoutée." };

  it("is in the reader's language when the map has it, else in a regional form of it", () => {
    expect(inLanguage(map, "fr")).toBe("1 activité ajoutée.");
    expect(inLanguage(map, "en")).toBe("1 activity added.");
    expect(inLanguage({ "fr-CA": "ajoutée", en: "added" }, "fr")).toBe("ajoutée");
  });

  it("falls back to English, then to no language, then to the first given", () => {
    expect(inLanguage({ de: "hinzugefügt", en: "added" }, "fr")).toBe("added");
    expect(inLanguage({ de: "hinzugefügt", und: "changed" }, "fr")).toBe("changed");
    expect(inLanguage({ de: "hinzugefügt" }, "fr")).toBe("hinzugefügt");
    expect(inLanguage(null, "fr")).toBeUndefined();
    expect(inLanguage({}, "en")).toBeUndefined();
  });
});
