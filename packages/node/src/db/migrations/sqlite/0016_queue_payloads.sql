CREATE TABLE `queue_payloads` (
	`id` text PRIMARY KEY NOT NULL,
	`payload` text NOT NULL
);
--> statement-breakpoint
ALTER TABLE `queue_messages` ADD `payload_id` text REFERENCES queue_payloads(id);--> statement-breakpoint
CREATE INDEX `queue_messages_payload` ON `queue_messages` (`payload_id`);