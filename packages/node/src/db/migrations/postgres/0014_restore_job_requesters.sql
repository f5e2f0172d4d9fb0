DROP INDEX "restore_jobs_idempotence";--> statement-breakpoint
ALTER TABLE "restore_jobs" ADD COLUMN "requester_key" text DEFAULT '' NOT NULL;--> statement-breakpoint
-- Jobs made before keep their asker: a new course is a rule's, a teacher's (a Person actor) or an admin's or site user's by the name they asked under, so that the same person asking again still finds her job.
UPDATE "restore_jobs" SET "requester_key" = CASE WHEN "rule_id" IS NOT NULL THEN 'rules' WHEN "requested_by_actor_id" IN (SELECT "id" FROM "local_actors" WHERE "type" = 'Person') THEN 'actor:' || "requested_by_actor_id" ELSE 'name:' || "requested_by" END WHERE "destination_key" LIKE 'category:%';--> statement-breakpoint
CREATE UNIQUE INDEX "restore_jobs_idempotence" ON "restore_jobs" USING btree ("object_uri","revision","target_id","destination_key","requester_key");
