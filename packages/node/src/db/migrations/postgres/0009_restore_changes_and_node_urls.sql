ALTER TABLE "moodle_targets" ADD COLUMN "node_url" text;--> statement-breakpoint
ALTER TABLE "restore_jobs" ADD COLUMN "changes" jsonb;--> statement-breakpoint
ALTER TABLE "local_actors" DROP COLUMN "manually_approves_followers";