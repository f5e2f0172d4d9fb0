-- The catalog's search terms (catalog/postgres-catalog-search.ts): one GIN index of them
-- for live courses: every prefix, up to 8 characters, of each word of the title, summary
-- and tags ("w") and of the title and tags alone ("T"), in the three configurations of
-- the tsvector columns; the facets; and the day the course was published ("d", its
-- search key's day), so that one day's matches of a few terms are one exact lookup and a
-- search reads the catalog newest day first, stopping at its page. A prefix being an
-- exact term, a common prefix ("stat") is no longer a gathering of every word it starts.
CREATE FUNCTION "catalog_search_terms"("search" tsvector, "title_search" tsvector, "facets" jsonb, "search_key" bigint)
RETURNS text[] LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE COST 10000 AS $$
DECLARE
  "terms" text[] := ARRAY(SELECT jsonb_array_elements_text("facets"));
  "lexeme" text;
  "size" integer;
BEGIN
  -- Repeated terms are left in: GIN keeps each once per row.
  FOREACH "lexeme" IN ARRAY tsvector_to_array("search") LOOP
    FOR "size" IN 1..least(length("lexeme"), 8) LOOP
      "terms" := "terms" || ('w' || left("lexeme", "size"));
    END LOOP;
  END LOOP;
  FOREACH "lexeme" IN ARRAY tsvector_to_array("title_search") LOOP
    FOR "size" IN 1..least(length("lexeme"), 8) LOOP
      "terms" := "terms" || ('T' || left("lexeme", "size"));
    END LOOP;
  END LOOP;
  IF "search_key" IS NOT NULL THEN
    -- search_key is publishedAt × 1024: a day is 86,400,000 × 1024 keys.
    "terms" := "terms" || ('d' || ("search_key" / 88473600000));
  END IF;
  RETURN "terms";
END
$$;--> statement-breakpoint
CREATE INDEX "catalog_entries_terms" ON "catalog_entries" USING gin (catalog_search_terms("search", "title_search", "facets", "search_key")) WHERE "deleted_at" IS NULL;--> statement-breakpoint
-- Every search reads catalog_entries_terms now.
DROP INDEX "catalog_entries_lookup";
