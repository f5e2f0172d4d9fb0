import type { CatalogRepository } from "../../packages/node/src/catalog/catalog-repository.ts";

/**
 * Makes `catalog`'s searches answer that their total stopped at its budget, at `total`
 * ("at least"), as a PostgreSQL search does past thousands of candidates, which no test's
 * catalog holds; returns what puts the repository's own search back.
 */
export function totalsStoppingAt(catalog: CatalogRepository, total: number): () => void {
  const search = catalog.searchCatalog;
  catalog.searchCatalog = async (query) => ({
    ...(await search.call(catalog, query)),
    total,
    totalExact: false,
    totalBound: "atLeast",
  });
  return () => {
    catalog.searchCatalog = search;
  };
}
