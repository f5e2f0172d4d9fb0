ALTER TABLE `moodle_targets` ADD `node_url` text;--> statement-breakpoint
ALTER TABLE `restore_jobs` ADD `changes` text;--> statement-breakpoint
ALTER TABLE `local_actors` DROP COLUMN `manually_approves_followers`;