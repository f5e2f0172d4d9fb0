ALTER TABLE `courses` ADD `last_published_at` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
-- Courses published before: their latest revision's publication.
UPDATE `courses` SET `last_published_at` = COALESCE((SELECT max(`published_at`) FROM `course_revisions` WHERE `course_revisions`.`course_id` = `courses`.`id`), `courses`.`created_at`);--> statement-breakpoint
CREATE INDEX `courses_outbox` ON `courses` (`actor_id`,`last_published_at`,`id`);--> statement-breakpoint
ALTER TABLE `followings` ADD `read_through_at` integer;--> statement-breakpoint
CREATE INDEX `courses_live_order` ON `courses` (`last_published_at`,`id`);
