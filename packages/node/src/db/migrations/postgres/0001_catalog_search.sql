-- Full-text index of the catalog. Most users write French, many English: titles and
-- summaries are indexed in both configurations, each with accents folded (unaccent), so
-- that "theatre" finds "théâtre" and "courses" finds "course". Tags are kept as words.
CREATE EXTENSION IF NOT EXISTS unaccent;
--> statement-breakpoint
CREATE TEXT SEARCH CONFIGURATION coursefed_french (COPY = pg_catalog.french);
--> statement-breakpoint
ALTER TEXT SEARCH CONFIGURATION coursefed_french
  ALTER MAPPING FOR hword, hword_part, word WITH unaccent, french_stem;
--> statement-breakpoint
CREATE TEXT SEARCH CONFIGURATION coursefed_english (COPY = pg_catalog.english);
--> statement-breakpoint
ALTER TEXT SEARCH CONFIGURATION coursefed_english
  ALTER MAPPING FOR hword, hword_part, word WITH unaccent, english_stem;
--> statement-breakpoint
CREATE TEXT SEARCH CONFIGURATION coursefed_simple (COPY = pg_catalog.simple);
--> statement-breakpoint
ALTER TEXT SEARCH CONFIGURATION coursefed_simple
  ALTER MAPPING FOR hword, hword_part, word WITH unaccent, simple;
--> statement-breakpoint
ALTER TABLE "catalog_entries" ADD COLUMN "search" tsvector GENERATED ALWAYS AS (
  setweight(to_tsvector('coursefed_english'::regconfig, "title"), 'A')
  || setweight(to_tsvector('coursefed_french'::regconfig, "title"), 'A')
  || setweight(to_tsvector('coursefed_simple'::regconfig, "title"), 'A')
  || setweight(to_tsvector('coursefed_english'::regconfig, coalesce("summary", '')), 'B')
  || setweight(to_tsvector('coursefed_french'::regconfig, coalesce("summary", '')), 'B')
  || setweight(to_tsvector('coursefed_simple'::regconfig, coalesce("summary", '')), 'B')
  || setweight(to_tsvector('coursefed_simple'::regconfig, "tags"::text), 'A')
) STORED;
--> statement-breakpoint
CREATE INDEX "catalog_entries_search" ON "catalog_entries" USING gin ("search");
