CREATE TABLE "catalog_restorable" (
	"target_id" integer NOT NULL,
	"search_key" bigint NOT NULL,
	CONSTRAINT "catalog_restorable_target_id_search_key_pk" PRIMARY KEY("target_id","search_key")
);
--> statement-breakpoint
ALTER TABLE "catalog_entries" ADD COLUMN "search_key" bigint;--> statement-breakpoint
ALTER TABLE "catalog_entries" ADD COLUMN "facets" jsonb DEFAULT '[]'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "catalog_restorable" ADD CONSTRAINT "catalog_restorable_target_id_moodle_targets_id_fk" FOREIGN KEY ("target_id") REFERENCES "public"."moodle_targets"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "catalog_entries_search_key" ON "catalog_entries" USING btree ("search_key");--> statement-breakpoint
-- The manifest and its JWS (most of a row's bytes, read only when a course is shown)
-- are kept out of line, so that the rows a search reads are a few hundred bytes.
ALTER TABLE "catalog_entries" ALTER COLUMN "manifest" SET STORAGE EXTERNAL, ALTER COLUMN "manifest_jws" SET STORAGE EXTERNAL;--> statement-breakpoint
-- Words of the title and tags alone: matches there are listed before matches of the
-- summary only (catalog-text-search.ts).
ALTER TABLE "catalog_entries" ADD COLUMN "title_search" tsvector GENERATED ALWAYS AS (
  to_tsvector('coursefed_english'::regconfig, "title")
  || to_tsvector('coursefed_french'::regconfig, "title")
  || to_tsvector('coursefed_simple'::regconfig, "title")
  || to_tsvector('coursefed_simple'::regconfig, "tags"::text)
) STORED;--> statement-breakpoint
-- search_key: publishedAt × 1024, plus the course's rank among those published the same
-- millisecond. facets: the terms catalogFacets() makes, hex of the lowercased value
-- after a letter saying what it is ("t" tag, "l" language, "p" plugin, "n" no plugin,
-- "h" host, "a" actor, "m" branch, "j" its major version).
UPDATE "catalog_entries" SET
  "search_key" = "ranked"."key",
  "facets" = (
    SELECT coalesce(jsonb_agg(DISTINCT "term"), '[]'::jsonb) FROM (
      SELECT 't' || encode(convert_to(lower("value"), 'UTF8'), 'hex') AS "term" FROM jsonb_array_elements_text("catalog_entries"."tags") AS "element"("value")
      UNION ALL SELECT 'l' || encode(convert_to(lower("value"), 'UTF8'), 'hex') FROM jsonb_array_elements_text("catalog_entries"."languages") AS "element"("value")
      UNION ALL SELECT 'p' || encode(convert_to(lower("value"), 'UTF8'), 'hex') FROM jsonb_array_elements_text("catalog_entries"."required_plugins") AS "element"("value")
      UNION ALL SELECT 'n' WHERE jsonb_array_length("catalog_entries"."required_plugins") = 0
      UNION ALL SELECT 'h' || encode(convert_to(lower(substring("catalog_entries"."actor_uri" FROM '^[hH][tT][tT][pP][sS]?://([^/]+)/')), 'UTF8'), 'hex')
        WHERE "catalog_entries"."actor_uri" ~* '^https?://[^/]+/'
      UNION ALL SELECT 'a' || encode(convert_to("catalog_entries"."actor_uri", 'UTF8'), 'hex')
      UNION ALL SELECT 'm' || "catalog_entries"."moodle_branch" WHERE "catalog_entries"."moodle_branch" IS NOT NULL
      UNION ALL SELECT 'j' || ("catalog_entries"."moodle_branch" / 100) WHERE "catalog_entries"."moodle_branch" IS NOT NULL
    ) AS "terms"
  )
FROM (
  SELECT "object_uri", "published_at" * 1024 + row_number() OVER (PARTITION BY "published_at" ORDER BY "object_uri") - 1 AS "key"
  FROM "catalog_entries"
) AS "ranked"
WHERE "ranked"."object_uri" = "catalog_entries"."object_uri";--> statement-breakpoint
-- One GIN index answers the words, the title's words and the facets together (one
-- bitmap, no second index to intersect), for live courses only.
DROP INDEX "catalog_entries_search";--> statement-breakpoint
CREATE INDEX "catalog_entries_lookup" ON "catalog_entries" USING gin ("search", "title_search", "facets" jsonb_path_ops) WHERE "deleted_at" IS NULL;--> statement-breakpoint
CREATE INDEX "catalog_entries_live" ON "catalog_entries" ("search_key" DESC) WHERE "deleted_at" IS NULL;
