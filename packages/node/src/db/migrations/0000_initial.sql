CREATE TABLE `kv` (
	`key` text PRIMARY KEY NOT NULL,
	`value` text NOT NULL,
	`expires_at` integer
);
--> statement-breakpoint
CREATE INDEX `kv_expires_at` ON `kv` (`expires_at`);--> statement-breakpoint
CREATE TABLE `queue_messages` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`message` text NOT NULL,
	`ordering_key` text,
	`available_at` integer NOT NULL,
	`leased_until` integer,
	`attempts` integer DEFAULT 0 NOT NULL,
	`enqueued_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `queue_messages_available_at` ON `queue_messages` (`available_at`);--> statement-breakpoint
CREATE INDEX `queue_messages_ordering_key` ON `queue_messages` (`ordering_key`,`id`);