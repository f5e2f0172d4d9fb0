import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll } from "vitest";

/**
 * A temporary directory for one test file, made before its tests and removed after them
 * with all they left there: `path` names a file or folder in it, `write` puts a file there
 * and gives its path; no run, passed or failed, leaves it behind in the temporary folder.
 */
export function scratchDirectory(prefix: string): {
  path(name: string): string;
  write(name: string, bytes: Buffer | string): Promise<string>;
} {
  let directory: string | undefined;
  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), prefix));
  });
  afterAll(async () => {
    if (directory) await rm(directory, { recursive: true, force: true });
  });
  const path = (name: string) => {
    if (!directory)
      throw new Error("A scratch directory is there only while its file's tests run.");
    return join(directory, name);
  };
  return {
    path,
    async write(name, bytes) {
      await writeFile(path(name), bytes);
      return path(name);
    },
  };
}
