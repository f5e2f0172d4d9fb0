CREATE TABLE "moodle_users" (
	"target_id" integer NOT NULL,
	"moodle_user_id" integer NOT NULL,
	"actor_id" integer NOT NULL,
	"username" text NOT NULL,
	"full_name" text NOT NULL,
	"email" text NOT NULL,
	"created_at" bigint NOT NULL,
	"last_seen_at" bigint NOT NULL,
	"revoked_at" bigint,
	"revoked_by" text,
	CONSTRAINT "moodle_users_target_id_moodle_user_id_pk" PRIMARY KEY("target_id","moodle_user_id")
);
--> statement-breakpoint
ALTER TABLE "api_tokens" ADD COLUMN "moodle_target_id" integer;--> statement-breakpoint
ALTER TABLE "moodle_users" ADD CONSTRAINT "moodle_users_target_id_moodle_targets_id_fk" FOREIGN KEY ("target_id") REFERENCES "public"."moodle_targets"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "moodle_users" ADD CONSTRAINT "moodle_users_actor_id_local_actors_id_fk" FOREIGN KEY ("actor_id") REFERENCES "public"."local_actors"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "moodle_users_actor" ON "moodle_users" USING btree ("actor_id");--> statement-breakpoint
ALTER TABLE "api_tokens" ADD CONSTRAINT "api_tokens_moodle_target_id_moodle_targets_id_fk" FOREIGN KEY ("moodle_target_id") REFERENCES "public"."moodle_targets"("id") ON DELETE cascade ON UPDATE no action;