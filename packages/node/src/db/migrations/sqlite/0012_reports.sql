CREATE TABLE `reports` (
	`id` text PRIMARY KEY NOT NULL,
	`direction` text NOT NULL,
	`object_uri` text NOT NULL,
	`publisher_uri` text NOT NULL,
	`title` text NOT NULL,
	`reason` text NOT NULL,
	`comment` text NOT NULL,
	`reporter` text NOT NULL,
	`reporter_server` text NOT NULL,
	`activity_id` text NOT NULL,
	`state` text NOT NULL,
	`answer` text,
	`answered_at` integer,
	`resolution` text,
	`resolved_by` text,
	`resolved_at` integer,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `reports_activity_id_unique` ON `reports` (`activity_id`);--> statement-breakpoint
CREATE INDEX `reports_queue` ON `reports` (`direction`,`created_at`);--> statement-breakpoint
CREATE INDEX `reports_reporter` ON `reports` (`reporter`,`created_at`);--> statement-breakpoint
CREATE INDEX `reports_reporter_server` ON `reports` (`reporter_server`,`created_at`);