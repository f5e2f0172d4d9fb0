import type { CatalogQuery, CatalogRepository } from "./catalog-repository.ts";

/** The catalog's search criteria a person sets, by the name the API gives them. */
export const CATALOG_FILTERS = [
  "q",
  "actor",
  "teacher",
  "institution",
  "tag",
  "language",
  "moodle",
  "plugin",
  "withoutPlugins",
  "restorable",
] as const;
export type CatalogFilter = (typeof CATALOG_FILTERS)[number];

/**
 * Why a search found nothing, when that is known, so nobody reads "0 courses" as "the
 * catalog is empty" or "nothing suits my Moodle":
 * - no_probed_target: "restorable" was asked but no Moodle target has been probed, so
 *   nothing can be judged restorable yet;
 * - filtered: these criteria left nothing out of a catalog that has courses;
 * - catalog_empty: nothing has been received yet (follow someone).
 */
export type CatalogEmptyReason =
  | { readonly code: "no_probed_target" }
  | { readonly code: "filtered"; readonly filters: readonly CatalogFilter[] }
  | { readonly code: "catalog_empty" };

/** The criteria of a query that narrow the search, in the order of CATALOG_FILTERS. */
export function activeCatalogFilters(
  query: Omit<CatalogQuery, "restorableOn" | "limit" | "offset"> & { restorable?: boolean },
): CatalogFilter[] {
  return CATALOG_FILTERS.filter((name) => Boolean(query[name]));
}

/**
 * Why nothing was found: `found` is the search's total, `probedTargets` how many Moodle
 * targets have been probed; the catalog is counted only when the search found nothing.
 */
export async function catalogEmptyReason(
  catalog: Pick<CatalogRepository, "searchCatalog">,
  filters: readonly CatalogFilter[],
  found: number,
  probedTargets: number,
): Promise<CatalogEmptyReason | undefined> {
  if (found > 0) return undefined;
  if (filters.includes("restorable") && probedTargets === 0) return { code: "no_probed_target" };
  if (filters.length === 0) return { code: "catalog_empty" };
  const { total } = await catalog.searchCatalog({ limit: 1, offset: 0 });
  return total === 0 ? { code: "catalog_empty" } : { code: "filtered", filters };
}

/** The reason in English, for the API and the CLI: what is wrong and what to do. */
export function catalogEmptyMessage(reason: CatalogEmptyReason): string {
  switch (reason.code) {
    case "no_probed_target":
      return "No Moodle target has been probed yet, so no course can be judged restorable: probe a target (coursefed moodle probe NAME, or POST /api/v1/moodle/targets/{name}/probe), or search without restorable.";
    case "catalog_empty":
      return "The catalog is empty: this node has received no course yet. Follow an institution or a teacher (coursefed follow @handle@host) and their courses arrive.";
    case "filtered":
      return `No course matches every criterion given (${reason.filters.join(", ")}); the catalog has courses: remove some criteria to see them.`;
  }
}
