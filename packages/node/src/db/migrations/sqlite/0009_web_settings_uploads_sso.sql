CREATE TABLE `node_settings` (
	`key` text PRIMARY KEY NOT NULL,
	`value` text NOT NULL,
	`updated_at` integer NOT NULL,
	`updated_by` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `web_uploads` (
	`id` text PRIMARY KEY NOT NULL,
	`account_id` integer NOT NULL,
	`sha256` text NOT NULL,
	`size` integer NOT NULL,
	`report` text NOT NULL,
	`course_id` text,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`account_id`) REFERENCES `web_accounts`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
ALTER TABLE `web_accounts` ADD `oidc_issuer` text;--> statement-breakpoint
ALTER TABLE `web_accounts` ADD `oidc_subject` text;--> statement-breakpoint
ALTER TABLE `web_accounts` ADD `disabled_at` integer;--> statement-breakpoint
CREATE UNIQUE INDEX `web_accounts_oidc` ON `web_accounts` (`oidc_issuer`,`oidc_subject`);