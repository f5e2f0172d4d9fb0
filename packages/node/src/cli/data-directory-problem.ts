import { sep } from "node:path";

const REASONS: Readonly<Record<string, string>> = {
  EACCES: "permission denied",
  EPERM: "permission denied",
  ENOTDIR: "a part of its path is a file, not a folder",
  EROFS: "the file system is read-only",
  ENOSPC: "no space left on the device",
};

/**
 * What to tell an admin whose data directory the node could not make or write, or
 * undefined when `error` is about something else (which stays a bug to report whole):
 * a first start as the wrong user, or a --data-dir on a read-only or mistyped path, is
 * the admin's to fix, and a stack trace would hide the one line that says how.
 */
export function dataDirectoryProblem(error: unknown, dataDir: string): string | undefined {
  const { code, path, syscall } = (error ?? {}) as NodeJS.ErrnoException;
  if (typeof code !== "string" || typeof path !== "string") return undefined;
  const reason = REASONS[code];
  if (reason === undefined) return undefined;
  if (path !== dataDir && !path.startsWith(dataDir + sep)) return undefined;
  return `cannot create or write the data directory ${dataDir}: ${reason} (${syscall} ${path}); give the node's user write access to it, or choose another with --data-dir.`;
}
