-- Full-text index of the catalog (SQLite FTS5), kept in step with catalog_entries by
-- triggers. remove_diacritics lets "theatre" find "théâtre": most users write French.
CREATE VIRTUAL TABLE `catalog_search` USING fts5(
  `title`, `summary`, `tags`,
  content='catalog_entries', content_rowid='rowid',
  tokenize='unicode61 remove_diacritics 2'
);
--> statement-breakpoint
CREATE TRIGGER `catalog_search_insert` AFTER INSERT ON `catalog_entries` BEGIN
  INSERT INTO `catalog_search`(rowid, `title`, `summary`, `tags`) VALUES (new.rowid, new.`title`, new.`summary`, new.`tags`);
END;
--> statement-breakpoint
CREATE TRIGGER `catalog_search_delete` AFTER DELETE ON `catalog_entries` BEGIN
  INSERT INTO `catalog_search`(`catalog_search`, rowid, `title`, `summary`, `tags`) VALUES ('delete', old.rowid, old.`title`, old.`summary`, old.`tags`);
END;
--> statement-breakpoint
CREATE TRIGGER `catalog_search_update` AFTER UPDATE ON `catalog_entries` BEGIN
  INSERT INTO `catalog_search`(`catalog_search`, rowid, `title`, `summary`, `tags`) VALUES ('delete', old.rowid, old.`title`, old.`summary`, old.`tags`);
  INSERT INTO `catalog_search`(rowid, `title`, `summary`, `tags`) VALUES (new.rowid, new.`title`, new.`summary`, new.`tags`);
END;
--> statement-breakpoint
INSERT INTO `catalog_search`(`catalog_search`) VALUES ('rebuild');
