CREATE TABLE "queue_payloads" (
	"id" text PRIMARY KEY NOT NULL,
	"payload" jsonb NOT NULL
);
--> statement-breakpoint
ALTER TABLE "queue_messages" ADD COLUMN "payload_id" text;--> statement-breakpoint
ALTER TABLE "queue_messages" ADD CONSTRAINT "queue_messages_payload_id_queue_payloads_id_fk" FOREIGN KEY ("payload_id") REFERENCES "public"."queue_payloads"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "queue_messages_payload" ON "queue_messages" USING btree ("payload_id");