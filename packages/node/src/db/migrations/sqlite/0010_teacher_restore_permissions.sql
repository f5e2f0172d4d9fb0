CREATE TABLE `moodle_course_grants` (
	`target_id` integer NOT NULL,
	`moodle_course_id` integer NOT NULL,
	`actor_id` integer NOT NULL,
	`granted_by` text NOT NULL,
	`granted_at` integer NOT NULL,
	PRIMARY KEY(`target_id`, `moodle_course_id`, `actor_id`),
	FOREIGN KEY (`target_id`) REFERENCES `moodle_targets`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`actor_id`) REFERENCES `local_actors`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
ALTER TABLE `moodle_targets` ADD `teacher_category_ids` text DEFAULT '[]' NOT NULL;--> statement-breakpoint
ALTER TABLE `restore_jobs` ADD `requested_by_actor_id` integer;--> statement-breakpoint
CREATE INDEX `restore_jobs_moodle_course` ON `restore_jobs` (`target_id`,`moodle_course_id`);