CREATE TABLE "node_settings" (
	"key" text PRIMARY KEY NOT NULL,
	"value" jsonb NOT NULL,
	"updated_at" bigint NOT NULL,
	"updated_by" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "web_uploads" (
	"id" text PRIMARY KEY NOT NULL,
	"account_id" integer NOT NULL,
	"sha256" text NOT NULL,
	"size" bigint NOT NULL,
	"report" jsonb NOT NULL,
	"course_id" text,
	"created_at" bigint NOT NULL
);
--> statement-breakpoint
ALTER TABLE "web_accounts" ADD COLUMN "oidc_issuer" text;--> statement-breakpoint
ALTER TABLE "web_accounts" ADD COLUMN "oidc_subject" text;--> statement-breakpoint
ALTER TABLE "web_accounts" ADD COLUMN "disabled_at" bigint;--> statement-breakpoint
ALTER TABLE "web_uploads" ADD CONSTRAINT "web_uploads_account_id_web_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."web_accounts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "web_accounts_oidc" ON "web_accounts" USING btree ("oidc_issuer","oidc_subject");