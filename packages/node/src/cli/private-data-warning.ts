import { stat } from "node:fs/promises";
import { isAbsolute, relative } from "node:path";
import { isDatabaseUrl } from "../db/database.ts";

/** A file or folder of the node's that other users of the machine may open. */
export interface OpenToOthers {
  readonly path: string;
  readonly mode: number;
}

/**
 * The data directory and the SQLite database (with its -wal and -shm files) where they
 * exist and their group or other users have any permission: made before this version
 * created them private, or opened up since. What is inside a private directory is out of
 * others' reach whatever its own mode, so the directory's contents are not walked.
 */
export async function openToOthers(dataDir: string, database: string): Promise<OpenToOthers[]> {
  const paths = [dataDir];
  if (!isDatabaseUrl(database)) paths.push(database, `${database}-wal`, `${database}-shm`);
  const found: OpenToOthers[] = [];
  for (const path of paths) {
    const stats = await stat(path).catch(() => undefined);
    if (stats && (stats.mode & 0o077) !== 0) found.push({ path, mode: stats.mode & 0o777 });
  }
  return found;
}

/**
 * What `serve` prints when something of its data is open to others: one line, with the
 * command that closes it. The node does not change the modes itself: an administrator
 * may have opened the directory to a backup job's group on purpose.
 */
export function openToOthersWarning(dataDir: string, exposed: readonly OpenToOthers[]): string {
  const listed = exposed.map(({ path, mode }) => `${path} (mode ${mode.toString(8)})`);
  const outside = exposed
    .map(({ path }) => path)
    .filter((path) => path !== dataDir && !within(dataDir, path));
  const command = ["chmod", "-R", "go=", dataDir, ...outside].map(shellWord).join(" ");
  return `coursefed serve: warning: other users of this machine can read ${listed.join(", ")}, which hold the node's private keys, Moodle tokens and archives; to keep them private run: ${command}`;
}

function within(directory: string, path: string): boolean {
  const inside = relative(directory, path);
  return inside !== "" && !inside.startsWith("..") && !isAbsolute(inside);
}

/** A word as a POSIX shell reads it back, quoted only when it must be. */
function shellWord(word: string): string {
  if (/^[\w./=+,:@-]+$/.test(word)) return word;
  // Between single quotes only a single quote is special: one in the word closes the
  // quoting, is written escaped, and opens it again.
  return `'${word.replaceAll("'", "'\\''")}'`;
}
