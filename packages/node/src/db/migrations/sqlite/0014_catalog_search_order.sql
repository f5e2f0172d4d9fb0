CREATE TABLE `catalog_restorable` (
	`target_id` integer NOT NULL,
	`search_key` integer NOT NULL,
	PRIMARY KEY(`target_id`, `search_key`),
	FOREIGN KEY (`target_id`) REFERENCES `moodle_targets`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
ALTER TABLE `catalog_entries` ADD `search_key` integer;--> statement-breakpoint
ALTER TABLE `catalog_entries` ADD `facets` text DEFAULT '[]' NOT NULL;--> statement-breakpoint
CREATE UNIQUE INDEX `catalog_entries_search_key` ON `catalog_entries` (`search_key`);--> statement-breakpoint
-- The catalog is searched through its full-text index alone: the index is keyed by
-- search_key (newest first), so that a search reads its matches in the catalog's order
-- and stops once it has a page, and it holds the facets (tags, languages, plugins,
-- host, actor, branch: catalog-facets.ts) beside the words, so that filters are index
-- lookups too. Withdrawn courses leave the index (the view it reads lists live ones).
DROP TRIGGER `catalog_search_insert`;--> statement-breakpoint
DROP TRIGGER `catalog_search_delete`;--> statement-breakpoint
DROP TRIGGER `catalog_search_update`;--> statement-breakpoint
DROP TABLE `catalog_search`;--> statement-breakpoint
-- publishedAt × 1024, plus the course's rank among those published the same millisecond.
UPDATE `catalog_entries` SET `search_key` = `ranked`.`key`
FROM (
  SELECT rowid AS `entry`, `published_at` * 1024 + row_number() OVER (PARTITION BY `published_at` ORDER BY rowid) - 1 AS `key`
  FROM `catalog_entries`
) AS `ranked`
WHERE `ranked`.`entry` = `catalog_entries`.rowid;--> statement-breakpoint
-- The same terms as catalogFacets() makes: hex of the lowercased value after a letter
-- saying what it is ("t" tag, "l" language, "p" plugin, "n" no plugin, "h" host, "a"
-- actor, "m" branch, "j" its major version). SQLite's lower() folds ASCII only, as the filters always did here.
UPDATE `catalog_entries` SET `facets` = (
  SELECT json_group_array(`term`) FROM (
    SELECT 't' || lower(hex(lower(value))) AS `term` FROM json_each(`catalog_entries`.`tags`)
    UNION SELECT 'l' || lower(hex(lower(value))) FROM json_each(`catalog_entries`.`languages`)
    UNION SELECT 'p' || lower(hex(lower(value))) FROM json_each(`catalog_entries`.`required_plugins`)
    UNION SELECT 'n' WHERE json_array_length(`catalog_entries`.`required_plugins`) = 0
    UNION SELECT 'h' || lower(hex(lower(substr(`rest`, 1, instr(`rest`, '/') - 1))))
      FROM (SELECT substr(`catalog_entries`.`actor_uri`, instr(`catalog_entries`.`actor_uri`, '://') + 3) AS `rest`)
      WHERE (`catalog_entries`.`actor_uri` LIKE 'https://%' OR `catalog_entries`.`actor_uri` LIKE 'http://%')
        AND instr(`rest`, '/') > 1
    UNION SELECT 'a' || lower(hex(`catalog_entries`.`actor_uri`))
    UNION SELECT 'm' || `catalog_entries`.`moodle_branch` WHERE `catalog_entries`.`moodle_branch` IS NOT NULL
    UNION SELECT 'j' || (`catalog_entries`.`moodle_branch` / 100) WHERE `catalog_entries`.`moodle_branch` IS NOT NULL
  )
);--> statement-breakpoint
CREATE INDEX `catalog_entries_live` ON `catalog_entries` (`search_key`) WHERE `deleted_at` IS NULL;--> statement-breakpoint
CREATE VIEW `catalog_live` AS
  SELECT `search_key`, `title`, `summary`, `tags`, `facets` FROM `catalog_entries` WHERE `deleted_at` IS NULL;--> statement-breakpoint
-- remove_diacritics lets "theatre" find "théâtre": most users write French. The prefix
-- indexes serve the words typed short ("alg", "stat").
CREATE VIRTUAL TABLE `catalog_search` USING fts5(
  `title`, `summary`, `tags`, `facets`,
  content='catalog_live', content_rowid='search_key',
  tokenize='unicode61 remove_diacritics 2', prefix='2 3'
);--> statement-breakpoint
CREATE TRIGGER `catalog_search_insert` AFTER INSERT ON `catalog_entries` WHEN new.`deleted_at` IS NULL BEGIN
  INSERT INTO `catalog_search`(rowid, `title`, `summary`, `tags`, `facets`) VALUES (new.`search_key`, new.`title`, new.`summary`, new.`tags`, new.`facets`);
END;--> statement-breakpoint
CREATE TRIGGER `catalog_search_delete` AFTER DELETE ON `catalog_entries` WHEN old.`deleted_at` IS NULL BEGIN
  INSERT INTO `catalog_search`(`catalog_search`, rowid, `title`, `summary`, `tags`, `facets`) VALUES ('delete', old.`search_key`, old.`title`, old.`summary`, old.`tags`, old.`facets`);
END;--> statement-breakpoint
CREATE TRIGGER `catalog_search_update` AFTER UPDATE ON `catalog_entries` BEGIN
  INSERT INTO `catalog_search`(`catalog_search`, rowid, `title`, `summary`, `tags`, `facets`) SELECT 'delete', old.`search_key`, old.`title`, old.`summary`, old.`tags`, old.`facets` WHERE old.`deleted_at` IS NULL;
  INSERT INTO `catalog_search`(rowid, `title`, `summary`, `tags`, `facets`) SELECT new.`search_key`, new.`title`, new.`summary`, new.`tags`, new.`facets` WHERE new.`deleted_at` IS NULL;
END;--> statement-breakpoint
INSERT INTO `catalog_search`(`catalog_search`) VALUES ('rebuild');
