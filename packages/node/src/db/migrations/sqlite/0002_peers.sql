CREATE TABLE `peers` (
	`host` text PRIMARY KEY NOT NULL,
	`deliveries` integer DEFAULT 0 NOT NULL,
	`failures` integer DEFAULT 0 NOT NULL,
	`consecutive_failures` integer DEFAULT 0 NOT NULL,
	`last_delivered_at` integer,
	`last_failed_at` integer,
	`last_error` text
);
