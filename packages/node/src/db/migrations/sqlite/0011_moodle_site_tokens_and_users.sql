CREATE TABLE `moodle_users` (
	`target_id` integer NOT NULL,
	`moodle_user_id` integer NOT NULL,
	`actor_id` integer NOT NULL,
	`username` text NOT NULL,
	`full_name` text NOT NULL,
	`email` text NOT NULL,
	`created_at` integer NOT NULL,
	`last_seen_at` integer NOT NULL,
	`revoked_at` integer,
	`revoked_by` text,
	PRIMARY KEY(`target_id`, `moodle_user_id`),
	FOREIGN KEY (`target_id`) REFERENCES `moodle_targets`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`actor_id`) REFERENCES `local_actors`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `moodle_users_actor` ON `moodle_users` (`actor_id`);--> statement-breakpoint
ALTER TABLE `api_tokens` ADD `moodle_target_id` integer REFERENCES moodle_targets(id) ON DELETE cascade;