DROP INDEX "catalog_entries_actor";--> statement-breakpoint
CREATE INDEX "catalog_entries_actor" ON "catalog_entries" USING btree ("actor_uri","deleted_at","search_key");