CREATE TABLE `catch_up_runs` (
	`id` text PRIMARY KEY NOT NULL,
	`under_way` integer,
	`requested_by` text NOT NULL,
	`started_at` integer NOT NULL,
	`lease_until` integer NOT NULL,
	`ended_at` integer,
	`actors` integer,
	`read` integer DEFAULT 0 NOT NULL,
	`caught_up` integer DEFAULT 0 NOT NULL,
	`error` text
);
--> statement-breakpoint
CREATE UNIQUE INDEX `catch_up_runs_under_way` ON `catch_up_runs` (`under_way`);--> statement-breakpoint
CREATE INDEX `catch_up_runs_started` ON `catch_up_runs` (`started_at`);--> statement-breakpoint
ALTER TABLE `catalog_revisions` ADD `changes` text;--> statement-breakpoint
ALTER TABLE `course_revisions` ADD `changes_by_language` text;