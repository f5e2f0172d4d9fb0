import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type NodeDatabase, openDatabase } from "./database.ts";

/** A fresh on-disk database in a temporary folder, for one test file. */
export function temporaryDatabase(): { path: string; open(): NodeDatabase; remove(): void } {
  const directory = mkdtempSync(join(tmpdir(), "coursefed-db-"));
  const path = join(directory, "node.sqlite");
  return {
    path,
    open: () => openDatabase(path),
    remove: () => rmSync(directory, { recursive: true, force: true }),
  };
}
