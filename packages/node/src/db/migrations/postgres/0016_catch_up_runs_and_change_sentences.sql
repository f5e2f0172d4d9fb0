CREATE TABLE "catch_up_runs" (
	"id" text PRIMARY KEY NOT NULL,
	"under_way" integer,
	"requested_by" text NOT NULL,
	"started_at" bigint NOT NULL,
	"lease_until" bigint NOT NULL,
	"ended_at" bigint,
	"actors" integer,
	"read" integer DEFAULT 0 NOT NULL,
	"caught_up" integer DEFAULT 0 NOT NULL,
	"error" text
);
--> statement-breakpoint
ALTER TABLE "catalog_revisions" ADD COLUMN "changes" jsonb;--> statement-breakpoint
ALTER TABLE "course_revisions" ADD COLUMN "changes_by_language" jsonb;--> statement-breakpoint
CREATE UNIQUE INDEX "catch_up_runs_under_way" ON "catch_up_runs" USING btree ("under_way");--> statement-breakpoint
CREATE INDEX "catch_up_runs_started" ON "catch_up_runs" USING btree ("started_at");