ALTER TABLE "followings" ADD COLUMN "caught_up_at" bigint;--> statement-breakpoint
ALTER TABLE "followings" ADD COLUMN "catch_up_result" text;--> statement-breakpoint
ALTER TABLE "followings" ADD COLUMN "behind_since" bigint;--> statement-breakpoint
ALTER TABLE "followings" ADD COLUMN "catch_up_not_before" bigint;