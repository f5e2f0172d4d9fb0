import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll } from "vitest";

/**
 * A temporary directory for one test file's archives, made before its tests and removed
 * after them; `write` puts a file there and gives its path.
 */
export function scratchArchives(prefix: string): {
  write(name: string, bytes: Buffer | string): Promise<string>;
} {
  let directory: string;
  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), prefix));
  });
  afterAll(async () => {
    await rm(directory, { recursive: true, force: true });
  });
  return {
    async write(name, bytes) {
      const path = join(directory, name);
      await writeFile(path, bytes);
      return path;
    },
  };
}
