import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  buildTarGz,
  buildZip,
  moodleBackupXml,
  unknownPluginWithUserData,
} from "../../../test/support/archive-builder.ts";
import { fixture, haveFixtures } from "../../../test/support/shared-fixtures.ts";
import { readArchive } from "./archive-reader.ts";
import { MbzError } from "./errors.ts";
import { inspectBackup } from "./inspect.ts";
import { DEFAULT_LIMITS } from "./limits.ts";
import { sanitizeBackup } from "./sanitize.ts";

let directory: string;
beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), "coursefed-sanitize-"));
});
afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

/** Every file member's sha256, by name. */
async function memberDigests(path: string): Promise<Map<string, string>> {
  const digests = new Map<string, string>();
  await readArchive(
    path,
    {
      member(member) {
        if (member.isDirectory) return undefined;
        return async (content) => {
          const hash = createHash("sha256");
          for await (const chunk of content) hash.update(chunk as Buffer);
          digests.set(member.name, hash.digest("hex"));
        };
      },
    },
    { limits: DEFAULT_LIMITS },
  );
  return digests;
}

async function memberText(path: string, name: string): Promise<string> {
  let text = "";
  await readArchive(
    path,
    {
      member(member) {
        if (member.name !== name) return undefined;
        return async (content) => {
          for await (const chunk of content) text += (chunk as Buffer).toString("utf8");
        };
      },
    },
    { limits: DEFAULT_LIMITS },
  );
  return text;
}

describe("sanitize on generated backups", () => {
  const forum = `<?xml version="1.0" encoding="UTF-8"?>
<activity id="1" moduleid="3" modulename="forum" contextid="40">
  <forum id="1">
    <name>News</name>
    <discussions>
      <discussion id="1">
        <name>Hello</name>
        <userid>5</userid>
        <posts>
          <post id="1"><userid>5</userid><message>Private words</message></post>
        </posts>
      </discussion>
    </discussions>
  </forum>
</activity>`;
  const users = `<?xml version="1.0" encoding="UTF-8"?>
<users>
  <user id="5" contextid="50"><username>student</username><email>student@example.org</email></user>
</users>`;
  const files = `<?xml version="1.0" encoding="UTF-8"?>
<files>
  <file id="1"><contenthash>${"a".repeat(40)}</contenthash><component>mod_forum</component><filearea>attachment</filearea><filename>essay.pdf</filename><filesize>5</filesize></file>
  <file id="2"><contenthash>${"b".repeat(40)}</contenthash><component>mod_forum</component><filearea>intro</filearea><filename>rules.pdf</filename><filesize>5</filesize></file>
</files>`;
  const members = (users_: boolean) => [
    {
      name: "moodle_backup.xml",
      data: moodleBackupXml({
        users: users_,
        activities: [{ module: "forum", id: 3, title: "News" }],
      }),
    },
    { name: "users.xml", data: users },
    { name: "files.xml", data: files },
    { name: `files/aa/${"a".repeat(40)}`, data: "essay" },
    { name: `files/bb/${"b".repeat(40)}`, data: "rules" },
    { name: "activities/forum_3/forum.xml", data: forum },
  ];

  for (const container of ["zip", "tar.gz"] as const) {
    it(`removes users, posts and their files from a ${container}, keeping the rest`, async () => {
      const input = join(directory, `forum-in.${container}`);
      const output = join(directory, `forum-out.${container}`);
      await writeFile(
        input,
        container === "zip" ? buildZip(members(true)) : await buildTarGz(members(true)),
      );
      const before = await inspectBackup(input);
      expect(before.personalData.verdict).toBe("contains-personal-data");

      const result = await sanitizeBackup(input, output);
      expect(result.after.personalData.verdict).toBe("clean");
      expect(result.after.format).toBe(container);
      expect(result.after.settings.root.users).toBe("0");
      const digests = await memberDigests(output);
      expect(digests.has("users.xml")).toBe(false);
      expect(digests.has(`files/aa/${"a".repeat(40)}`)).toBe(false);
      const original = await memberDigests(input);
      expect(digests.get(`files/bb/${"b".repeat(40)}`)).toBe(
        original.get(`files/bb/${"b".repeat(40)}`),
      );
      const forumXml = await memberText(output, "activities/forum_3/forum.xml");
      expect(forumXml).not.toContain("Private words");
      expect(forumXml).toContain("<name>News</name>");
      expect(await memberText(output, "files.xml")).not.toContain("essay.pdf");
      expect(await memberText(output, "files.xml")).toContain("rules.pdf");
    });
  }

  it("refuses a third-party plugin's user data, naming it, and writes nothing", async () => {
    const input = join(directory, "plugin-in.mbz");
    const output = join(directory, "plugin-out.mbz");
    await writeFile(input, await buildTarGz(unknownPluginWithUserData("child")));
    const error = await sanitizeBackup(input, output).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(MbzError);
    expect((error as MbzError).code).toBe("SANITIZE_UNSUPPORTED");
    expect((error as MbzError).message).toContain("mod_pollster");
    await expect(readFile(output)).rejects.toThrow(/ENOENT/);
  });
});

describe.runIf(haveFixtures())("sanitize on real Moodle backups", () => {
  for (const name of [
    "m3107-tgz-course-quiz-users-logs.mbz",
    "m281-zip-course-automated-users.mbz",
    "m503-tgz-course-qbank-users-async.mbz",
  ]) {
    it(`${name}: output is clean, same container, other members byte-identical`, async () => {
      const output = join(directory, `clean-${name}`);
      const result = await sanitizeBackup(fixture(name), output);
      expect(result.before.personalData.verdict).toBe("contains-personal-data");
      expect(result.after.personalData.verdict).toBe("clean");
      expect(result.after.format).toBe(result.before.format);
      expect(result.after.activities).toEqual(result.before.activities);
      expect(result.after.questionBank).toEqual(result.before.questionBank);
      const before = await memberDigests(fixture(name));
      const after = await memberDigests(output);
      let changed = 0;
      for (const [member, digest] of after) {
        expect(before.has(member)).toBe(true);
        if (before.get(member) !== digest) {
          changed++;
          expect(member).toMatch(/\.xml$|^\.ARCHIVE_INDEX$/);
        }
      }
      expect(changed).toBeGreaterThan(0);
    });
  }

  it("keeps .ARCHIVE_INDEX true to the archive", async () => {
    const output = join(directory, "indexed.mbz");
    await sanitizeBackup(fixture("m3107-tgz-course-quiz-users-logs.mbz"), output);
    const index = await memberText(output, ".ARCHIVE_INDEX");
    const lines = index.trim().split("\n");
    const count = Number(/Count: (\d+)/.exec(lines[0] ?? "")?.[1]);
    expect(count).toBe(lines.length - 1);
    const sizes = new Map<string, number>();
    await readArchive(
      output,
      { member: (member) => void sizes.set(member.name, member.size) },
      { limits: DEFAULT_LIMITS },
    );
    for (const line of lines.slice(1)) {
      const [name = "", type, size] = line.split("\t");
      expect(sizes.has(name)).toBe(true);
      if (type === "f") expect(Number(size)).toBe(sizes.get(name));
    }
    expect(index).not.toContain("users.xml");
  });

  it("refuses mod_studentquiz user data rather than guess", async () => {
    const error = await sanitizeBackup(
      fixture("m455-tgz-course-studentquiz-users.mbz"),
      join(directory, "studentquiz.mbz"),
    ).catch((caught: unknown) => caught);
    expect((error as MbzError).code).toBe("SANITIZE_UNSUPPORTED");
    expect((error as MbzError).message).toContain("mod_studentquiz");
  });
});
