import type { LocalActorRepository } from "../actors/local-actors.ts";
import type { CatalogRepository } from "../catalog/catalog-repository.ts";
import {
  type CourseManifest,
  type LineageCredit,
  readOwnManifest,
} from "../manifests/course-manifest.ts";
import type { CourseRepository } from "./course-repository.ts";

/**
 * What a licence lets a derivative do, read from the words people and Moodle write it
 * with: "CC BY-SA 4.0", "CC-BY-NC-SA-4.0" (SPDX), "cc-nc-sa-4.0" (Moodle's short names),
 * "CC0", "All rights reserved". A text not recognised is `unknown`: nothing is assumed of
 * it, neither allowed nor refused, and the lineage shows it as it is written.
 */
export interface LicenceTerms {
  readonly kind: "public-domain" | "creative-commons" | "all-rights-reserved" | "unknown";
  /** Derivatives must be shared under the same licence. */
  readonly shareAlike: boolean;
  /** Derivatives must not be used commercially, so must say NC too. */
  readonly nonCommercial: boolean;
  /** No derivative may be shared at all. */
  readonly noDerivatives: boolean;
}

const UNKNOWN: LicenceTerms = {
  kind: "unknown",
  shareAlike: false,
  nonCommercial: false,
  noDerivatives: false,
};

export function licenceTerms(licence: string | null): LicenceTerms {
  if (!licence) return UNKNOWN;
  const words = licence
    .trim()
    .toLowerCase()
    .replace(/creative\s*commons/g, "cc")
    .replace(/attribution/g, "by")
    .replace(/sharealike|share-alike|share alike/g, "sa")
    .replace(/noncommercial|non-commercial|non commercial/g, "nc")
    .replace(/noderivatives|noderivs|no-derivatives|no derivatives/g, "nd")
    .replace(/[\s_/]+/g, "-");
  if (/^(cc0|cc-zero|public|public-domain|pd|pdm|cc-pdm)(-[\d.]+)?(-universal)?$/.test(words)) {
    return { ...UNKNOWN, kind: "public-domain" };
  }
  if (/^(all-rights-reserved|allrightsreserved|arr|proprietary)$/.test(words)) {
    return { ...UNKNOWN, kind: "all-rights-reserved", noDerivatives: true };
  }
  // Moodle's short names leave BY out ("cc-4.0", "cc-nc-sa-4.0"): every CC licence has it.
  const cc = /^(?:cc-)?(by(?:-(?:nc|sa|nd))*|cc(?:-(?:nc|sa|nd))*)(?:-[\d.]+)?(?:-[a-z]{2})?$/.exec(
    words,
  );
  if (!cc?.[1] || (!words.startsWith("cc") && !words.startsWith("by"))) return UNKNOWN;
  const parts = cc[1].split("-");
  return {
    kind: "creative-commons",
    shareAlike: parts.includes("sa"),
    nonCommercial: parts.includes("nc"),
    noDerivatives: parts.includes("nd"),
  };
}

/** Whether two licences grant the same terms (share-alike asks for no less, no more). */
function sameTerms(left: LicenceTerms, right: LicenceTerms): boolean {
  return (
    left.kind === right.kind &&
    left.shareAlike === right.shareAlike &&
    left.nonCommercial === right.nonCommercial &&
    left.noDerivatives === right.noDerivatives
  );
}

/** An ancestor of a course along `derivedFrom`, and where its description was read. */
export interface LineageAncestor extends LineageCredit {
  /**
   * `ours`: published on this node; `catalog`: a revision in our catalog, its manifest
   * verified; `credited`: not held here, described by the signed credits of its nearest
   * descendant we hold; `unknown`: none of these (the chain stops there).
   */
  readonly known: "ours" | "catalog" | "credited" | "unknown";
}

/** What a derivative's licence breaks, naming the ancestor whose licence says so. */
export interface LineageRefusal {
  readonly rule: "no-derivatives" | "share-alike" | "non-commercial";
  readonly ancestor: LineageAncestor;
  /** For people: what is wrong and what to do. */
  readonly message: string;
}

/**
 * Checks a derivative's licence against every ancestor whose licence is known: none may
 * forbid derivatives; a share-alike one asks for its very terms; a non-commercial one
 * for NC. An ancestor whose licence is not known refuses nothing: the node cannot read a
 * licence it does not have, and the chain shows it as unknown for people to judge.
 */
export function derivativeRefusal(
  chain: readonly LineageAncestor[],
  licence: string | null,
): LineageRefusal | undefined {
  const own = licenceTerms(licence);
  for (const ancestor of chain) {
    const terms = licenceTerms(ancestor.license);
    const named = `"${ancestor.title ?? ancestor.object}"${ancestor.institution ? ` (${ancestor.institution})` : ""}`;
    if (terms.noDerivatives) {
      return {
        rule: "no-derivatives",
        ancestor,
        message: `This course is derived from ${named}, whose licence "${ancestor.license}" allows no derivatives: it cannot be shared as an adapted copy. Ask its authors for permission and for a licence that allows adaptation, or share a course of your own.`,
      };
    }
    if (terms.shareAlike && !sameTerms(terms, own)) {
      return {
        rule: "share-alike",
        ancestor,
        message: `This course is derived from ${named}, under "${ancestor.license}", which is share-alike: publish it under the same licence (licence "${ancestor.license}")${licence ? `, not "${licence}"` : ""}.`,
      };
    }
    if (terms.nonCommercial && !own.nonCommercial) {
      return {
        rule: "non-commercial",
        ancestor,
        message: `This course is derived from ${named}, under "${ancestor.license}", which is non-commercial: choose a NonCommercial licence for it (e.g. "CC BY-NC 4.0", or "CC BY-NC-SA 4.0")${licence ? `, not "${licence}"` : ""}.`,
      };
    }
  }
  return undefined;
}

/** Where the chain is read: our courses, our catalog, and the names of their actors. */
export interface LineageSources {
  /** Our public origin: an object under it is one of our courses. */
  readonly origin: string;
  readonly courses: Pick<CourseRepository, "course" | "revision" | "latestRevision">;
  readonly actors: Pick<LocalActorRepository, "byId" | "byIdentifier">;
  readonly catalog: Pick<
    CatalogRepository,
    "catalogEntry" | "catalogRevision" | "catalogRevisions" | "catalogPublishers"
  >;
}

/**
 * The revision a publisher names as its source: the one given, or the latest this node
 * holds; undefined when the course is neither ours nor in our catalog (a lineage this node
 * cannot read is not one it lets a teacher claim).
 */
export async function declaredSource(
  sources: LineageSources,
  object: string,
  revision?: number,
): Promise<{ object: string; revision: number } | undefined> {
  const ours = new URL("/courses/", sources.origin).href;
  if (object.startsWith(ours)) {
    const course = await sources.courses.course(object.slice(ours.length));
    if (!course) return undefined;
    const found =
      revision === undefined
        ? await sources.courses.latestRevision(course.id)
        : await sources.courses.revision(course.id, revision);
    return found ? { object, revision: found.revision } : undefined;
  }
  const entry = await sources.catalog.catalogEntry(object);
  if (!entry) return undefined;
  if (revision === undefined) return { object, revision: entry.revision };
  return (await sources.catalog.catalogRevision(object, revision))
    ? { object, revision }
    : undefined;
}

/** Past this many ancestors the chain is cut: a loop or a hostile manifest, not a lineage. */
const MAX_ANCESTORS = 30;

/**
 * The ancestors of a course derived from `source`, the source first. Each is read from
 * what this node holds (its own courses, its catalog's verified manifests); one it does
 * not hold is taken from the signed credits of the nearest descendant it holds, and
 * failing that is `unknown`, where the chain stops. Nothing is fetched from other nodes:
 * a publish must not wait on, nor be blocked by, a node that does not answer, and the
 * source's own node checked the rest of the chain when it published.
 */
export async function lineageOf(
  sources: LineageSources,
  source: CourseManifest["derivedFrom"],
  /** The credits of the course whose lineage this is, when its manifest has them. */
  ownCredits: readonly LineageCredit[] = [],
): Promise<LineageAncestor[]> {
  const chain: LineageAncestor[] = [];
  const seen = new Set<string>();
  let credited = ownCredits;
  let next = source;
  while (next && chain.length < MAX_ANCESTORS && !seen.has(next.object)) {
    seen.add(next.object);
    const held = await heldAncestor(sources, next);
    if (held) {
      chain.push(held.ancestor);
      credited = held.manifest.credits ?? [];
      next = held.manifest.derivedFrom;
      continue;
    }
    const current = next;
    const from = credited.findIndex((credit) => credit.object === current.object);
    if (from < 0) {
      chain.push({
        object: current.object,
        revision: current.revision,
        title: null,
        authors: [],
        institution: null,
        license: null,
        url: current.object,
        known: "unknown",
      });
    } else {
      for (const credit of credited.slice(from, from + MAX_ANCESTORS - chain.length)) {
        chain.push({ ...creditOf(credit), known: "credited" });
      }
    }
    break;
  }
  return chain;
}

/** A credit as the manifest carries it, without whatever else a newer node put in. */
export function creditOf(ancestor: LineageCredit): LineageCredit {
  return {
    object: ancestor.object,
    revision: ancestor.revision,
    title: ancestor.title,
    authors: [...ancestor.authors],
    institution: ancestor.institution,
    license: ancestor.license,
    url: ancestor.url,
  };
}

async function heldAncestor(
  sources: LineageSources,
  at: { readonly object: string; readonly revision: number },
): Promise<{ ancestor: LineageAncestor; manifest: CourseManifest } | undefined> {
  const ours = new URL("/courses/", sources.origin).href;
  if (at.object.startsWith(ours)) {
    const course = await sources.courses.course(at.object.slice(ours.length));
    const revision = course && (await sources.courses.revision(course.id, at.revision));
    if (!course || !revision) return undefined;
    const manifest = readOwnManifest(revision.manifest);
    const author = await sources.actors.byId(course.actorId);
    const institution = await sources.actors.byIdentifier("institution");
    return {
      manifest,
      ancestor: {
        object: at.object,
        revision: at.revision,
        title: course.title,
        authors: author ? [author.name] : [],
        institution: institution?.name ?? null,
        license: manifest.license,
        url: at.object,
        known: "ours",
      },
    };
  }
  const entry = await sources.catalog.catalogEntry(at.object);
  if (!entry) return undefined;
  // The revision derived from, or (when not received) the nearest one we hold.
  const revision =
    (await sources.catalog.catalogRevision(at.object, at.revision)) ??
    (await sources.catalog.catalogRevisions(at.object))[0];
  const manifest = (revision?.manifest ?? entry.manifest) as unknown as CourseManifest;
  const publisher = (await sources.catalog.catalogPublishers([entry.actorUri])).get(entry.actorUri);
  const author = publisher?.author;
  return {
    manifest,
    ancestor: {
      object: at.object,
      revision: at.revision,
      title: entry.title,
      authors: author ? [author.name ?? author.handle ?? author.uri] : [],
      institution: publisher?.institution?.name ?? new URL(entry.actorUri).host,
      license: manifest.license,
      url: at.object,
      known: "catalog",
    },
  };
}

/** An ancestor's authors, then its institution unless it is its own author (an institution's course). */
export function creditedNames(ancestor: LineageCredit): string {
  const names = [...ancestor.authors];
  if (ancestor.institution && !names.includes(ancestor.institution))
    names.push(ancestor.institution);
  return names.join(", ");
}

/** Marks the credits paragraph in a summary, so a new revision does not add it twice. */
const CREDITS_HEADING = "Credits:";

/**
 * The summary with a credits paragraph naming every ancestor (title, authors,
 * institution, licence, link), added once: a summary that has it keeps it as written.
 */
export function summaryWithCredits(
  summary: string | null,
  chain: readonly LineageAncestor[],
): string | null {
  if (chain.length === 0) return summary;
  const missing = chain.filter((ancestor) => !summary?.includes(ancestor.url));
  if (missing.length === 0) return summary;
  const lines = missing.map((ancestor) => {
    const by = creditedNames(ancestor);
    return `- "${ancestor.title ?? "unknown title"}"${by ? ` by ${by}` : ""}, licence ${ancestor.license ?? "unknown"}: ${ancestor.url}`;
  });
  const block = summary?.includes(CREDITS_HEADING)
    ? lines.join("\n")
    : `${CREDITS_HEADING} adapted from\n${lines.join("\n")}`;
  return summary ? `${summary}\n\n${block}` : block;
}
