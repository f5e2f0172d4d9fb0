import { spawnSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTarGz, moodleBackupXml } from "../../../../test/support/archive-builder.ts";

const bin = fileURLToPath(new URL("../../bin/coursefed.js", import.meta.url));

function coursefed(...args: string[]) {
  const run = spawnSync(process.execPath, [bin, ...args], { encoding: "utf8" });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

let directory: string;
let older: string;
let newer: string;

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), "coursefed-diff-cli-"));
  older = join(directory, "older.mbz");
  newer = join(directory, "newer.mbz");
  const backup = (activities: Array<{ module: string; id: number; title: string }>) =>
    buildTarGz([{ name: "moodle_backup.xml", data: moodleBackupXml({ activities }) }]);
  await writeFile(older, await backup([{ module: "page", id: 4, title: "Welcome" }]));
  await writeFile(
    newer,
    await backup([
      { module: "page", id: 4, title: "Welcome back" },
      { module: "quiz", id: 5, title: "First check" },
    ]),
  );
});
afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

describe("coursefed diff", () => {
  it("prints a readable summary of what changed", () => {
    const run = coursefed("diff", older, newer);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("1 activity added, 1 renamed.");
    expect(run.stdout).toContain('quiz "First check" in section 0');
    expect(run.stdout).toContain('page "Welcome" → "Welcome back"');
  });

  it("--json prints the documented shape", () => {
    const run = coursefed("diff", older, newer, "--json");
    expect(run.code).toBe(0);
    const diff = JSON.parse(run.stdout);
    expect(Object.keys(diff)).toEqual([
      "version",
      "from",
      "to",
      "matchedBy",
      "unchanged",
      "sections",
      "activities",
      "questions",
      "files",
      "settings",
    ]);
    expect(diff.matchedBy).toBe("ids");
    expect(diff.activities.added).toEqual([
      { id: 5, module: "quiz", title: "First check", section: { id: 1, number: 0, title: "0" } },
    ]);
  });

  it("names the backup it cannot read, with exit code 2", async () => {
    const missing = join(directory, "missing.mbz");
    const run = coursefed("diff", older, missing);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(`${missing}: cannot read or write: no such file\n`);
    const notes = join(directory, "notes.mbz");
    await writeFile(notes, "just text");
    const refused = coursefed("diff", notes, newer);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/^The older backup \(.*notes\.mbz\) cannot be compared: /);
  });

  it("needs two backups", () => {
    expect(coursefed("diff", older).code).toBe(2);
  });
});
