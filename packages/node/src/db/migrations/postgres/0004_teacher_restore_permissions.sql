CREATE TABLE "moodle_course_grants" (
	"target_id" integer NOT NULL,
	"moodle_course_id" integer NOT NULL,
	"actor_id" integer NOT NULL,
	"granted_by" text NOT NULL,
	"granted_at" bigint NOT NULL,
	CONSTRAINT "moodle_course_grants_target_id_moodle_course_id_actor_id_pk" PRIMARY KEY("target_id","moodle_course_id","actor_id")
);
--> statement-breakpoint
ALTER TABLE "moodle_targets" ADD COLUMN "teacher_category_ids" jsonb DEFAULT '[]'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "restore_jobs" ADD COLUMN "requested_by_actor_id" integer;--> statement-breakpoint
ALTER TABLE "moodle_course_grants" ADD CONSTRAINT "moodle_course_grants_target_id_moodle_targets_id_fk" FOREIGN KEY ("target_id") REFERENCES "public"."moodle_targets"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "moodle_course_grants" ADD CONSTRAINT "moodle_course_grants_actor_id_local_actors_id_fk" FOREIGN KEY ("actor_id") REFERENCES "public"."local_actors"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "restore_jobs_moodle_course" ON "restore_jobs" USING btree ("target_id","moodle_course_id");