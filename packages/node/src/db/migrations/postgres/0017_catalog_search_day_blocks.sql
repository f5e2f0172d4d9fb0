-- The catalog's search terms (catalog/postgres-catalog-search.ts) also name the aligned
-- blocks of 8, 64 and 512 days holding a course's day ("d8-", "d64-", "d512-" and the
-- block's number), so that a search's span of days is at most 7 terms: GIN checks each
-- term of a span at each candidate, and a span of 120 or 480 day terms cost more than
-- the whole list of its words. The index is built again with them.
CREATE OR REPLACE FUNCTION "catalog_search_terms"("search" tsvector, "title_search" tsvector, "facets" jsonb, "search_key" bigint)
RETURNS text[] LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE COST 10000 AS $$
DECLARE
  "terms" text[] := ARRAY(SELECT jsonb_array_elements_text("facets"));
  "lexeme" text;
  "size" integer;
  "day" bigint;
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
    "day" := "search_key" / 88473600000;
    "terms" := "terms" || ('d' || "day") || ('d8-' || ("day" / 8)) || ('d64-' || ("day" / 64))
      || ('d512-' || ("day" / 512));
  END IF;
  RETURN "terms";
END
$$;--> statement-breakpoint
-- The function's terms changed: the index holds the old ones until built again.
REINDEX INDEX "catalog_entries_terms";
