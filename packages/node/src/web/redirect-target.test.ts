import { describe, expect, it } from "vitest";
import { redirectTarget } from "./redirect-target.ts";

const SITE = new URL("https://courses.univ.example/");

/**
 * Targets known to take a browser elsewhere, or to a script, through a "local path"
 * check; as the route receives them, once the query string is decoded.
 */
const BYPASSES = [
  "//evil.example",
  "//evil.example/catalog",
  "///evil.example",
  "////evil.example",
  "/\\evil.example",
  "/\\/evil.example",
  "\\/evil.example",
  "\\\\evil.example",
  "/\t/evil.example",
  "/\t\t/evil.example",
  "\t//evil.example",
  "/\n/evil.example",
  "/\r\n/evil.example",
  "/\r/evil.example",
  "/\u0000/evil.example",
  "/\u000b/evil.example",
  "/\u007f/evil.example",
  " //evil.example",
  "\u00a0//evil.example",
  "\u3000//evil.example",
  "%2F%2Fevil.example",
  "%2f%2fevil.example",
  "/%2F/evil.example",
  "/%2f%2fevil.example",
  "/%5Cevil.example",
  "/%5cevil.example",
  "/%5C%5Cevil.example",
  "/%2F%5Cevil.example",
  "/..//evil.example",
  "/.//evil.example",
  "/%2e%2e//evil.example",
  "/%2E//evil.example",
  "/catalog/..//evil.example",
  "javascript:alert(1)",
  "JavaScript:alert(1)",
  "\tjavascript:alert(1)",
  " javascript:alert(1)",
  "data:text/html,<script>alert(1)</script>",
  "https:evil.example",
  "https:/evil.example",
  "https://evil.example/",
  "http://courses.univ.example@evil.example/",
  "//courses.univ.example@evil.example/",
  "https://courses.univ.example/catalog",
  "evil.example",
  "@evil.example",
  "",
];

describe("redirectTarget", () => {
  it.each(BYPASSES)("refuses %j", (candidate) => {
    expect(redirectTarget(candidate, SITE)).toBe("/catalog");
    expect(redirectTarget(candidate, SITE, "")).toBe("");
  });

  it("falls back when there is no target", () => {
    expect(redirectTarget(undefined, SITE)).toBe("/catalog");
    expect(redirectTarget(undefined, SITE, "/feeds")).toBe("/feeds");
  });

  it.each([
    ["/feeds", "/feeds"],
    ["/catalog?q=a%2Fb&page=2", "/catalog?q=a%2Fb&page=2"],
    ["/catalog?q=%C3%A9t%C3%A9", "/catalog?q=%C3%A9t%C3%A9"],
    ["/catalog?q=été", "/catalog?q=%C3%A9t%C3%A9"],
    ["/tags/éducation", "/tags/%C3%A9ducation"],
    ["/courses/42#revisions", "/courses/42#revisions"],
    ["/@evil.example", "/@evil.example"],
    ["/catalog/../feeds", "/feeds"],
    ["/%09/x", "/%09/x"],
    ["/\uff0f\uff0fevil.example", "/%EF%BC%8F%EF%BC%8Fevil.example"],
  ])("keeps the local path %j as %j", (candidate, expected) => {
    expect(redirectTarget(candidate, SITE)).toBe(expected);
  });

  // Whatever it answers, a browser reading it as a Location on one of our pages stays here.
  it.each([...BYPASSES, "/feeds", "/catalog?q=été", "/%09/x", "/@evil.example"])(
    "answers for %j a location that resolves to this site",
    (candidate) => {
      const location = redirectTarget(candidate, SITE);
      expect(location).toMatch(/^\/(?![/\\])/);
      // Printable ASCII only: what a Location header carries as it is.
      expect([...location].every((char) => char > " " && char < "\u007f")).toBe(true);
      expect(new URL(location, new URL("/catalog/x?y=1", SITE)).origin).toBe(SITE.origin);
    },
  );
});
