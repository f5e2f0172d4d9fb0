import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { mkdir, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import {
  ABANDONED_STAGING_MS,
  removeAbandonedStagingDirectories,
  withStagingDirectory,
} from "./staging-directories.ts";

// A temporary folder of this file's own: the sweep looks at every staging folder in it.
const folder = mkdtempSync(join(tmpdir(), "coursefed-staging-test-"));
beforeAll(() => {
  vi.stubEnv("TMPDIR", folder);
});
afterAll(() => {
  vi.unstubAllEnvs();
  rmSync(folder, { recursive: true, force: true });
});

describe("withStagingDirectory", () => {
  it("gives the work a folder of its own and removes it with what the work left there", async () => {
    const seen = await withStagingDirectory("moodle-backup", async (directory) => {
      await writeFile(join(directory, "backup.mbz"), "a course");
      expect(readdirSync(folder)).toEqual([
        expect.stringMatching(/^coursefed-staging-moodle-backup-/),
      ]);
      return directory;
    });
    expect(existsSync(seen)).toBe(false);
  });

  it("removes it when the work fails, and lets the failure through", async () => {
    let seen = "";
    await expect(
      withStagingDirectory("publish", async (directory) => {
        seen = directory;
        await writeFile(join(directory, "sanitized.mbz"), "half a course");
        throw new Error("Moodle is unreachable");
      }),
    ).rejects.toThrow("Moodle is unreachable");
    expect(existsSync(seen)).toBe(false);
    expect(readdirSync(folder)).toEqual([]);
  });
});

describe("removeAbandonedStagingDirectories", () => {
  it("removes what a killed process left, never a folder a live one works in nor others' folders", async () => {
    // Left by a process killed in the middle of a backup 11 minutes ago.
    const dead = join(folder, "coursefed-staging-moodle-backup-Kil1ed");
    await mkdir(dead);
    await writeFile(join(dead, "backup.mbz"), "a course");
    const longAgo = new Date(Date.now() - ABANDONED_STAGING_MS - 60_000);
    await utimes(dead, longAgo, longAgo);
    // Another program's folder, as old: not the node's to remove.
    const other = join(folder, "coursefed-node-univ-0ld0ne");
    await mkdir(other);
    await utimes(other, longAgo, longAgo);

    const left = await withStagingDirectory("moodle-backup", async (live) => {
      expect(await removeAbandonedStagingDirectories()).toBe(1);
      return { live: existsSync(live), entries: readdirSync(folder).sort() };
    });
    expect(left.live).toBe(true);
    expect(left.entries).toEqual([
      "coursefed-node-univ-0ld0ne",
      expect.stringMatching(/^coursefed-staging-moodle-backup-/),
    ]);
    expect(existsSync(dead)).toBe(false);
    rmSync(other, { recursive: true });
  });

  it("keeps a live folder whose work has gone on for longer than the limit, as it keeps it touched", async () => {
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval"] });
    try {
      await withStagingDirectory("moodle-backup", async (live) => {
        const started = new Date(Date.now() - ABANDONED_STAGING_MS - 60_000);
        await utimes(live, started, started);
        // Moodle takes its time: the work's timer touches the folder meanwhile.
        vi.advanceTimersByTime(30_000);
        await vi.waitFor(() => expect(statSync(live).mtimeMs).toBeGreaterThan(started.getTime()));
        expect(await removeAbandonedStagingDirectories()).toBe(0);
        expect(existsSync(live)).toBe(true);
      });
    } finally {
      vi.useRealTimers();
    }
  });
});
