CREATE TABLE `catalog_revisions` (
	`object_uri` text NOT NULL,
	`revision` integer NOT NULL,
	`sha256` text NOT NULL,
	`size` integer NOT NULL,
	`archive_url` text NOT NULL,
	`manifest` text NOT NULL,
	`manifest_jws` text NOT NULL,
	`published_at` integer NOT NULL,
	`received_at` integer NOT NULL,
	PRIMARY KEY(`object_uri`, `revision`),
	FOREIGN KEY (`object_uri`) REFERENCES `catalog_entries`(`object_uri`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
ALTER TABLE `catalog_entries` ADD `moodle_branch` integer;--> statement-breakpoint
ALTER TABLE `catalog_entries` ADD `languages` text DEFAULT '[]' NOT NULL;--> statement-breakpoint
ALTER TABLE `catalog_entries` ADD `required_plugins` text DEFAULT '[]' NOT NULL;--> statement-breakpoint
CREATE INDEX `catalog_entries_moodle_branch` ON `catalog_entries` (`moodle_branch`);--> statement-breakpoint
-- A catalog received before this migration keeps its courses: each one's latest revision
-- starts its history, and the filter columns are read from the manifests already held.
INSERT INTO `catalog_revisions` SELECT `object_uri`, `revision`, `sha256`, `size`, `archive_url`, `manifest`, `manifest_jws`, `published_at`, `received_at` FROM `catalog_entries`;
--> statement-breakpoint
UPDATE `catalog_entries` SET
  `languages` = coalesce(json_extract(`manifest`, '$.languages'), '[]'),
  `required_plugins` = coalesce(json_extract(`manifest`, '$.requiredPlugins'), '[]'),
  `moodle_branch` = (
    SELECT CAST(substr(`release`, 1, instr(`release`, '.') - 1) AS INTEGER) * 100
         + CAST(substr(`release`, instr(`release`, '.') + 1) AS INTEGER)
    FROM (SELECT json_extract(`manifest`, '$.moodle.backupRelease') AS `release`)
    WHERE instr(`release`, '.') > 0
  );
