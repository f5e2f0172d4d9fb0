ALTER TABLE "courses" ADD COLUMN "last_published_at" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
-- Courses published before: their latest revision's publication.
UPDATE "courses" SET "last_published_at" = COALESCE((SELECT max("published_at") FROM "course_revisions" WHERE "course_revisions"."course_id" = "courses"."id"), "courses"."created_at");--> statement-breakpoint
ALTER TABLE "followings" ADD COLUMN "read_through_at" bigint;--> statement-breakpoint
CREATE INDEX "courses_outbox" ON "courses" USING btree ("actor_id","last_published_at","id");--> statement-breakpoint
CREATE INDEX "courses_live_order" ON "courses" USING btree ("last_published_at","id");
