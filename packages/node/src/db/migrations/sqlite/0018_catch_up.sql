ALTER TABLE `followings` ADD `caught_up_at` integer;--> statement-breakpoint
ALTER TABLE `followings` ADD `catch_up_result` text;--> statement-breakpoint
ALTER TABLE `followings` ADD `behind_since` integer;--> statement-breakpoint
ALTER TABLE `followings` ADD `catch_up_not_before` integer;