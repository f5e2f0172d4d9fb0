import { describe, expect, it } from "vitest";
import { networkSearchParams, networkSearchQueryFrom } from "./network-search-query.ts";
import { RequesterRateLimit } from "./requester-rate-limit.ts";
import { searchWords, textRelevance } from "./text-relevance.ts";

describe("text relevance", () => {
  const course = {
    title: "Algèbre linéaire",
    summary: "<p>Espaces <strong>vectoriels</strong> et matrices</p>",
    tags: ["maths", "première année"],
  };

  it("finds each word as the start of a word, accents and case aside, every word required", () => {
    expect(searchWords("L'ALGÈBRE, linéaire!")).toEqual(["l", "algebre", "lineaire"]);
    expect(textRelevance(searchWords("algebre"), course)).toBeGreaterThan(0);
    expect(textRelevance(searchWords("alg vect"), course)).toBeGreaterThan(0);
    expect(textRelevance(searchWords("algebre chimie"), course)).toBeUndefined();
    // Markup is not text: "strong" is a tag of the summary, not a word of it.
    expect(textRelevance(searchWords("strong"), course)).toBeUndefined();
  });

  it("ranks the title above the tags above the summary, a whole word above its start", () => {
    const title = textRelevance(["algebre"], course) as number;
    const tag = textRelevance(["maths"], course) as number;
    const summary = textRelevance(["matrices"], course) as number;
    expect(title).toBeGreaterThan(tag);
    expect(tag).toBeGreaterThan(summary);
    expect(textRelevance(["alg"], course) as number).toBeLessThan(title);
    expect(textRelevance([], course)).toBe(0);
  });
});

describe("network search query", () => {
  it("reads the catalog's filters and gives them back as parameters", () => {
    const query = networkSearchQueryFrom(
      new URLSearchParams(
        "q= algebra &institution=Courses.Univ.Example&moodle=4.1&withoutPlugins=true&restorable=true",
      ),
    );
    expect(query).toEqual({
      q: "algebra",
      tag: undefined,
      institution: "courses.univ.example",
      teacher: undefined,
      language: undefined,
      moodle: "4.1",
      plugin: undefined,
      withoutPlugins: true,
    });
    expect(networkSearchParams(query).toString()).toBe(
      "q=algebra&institution=courses.univ.example&moodle=4.1&withoutPlugins=true",
    );
  });

  it("refuses what cannot be a filter, saying what to write", () => {
    const refusal = (params: string) => {
      try {
        networkSearchQueryFrom(new URLSearchParams(params));
      } catch (error) {
        return error as { code: string; message: string };
      }
      return undefined;
    };
    expect(refusal("moodle=latest")).toMatchObject({ code: "INVALID_QUERY" });
    expect(refusal("moodle=latest")?.message).toContain("major.minor");
    expect(refusal("withoutPlugins=yes")?.message).toContain("true or false");
    expect(refusal(`q=${"a".repeat(201)}`)?.message).toContain("at most 200");
    expect(refusal("tag=a%00b")?.message).toContain("control characters");
  });
});

describe("requester rate limit", () => {
  it("lets a server ask so many a minute, then says when its oldest search leaves the window", () => {
    let now = 1_000_000;
    const limit = new RequesterRateLimit(3, () => now);
    expect(limit.take("https://a.example")).toBeUndefined();
    now += 20_000;
    expect(limit.take("https://a.example")).toBeUndefined();
    expect(limit.take("https://a.example")).toBeUndefined();
    expect(limit.take("https://a.example")).toBe(40);
    // Another server's quota is its own.
    expect(limit.take("https://b.example")).toBeUndefined();
    // A refused search is not counted: once the first leaves the window, one more passes.
    now += 40_001;
    expect(limit.take("https://a.example")).toBeUndefined();
    expect(limit.take("https://a.example")).toBeGreaterThan(0);
  });
});
