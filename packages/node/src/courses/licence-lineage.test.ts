import { describe, expect, it } from "vitest";
import type { CatalogEntry, CatalogRevision } from "../catalog/catalog-repository.ts";
import type { LineageCredit } from "../manifests/course-manifest.ts";
import {
  derivativeRefusal,
  type LineageAncestor,
  type LineageSources,
  licenceTerms,
  lineageOf,
  summaryWithCredits,
} from "./licence-lineage.ts";

describe("licenceTerms", () => {
  it.each([
    ["CC BY 4.0", "creative-commons", false, false, false],
    ["CC-BY-SA-4.0", "creative-commons", true, false, false],
    ["cc-sa-4.0", "creative-commons", true, false, false],
    ["CC BY-NC-SA 4.0", "creative-commons", true, true, false],
    ["cc-nc-4.0", "creative-commons", false, true, false],
    ["CC BY-ND 4.0", "creative-commons", false, false, true],
    ["CC-BY-NC-ND-4.0", "creative-commons", false, true, true],
    ["Creative Commons Attribution-ShareAlike 4.0", "creative-commons", true, false, false],
    ["CC0", "public-domain", false, false, false],
    ["CC0 1.0", "public-domain", false, false, false],
    ["public", "public-domain", false, false, false],
    ["All rights reserved", "all-rights-reserved", false, false, true],
    ["allrightsreserved", "all-rights-reserved", false, false, true],
    ["Licence ouverte Etalab", "unknown", false, false, false],
    ["by the way", "unknown", false, false, false],
  ])("%s: %s, SA %s, NC %s, ND %s", (text, kind, shareAlike, nonCommercial, noDerivatives) => {
    expect(licenceTerms(text)).toEqual({ kind, shareAlike, nonCommercial, noDerivatives });
  });

  it("knows nothing of a course without a licence", () => {
    expect(licenceTerms(null).kind).toBe("unknown");
  });
});

const ancestor = (license: string | null, title = "Algèbre 1"): LineageAncestor => ({
  object: `https://univ-a.example/courses/${title.length}`,
  revision: 2,
  title,
  authors: ["Marie Curie"],
  institution: "Université A",
  license,
  url: `https://univ-a.example/courses/${title.length}`,
  known: "catalog",
});

describe("derivativeRefusal", () => {
  it.each([
    // [ancestor's licence, derivative's licence, rule broken or undefined]
    ["CC BY 4.0", "CC BY 4.0", undefined],
    ["CC BY 4.0", null, undefined],
    ["CC BY 4.0", "All rights reserved", undefined],
    ["CC0", "CC BY-NC 4.0", undefined],
    ["CC BY-SA 4.0", "CC BY-SA 4.0", undefined],
    ["CC BY-SA 4.0", "cc-sa-4.0", undefined],
    ["CC BY-SA 4.0", "CC BY 4.0", "share-alike"],
    ["CC BY-SA 4.0", null, "share-alike"],
    ["CC BY-SA 4.0", "CC BY-NC-SA 4.0", "share-alike"],
    ["CC BY-NC-SA 4.0", "CC BY-NC-SA 4.0", undefined],
    ["CC BY-NC-SA 4.0", "CC BY-SA 4.0", "share-alike"],
    ["CC BY-NC 4.0", "CC BY-NC 4.0", undefined],
    ["CC BY-NC 4.0", "CC BY-NC-SA 4.0", undefined],
    ["CC BY-NC 4.0", "CC BY 4.0", "non-commercial"],
    ["CC BY-NC 4.0", null, "non-commercial"],
    ["CC BY-ND 4.0", "CC BY-ND 4.0", "no-derivatives"],
    ["CC BY-NC-ND 4.0", "CC BY-NC-ND 4.0", "no-derivatives"],
    ["All rights reserved", "CC BY 4.0", "no-derivatives"],
    ["Licence maison", "CC BY 4.0", undefined],
    [null, "CC BY 4.0", undefined],
  ])("from %s to %s: %s", (from, to, rule) => {
    expect(derivativeRefusal([ancestor(from)], to)?.rule).toBe(rule);
  });

  it("checks every ancestor, and names the one whose licence refuses, and what to do", () => {
    const chain = [ancestor("CC BY 4.0", "Parent"), ancestor("CC BY-NC-SA 4.0", "Grand-parent")];
    const refusal = derivativeRefusal(chain, "CC BY 4.0");
    expect(refusal?.rule).toBe("share-alike");
    expect(refusal?.ancestor.title).toBe("Grand-parent");
    expect(refusal?.message).toContain('"Grand-parent" (Université A)');
    expect(refusal?.message).toContain('"CC BY-NC-SA 4.0"');
    expect(refusal?.message).toContain("publish it under the same licence");
    expect(derivativeRefusal(chain, "CC BY-NC-SA 4.0")).toBeUndefined();
  });
});

describe("lineageOf", () => {
  const origin = "https://here.example";
  const credit = (n: number, license: string): LineageCredit => ({
    object: `https://far-${n}.example/courses/c${n}`,
    revision: 1,
    title: `Course ${n}`,
    authors: [`Author ${n}`],
    institution: `Institution ${n}`,
    license,
    url: `https://far-${n}.example/courses/c${n}`,
  });
  /** A catalog holding one course, derived from far-1's, which credits far-1 and far-2. */
  const sources = (credits: LineageCredit[] | undefined): LineageSources => {
    const held = "https://there.example/courses/parent";
    const manifest = {
      object: held,
      revision: 3,
      license: "CC BY-SA 4.0",
      derivedFrom: { object: "https://far-1.example/courses/c1", revision: 1 },
      ...(credits ? { credits } : {}),
    };
    return {
      origin,
      courses: {
        course: async () => undefined,
        revision: async () => undefined,
        latestRevision: async () => undefined,
      },
      actors: { byId: async () => undefined, byIdentifier: async () => undefined },
      catalog: {
        catalogEntry: async (uri: string) =>
          uri === held
            ? ({
                objectUri: held,
                actorUri: "https://there.example/actors/ada",
                title: "Parent course",
                manifest,
              } as unknown as CatalogEntry)
            : undefined,
        catalogRevision: async (uri: string, revision: number) =>
          uri === held && revision === 3
            ? ({ objectUri: held, revision: 3, manifest } as unknown as CatalogRevision)
            : undefined,
        catalogRevisions: async () => [],
        catalogPublishers: async (uris: readonly string[]) =>
          new Map(
            uris.map((uri) => [
              uri,
              {
                author: { uri, name: "Ada", handle: "ada@there.example", type: "Person" },
                institution: {
                  uri: "https://there.example/actors/institution",
                  name: "There University",
                  handle: null,
                  type: "Organization",
                },
              },
            ]),
          ),
      },
    };
  };
  const parent = { object: "https://there.example/courses/parent", revision: 3 };

  it("reads the source from the catalog and the rest from its signed credits", async () => {
    const chain = await lineageOf(
      sources([credit(1, "CC BY-SA 4.0"), credit(2, "CC BY-ND 4.0")]),
      parent,
    );
    expect(chain.map((found) => [found.title, found.known, found.license])).toEqual([
      ["Parent course", "catalog", "CC BY-SA 4.0"],
      ["Course 1", "credited", "CC BY-SA 4.0"],
      ["Course 2", "credited", "CC BY-ND 4.0"],
    ]);
    expect(chain[0]).toMatchObject({ authors: ["Ada"], institution: "There University" });
    // The ND grandparent refuses, however the source is licensed.
    expect(derivativeRefusal(chain, "CC BY-SA 4.0")?.ancestor.title).toBe("Course 2");
  });

  it("shows an ancestor nobody described as unknown, and stops there", async () => {
    const chain = await lineageOf(sources(undefined), parent);
    expect(chain.map((found) => found.known)).toEqual(["catalog", "unknown"]);
    expect(chain[1]).toMatchObject({ title: null, license: null });
    expect(derivativeRefusal(chain, "CC BY-SA 4.0")).toBeUndefined();
  });

  it("has no ancestors for a course derived from nothing", async () => {
    expect(await lineageOf(sources(undefined), null)).toEqual([]);
  });
});

describe("summaryWithCredits", () => {
  it("credits every ancestor once, with title, authors, institution, licence and link", () => {
    const chain = [ancestor("CC BY-SA 4.0", "Parent")];
    const summary = summaryWithCredits("Mon cours.", chain);
    expect(summary).toBe(
      'Mon cours.\n\nCredits: adapted from\n- "Parent" by Marie Curie, Université A, licence CC BY-SA 4.0: https://univ-a.example/courses/6',
    );
    expect(summaryWithCredits(summary, chain)).toBe(summary);
    expect(summaryWithCredits(null, [])).toBeNull();
  });
});
