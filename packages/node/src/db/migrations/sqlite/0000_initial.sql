CREATE TABLE `actor_keys` (
	`actor_id` integer NOT NULL,
	`algorithm` text NOT NULL,
	`private_key` text NOT NULL,
	`public_key` text NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`actor_id`, `algorithm`),
	FOREIGN KEY (`actor_id`) REFERENCES `local_actors`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `api_tokens` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`name` text NOT NULL,
	`token_hash` text NOT NULL,
	`role` text NOT NULL,
	`actor_id` integer NOT NULL,
	`created_at` integer NOT NULL,
	`last_used_at` integer,
	FOREIGN KEY (`actor_id`) REFERENCES `local_actors`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `api_tokens_token_hash_unique` ON `api_tokens` (`token_hash`);--> statement-breakpoint
CREATE TABLE `catalog_entries` (
	`object_uri` text PRIMARY KEY NOT NULL,
	`actor_uri` text NOT NULL,
	`title` text NOT NULL,
	`summary` text,
	`tags` text NOT NULL,
	`revision` integer NOT NULL,
	`sha256` text NOT NULL,
	`size` integer NOT NULL,
	`archive_url` text NOT NULL,
	`manifest` text NOT NULL,
	`manifest_jws` text NOT NULL,
	`published_at` integer NOT NULL,
	`received_at` integer NOT NULL,
	`deleted_at` integer
);
--> statement-breakpoint
CREATE INDEX `catalog_entries_actor` ON `catalog_entries` (`actor_uri`);--> statement-breakpoint
CREATE TABLE `course_revisions` (
	`course_id` text NOT NULL,
	`revision` integer NOT NULL,
	`sha256` text NOT NULL,
	`size` integer NOT NULL,
	`manifest` text NOT NULL,
	`published_at` integer NOT NULL,
	PRIMARY KEY(`course_id`, `revision`),
	FOREIGN KEY (`course_id`) REFERENCES `courses`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `courses` (
	`id` text PRIMARY KEY NOT NULL,
	`actor_id` integer NOT NULL,
	`title` text NOT NULL,
	`summary` text,
	`tags` text NOT NULL,
	`license` text,
	`visibility` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`deleted_at` integer,
	FOREIGN KEY (`actor_id`) REFERENCES `local_actors`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `followers` (
	`local_actor_id` integer NOT NULL,
	`actor_uri` text NOT NULL,
	`follow_id` text NOT NULL,
	`state` text NOT NULL,
	`requested_at` integer NOT NULL,
	`decided_at` integer,
	PRIMARY KEY(`local_actor_id`, `actor_uri`),
	FOREIGN KEY (`local_actor_id`) REFERENCES `local_actors`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`actor_uri`) REFERENCES `remote_actors`(`uri`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `followings` (
	`local_actor_id` integer NOT NULL,
	`actor_uri` text NOT NULL,
	`follow_id` text NOT NULL,
	`state` text NOT NULL,
	`requested_at` integer NOT NULL,
	`decided_at` integer,
	PRIMARY KEY(`local_actor_id`, `actor_uri`),
	FOREIGN KEY (`local_actor_id`) REFERENCES `local_actors`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`actor_uri`) REFERENCES `remote_actors`(`uri`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `followings_follow_id_unique` ON `followings` (`follow_id`);--> statement-breakpoint
CREATE TABLE `kv` (
	`key` text PRIMARY KEY NOT NULL,
	`value` text NOT NULL,
	`expires_at` integer
);
--> statement-breakpoint
CREATE INDEX `kv_expires_at` ON `kv` (`expires_at`);--> statement-breakpoint
CREATE TABLE `local_actors` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`identifier` text NOT NULL,
	`handle` text NOT NULL,
	`type` text NOT NULL,
	`name` text NOT NULL,
	`summary` text,
	`manually_approves_followers` integer NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `local_actors_identifier_unique` ON `local_actors` (`identifier`);--> statement-breakpoint
CREATE UNIQUE INDEX `local_actors_handle_unique` ON `local_actors` (`handle`);--> statement-breakpoint
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
CREATE INDEX `queue_messages_ordering_key` ON `queue_messages` (`ordering_key`,`id`);--> statement-breakpoint
CREATE TABLE `remote_actors` (
	`uri` text PRIMARY KEY NOT NULL,
	`handle` text,
	`type` text NOT NULL,
	`name` text,
	`inbox` text NOT NULL,
	`shared_inbox` text,
	`fetched_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `uploads` (
	`id` text PRIMARY KEY NOT NULL,
	`token_id` integer NOT NULL,
	`sha256` text NOT NULL,
	`size` integer NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`token_id`) REFERENCES `api_tokens`(`id`) ON UPDATE no action ON DELETE cascade
);
