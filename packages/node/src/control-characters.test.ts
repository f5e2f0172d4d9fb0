import { describe, expect, it } from "vitest";
import { hasControlCharacters } from "./control-characters.ts";

const at = (path: string) => new URL(path, "https://courses.univ.example/");

describe("hasControlCharacters", () => {
  it.each([
    "/language?back=/%0a/x",
    "/language?back=/%09%09/evil.example",
    "/catalog?q=%00",
    "/catalog?q%07=1",
    "/catalog?q=%7F",
    "/catalog?q=%C2%85",
    "/tags/a%00b",
    "/courses/%0D%0A",
  ])("finds them in %s", (path) => {
    expect(hasControlCharacters(at(path))).toBe(true);
  });

  it.each([
    "/catalog?q=%C3%A9t%C3%A9+%C3%A0+No%C3%ABl",
    "/tags/%C3%A9ducation",
    "/catalog?q=%E9",
    "/catalog?q=%zz",
    "/courses/%85",
    "/catalog?q=a%2Fb%5Cc",
    "/catalog?q=%E2%80%A8",
  ])("lets %s pass", (path) => {
    expect(hasControlCharacters(at(path))).toBe(false);
  });
});
