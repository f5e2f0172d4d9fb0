DROP INDEX `catalog_entries_actor`;--> statement-breakpoint
CREATE INDEX `catalog_entries_actor` ON `catalog_entries` (`actor_uri`,`deleted_at`,`search_key`);--> statement-breakpoint
-- A search word is a prefix ("stat" finds "statistics"). FTS5 answers a prefix longer than
-- its prefix indexes (2 and 3 characters) by merging the whole doclist of every term it
-- starts before giving a row: 5 to 20 ms of CPU per word and statement at a million
-- courses. catalog_terms lists every term of the live courses' titles, summaries and tags,
-- as FTS5's tokenizer makes them, so that a search asks for a word's terms by name
-- (catalog/sqlite-word-terms.ts), which FTS5 reads lazily in the catalog's order. An
-- arriving course's text goes through catalog_terms_tokens (the same tokenizer, emptied
-- after each course), whose vocabulary is copied. Terms of withdrawn courses stay: they
-- match nothing. (No INSERT OR IGNORE in the triggers: an upsert that fires them would
-- make its conflicts errors.)
CREATE TABLE `catalog_terms` (`term` text PRIMARY KEY NOT NULL) WITHOUT ROWID;--> statement-breakpoint
CREATE VIRTUAL TABLE `catalog_terms_tokens` USING fts5(
  `title`, `summary`, `tags`,
  content='', detail=none, tokenize='unicode61 remove_diacritics 2'
);--> statement-breakpoint
CREATE VIRTUAL TABLE `catalog_terms_vocab` USING fts5vocab(`catalog_terms_tokens`, 'row');--> statement-breakpoint
CREATE TRIGGER `catalog_terms_insert` AFTER INSERT ON `catalog_entries` WHEN new.`deleted_at` IS NULL BEGIN
  INSERT INTO `catalog_terms_tokens`(rowid, `title`, `summary`, `tags`) VALUES (1, new.`title`, new.`summary`, new.`tags`);
  INSERT INTO `catalog_terms` SELECT `term` FROM `catalog_terms_vocab` AS `new_term`
    WHERE NOT EXISTS (SELECT 1 FROM `catalog_terms` WHERE `catalog_terms`.`term` = `new_term`.`term`);
  INSERT INTO `catalog_terms_tokens`(`catalog_terms_tokens`) VALUES ('delete-all');
END;--> statement-breakpoint
CREATE TRIGGER `catalog_terms_update` AFTER UPDATE OF `title`, `summary`, `tags`, `deleted_at` ON `catalog_entries` WHEN new.`deleted_at` IS NULL BEGIN
  INSERT INTO `catalog_terms_tokens`(rowid, `title`, `summary`, `tags`) VALUES (1, new.`title`, new.`summary`, new.`tags`);
  INSERT INTO `catalog_terms` SELECT `term` FROM `catalog_terms_vocab` AS `new_term`
    WHERE NOT EXISTS (SELECT 1 FROM `catalog_terms` WHERE `catalog_terms`.`term` = `new_term`.`term`);
  INSERT INTO `catalog_terms_tokens`(`catalog_terms_tokens`) VALUES ('delete-all');
END;--> statement-breakpoint
-- The courses already held: every term of the search index outside its facets column.
CREATE VIRTUAL TABLE `catalog_search_vocab` USING fts5vocab(`catalog_search`, 'col');--> statement-breakpoint
INSERT OR IGNORE INTO `catalog_terms` SELECT DISTINCT `term` FROM `catalog_search_vocab` WHERE `col` <> 'facets';--> statement-breakpoint
DROP TABLE `catalog_search_vocab`;
