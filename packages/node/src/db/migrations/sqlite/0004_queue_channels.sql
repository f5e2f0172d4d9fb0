DROP INDEX `queue_messages_available_at`;--> statement-breakpoint
ALTER TABLE `queue_messages` ADD `channel` text DEFAULT 'outbox' NOT NULL;--> statement-breakpoint
CREATE INDEX `queue_messages_available_at` ON `queue_messages` (`channel`,`available_at`);