CREATE TABLE `moodle_publications` (
	`target_id` integer NOT NULL,
	`moodle_course_id` integer NOT NULL,
	`course_id` text NOT NULL,
	PRIMARY KEY(`target_id`, `moodle_course_id`),
	FOREIGN KEY (`target_id`) REFERENCES `moodle_targets`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`course_id`) REFERENCES `courses`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `moodle_targets` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`name` text NOT NULL,
	`driver` text NOT NULL,
	`url` text NOT NULL,
	`settings` text NOT NULL,
	`default_category_id` integer DEFAULT 1 NOT NULL,
	`timeout_ms` integer NOT NULL,
	`site_info` text,
	`probed_at` integer,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `moodle_targets_name_unique` ON `moodle_targets` (`name`);--> statement-breakpoint
CREATE TABLE `restore_jobs` (
	`id` text PRIMARY KEY NOT NULL,
	`object_uri` text NOT NULL,
	`revision` integer NOT NULL,
	`target_id` integer NOT NULL,
	`destination_key` text NOT NULL,
	`destination` text NOT NULL,
	`state` text NOT NULL,
	`requested_by` text NOT NULL,
	`rule_id` integer,
	`overridden_by` text,
	`attempts` integer DEFAULT 0 NOT NULL,
	`problems` text DEFAULT '[]' NOT NULL,
	`moodle_course_id` integer,
	`course_url` text,
	`error_code` text,
	`error_message` text,
	`log` text,
	`created_at` integer NOT NULL,
	`started_at` integer,
	`finished_at` integer,
	`moodle_ms` integer,
	FOREIGN KEY (`target_id`) REFERENCES `moodle_targets`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `restore_jobs_idempotence` ON `restore_jobs` (`object_uri`,`revision`,`target_id`,`destination_key`);--> statement-breakpoint
CREATE INDEX `restore_jobs_created` ON `restore_jobs` (`created_at`);--> statement-breakpoint
CREATE TABLE `restore_rules` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`actor_uri` text,
	`tag` text,
	`on` text NOT NULL,
	`target_id` integer NOT NULL,
	`category_id` integer NOT NULL,
	`mode` text NOT NULL,
	`created_by` text NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`target_id`) REFERENCES `moodle_targets`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `restored_courses` (
	`target_id` integer NOT NULL,
	`moodle_course_id` integer NOT NULL,
	`object_uri` text NOT NULL,
	`revision` integer NOT NULL,
	`job_id` text NOT NULL,
	`restored_at` integer NOT NULL,
	PRIMARY KEY(`target_id`, `moodle_course_id`),
	FOREIGN KEY (`target_id`) REFERENCES `moodle_targets`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `restored_courses_object` ON `restored_courses` (`object_uri`,`target_id`);