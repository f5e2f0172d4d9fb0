CREATE TABLE "reports" (
	"id" text PRIMARY KEY NOT NULL,
	"direction" text NOT NULL,
	"object_uri" text NOT NULL,
	"publisher_uri" text NOT NULL,
	"title" text NOT NULL,
	"reason" text NOT NULL,
	"comment" text NOT NULL,
	"reporter" text NOT NULL,
	"reporter_server" text NOT NULL,
	"activity_id" text NOT NULL,
	"state" text NOT NULL,
	"answer" text,
	"answered_at" bigint,
	"resolution" text,
	"resolved_by" text,
	"resolved_at" bigint,
	"created_at" bigint NOT NULL,
	CONSTRAINT "reports_activity_id_unique" UNIQUE("activity_id")
);
--> statement-breakpoint
CREATE INDEX "reports_queue" ON "reports" USING btree ("direction","created_at");--> statement-breakpoint
CREATE INDEX "reports_reporter" ON "reports" USING btree ("reporter","created_at");--> statement-breakpoint
CREATE INDEX "reports_reporter_server" ON "reports" USING btree ("reporter_server","created_at");