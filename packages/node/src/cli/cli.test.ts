import { spawnSync } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Command } from "commander";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  buildTarGz,
  buildTarGzBomb,
  buildZip,
  moodleBackupXml,
  unknownPluginWithUserData,
} from "../../../../test/support/archive-builder.ts";
import { serveNode } from "../../../../test/support/coursefed-cli.ts";
import { freePort } from "../../../../test/support/test-node.ts";

const bin = fileURLToPath(new URL("../../bin/coursefed.js", import.meta.url));

function coursefed(...args: string[]) {
  const run = spawnSync(process.execPath, [bin, ...args], { encoding: "utf8" });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

let directory: string;
let clean: string;
let withUsers: string;
let unsupported: string;
let notABackup: string;

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), "coursefed-cli-"));
  clean = join(directory, "clean.mbz");
  withUsers = join(directory, "users.zip");
  unsupported = join(directory, "plugin.mbz");
  notABackup = join(directory, "notes.txt");
  await writeFile(
    clean,
    await buildTarGz([
      {
        name: "moodle_backup.xml",
        data: moodleBackupXml({ activities: [{ module: "page", id: 4, title: "Welcome" }] }),
      },
    ]),
  );
  await writeFile(
    withUsers,
    buildZip([
      { name: "moodle_backup.xml", data: moodleBackupXml({ users: true }) },
      { name: "users.xml", data: '<users><user id="3"><username>pupil</username></user></users>' },
    ]),
  );
  await writeFile(unsupported, await buildTarGz(unknownPluginWithUserData("attribute")));
  await writeFile(notABackup, "hello");
});
afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

describe("coursefed CLI", () => {
  for (const command of [
    [],
    ["serve"],
    ["accounts"],
    ["publish"],
    ["follow"],
    ["boost"],
    ["follow-requests"],
    ["catalog"],
    ["fetch"],
    ["teachers"],
    ["peers"],
    ["catch-up"],
    ["settings"],
    ["settings", "logo"],
    ["edit"],
    ["withdraw"],
    ["moodle"],
    ["moodle", "add"],
    ["moodle", "list"],
    ["moodle", "probe"],
    ["moodle", "categories"],
    ["moodle", "courses"],
    ["moodle", "remove"],
    ["restore"],
    ["restores"],
    ["rules"],
    ["inspect"],
    ["diff"],
    ["scan"],
    ["sanitize"],
  ]) {
    it(`${["coursefed", ...command].join(" ")} --help documents usage and exit codes`, () => {
      const run = coursefed(...command, "--help");
      expect(run.code).toBe(0);
      expect(run.stdout).toContain("Usage: coursefed");
      expect(run.stdout).toContain("Exit codes:");
    });
  }

  it("--help says which commands need a running node, and that its refusals exit 2", () => {
    const help = coursefed("--help").stdout.replace(/\s+/g, " ");
    expect(help).toContain("the other commands ask a running node (--node, --token)");
    expect(help).not.toContain("these commands work on backups (.mbz) directly");
    expect(help).toMatch(/ 2 wrong usage, [^3]*or a request the node refused/);
  });

  it("--help texts name only documents that exist", async () => {
    const { existsSync, readdirSync, readFileSync } = await import("node:fs");
    const repository = fileURLToPath(new URL("../../../../", import.meta.url));
    const sources = readdirSync(fileURLToPath(new URL(".", import.meta.url)), {
      recursive: true,
      encoding: "utf8",
    }).filter((file) => file.endsWith(".ts") && !file.endsWith(".test.ts"));
    const named = new Set(
      sources.flatMap((file) =>
        [
          ...readFileSync(fileURLToPath(new URL(file, import.meta.url)), "utf8").matchAll(
            /\b(?:docs|packages\/[\w-]+)\/[\w/-]+\.md\b/g,
          ),
        ].map((match) => match[0]),
      ),
    );
    expect(named.size).toBeGreaterThan(3);
    const missing = [...named].filter((document) => !existsSync(join(repository, document)));
    expect(missing).toEqual([]);
  });

  it("every command's --help says what it does, not only its options", async () => {
    const { buildProgram } = await import("./main.ts");
    const undescribed: string[] = [];
    const visit = (command: Command, path: string[]) => {
      for (const sub of command.commands) {
        if (sub.name() === "help") continue;
        const name = [...path, sub.name()];
        if (sub.description().trim() === "") undescribed.push(name.join(" "));
        visit(sub, name);
      }
    };
    visit(await buildProgram({ exitCode: 0 }), ["coursefed"]);
    expect(undescribed).toEqual([]);
  });

  it("shows a --timeout's default as a duration one would type, not in milliseconds", () => {
    for (const [command, shown] of [
      ["follow", "10m"],
      ["catch-up", "15m"],
    ] as const) {
      const help = coursefed(command, "--help").stdout.replace(/\s+/g, " ");
      expect(help).toMatch(
        new RegExp(`--timeout <duration> with --wait: [^(]*\\(default: ${shown}\\)`),
      );
    }
  });

  it("refuses a bad serve configuration with exit code 2 and names the setting", () => {
    const run = coursefed("serve", "--listen", "nowhere", "--data-dir", join(directory, "node"));
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("--listen (COURSEFED_LISTEN)");
  });

  it("names a local file it cannot read when publishing", () => {
    const missing = join(directory, "missing.mbz");
    const run = coursefed(
      "publish",
      missing,
      "--title",
      "T",
      "--token",
      "cf_x",
      "--node",
      "http://127.0.0.1:9/",
    );
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`${missing}: cannot read or write: no such file`);
  });

  it("says when serve cannot listen", async () => {
    const { createServer } = await import("node:net");
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    const { port } = blocker.address() as { port: number };
    const run = coursefed(
      "serve",
      "--listen",
      `127.0.0.1:${port}`,
      "--data-dir",
      join(directory, "busy"),
    );
    blocker.close();
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`cannot listen on 127.0.0.1:${port}: the port is in use`);
  });

  it("says when serve cannot create its data directory, without a stack trace", () => {
    // Under a file, the one unwritable place even root meets (root ignores modes).
    const dataDir = join(notABackup, "node");
    const run = coursefed("serve", "--listen", "127.0.0.1:0", "--data-dir", dataDir);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      `coursefed serve: cannot create or write the data directory ${dataDir}: a part of its path is a file, not a folder`,
    );
    expect(run.stderr).toContain("choose another with --data-dir");
    expect(run.stderr).not.toMatch(/^\s+at /m);
  });

  it("tells, on a first start off the defaults, where the commands must go", async () => {
    // The CLI's defaults are 127.0.0.1:8321 and ./.coursefed: this node is on neither,
    // and its token given alone would be refused there as "not valid".
    const port = await freePort();
    const dataDir = join(directory, "elsewhere");
    const { process: node, output } = await serveNode(dataDir, port);
    node.kill("SIGTERM");
    await once(node, "exit");
    expect(output).toContain(
      `Use it as COURSEFED_TOKEN and COURSEFED_NODE=http://127.0.0.1:${port}/`,
    );
    expect(output).toContain(`coursefed accounts --reset-password admin --data-dir ${dataDir};`);
    expect(output).toContain(`coursefed accounts --add --data-dir ${dataDir}.`);
  });

  it("says when a PostgreSQL database cannot be reached, without its password", async () => {
    const port = await freePort();
    const url = `postgres://coursefed:s3cret@127.0.0.1:${port}/coursefed`;
    const accounts = coursefed("accounts", "--database-url", url);
    expect(accounts.code).toBe(5);
    expect(accounts.stderr).toContain("coursefed: cannot open the PostgreSQL database");
    expect(accounts.stderr).not.toMatch(/^\s+at /m);
    const run = coursefed(
      "serve",
      "--listen",
      "127.0.0.1:0",
      "--data-dir",
      join(directory, "on-postgres"),
      "--database-url",
      `postgres://coursefed:s3cret@127.0.0.1:${port}/coursefed`,
    );
    expect(run.code).toBe(5);
    expect(run.stderr).toContain(
      `coursefed: cannot open the PostgreSQL database postgres://coursefed:***@127.0.0.1:${port}/coursefed: nothing answered there (ECONNREFUSED). Check --database-url (DATABASE_URL)`,
    );
    expect(run.stderr).not.toContain("s3cret");
    expect(run.stderr).not.toMatch(/^\s+at /m);
  });

  it("refuses wrong usage with exit code 2", () => {
    expect(coursefed("inspect").code).toBe(2);
    expect(coursefed("frobnicate").code).toBe(2);
    expect(coursefed("inspect", clean, "--max-ratio", "lots").stderr).toContain("not a ratio");
  });

  it("refuses contradictory or incomplete Moodle options before asking the node", () => {
    // An unreachable node: each of these must be refused without trying it (exit 2, not 5).
    const node = ["--token", "cf_x", "--node", "http://127.0.0.1:9/"];
    const object = "https://univ.example/courses/1";
    const refusals: Array<[string[], string]> = [
      [
        ["restore", object, "--target", "t", "--category", "2", "--into-course", "3"],
        "cannot be used with option '--into-course <id>'",
      ],
      [["restore", object, "--target", "t", "--revision", "last"], "not a whole number"],
      [["publish", "--title", "T"], "Give the backup FILE to publish, or --from-moodle"],
      [["publish", clean, "--from-moodle", "t", "--course", "2", "--title", "T"], "not both"],
      [["publish", "--from-moodle", "t", "--title", "T"], "--from-moodle needs --course"],
      [["publish", "--from-moodle", "t", "--course", "two", "--title", "T"], "--course:"],
      [
        [
          "moodle",
          "add",
          "m",
          "--driver",
          "ftp",
          "--url",
          "https://m.example",
          "--moodle-dir",
          "/",
        ],
        "Allowed choices are cli, ws",
      ],
      [
        ["moodle", "add", "m", "--driver", "ws", "--url", "https://m.example", "--timeout", "soon"],
        "not a duration",
      ],
      [["rules", "--add", "--tag", "maths"], "--add needs --target, --category"],
      // An option takes one word: the words after it are the command's own.
      [
        ["publish", clean, "--tag", "maths", "algebra"],
        'publish takes one backup FILE; "algebra" is left over. Options take one value each: give several tags as --tag maths --tag "first year"',
      ],
      [["publish", "--tag", "maths", "algebra", clean], `"${clean}" is left over`],
      [
        ["publish", "--tag", "maths", "algebra"],
        'There is no backup file "algebra". If "algebra" is a tag, give several as --tag maths --tag "first year"',
      ],
      [
        ["edit", "c1", "--tag", "maths", "algebra"],
        'edit takes one COURSE; "algebra" is left over',
      ],
      [["moodle", "teachers", "t", "--categories", "3", "5"], "too many arguments"],
      [["rules", "--add", "--remove", "1"], "cannot be used with option '--add'"],
    ];
    for (const [args, message] of refusals) {
      const run = coursefed(...args, ...node);
      expect({ args, code: run.code }).toEqual({ args, code: 2 });
      expect(run.stderr).toContain(message);
    }
  });

  it("inspect --json prints the documented keys", () => {
    const run = coursefed("inspect", clean, "--json");
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout);
    for (const key of [
      "format",
      "sha256",
      "size",
      "moodleVersion",
      "moodleRelease",
      "backupRelease",
      "backupDate",
      "type",
      "mode",
      "course",
      "activities",
      "requiredPlugins",
      "files",
      "personalData",
    ]) {
      expect(report).toHaveProperty(key);
    }
    expect(report.course).toMatchObject({
      fullname: "Generated course",
      shortname: "GEN",
      format: "topics",
    });
    expect(report.activities).toEqual([
      expect.objectContaining({ module: "page", title: "Welcome" }),
    ]);
    expect(report.personalData.verdict).toBe("clean");
  });

  it("inspect prints a readable summary", () => {
    const run = coursefed("inspect", withUsers);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/Personal data:\s+YES: 1 user account/);
  });

  it("inspect refuses a 3 MB tar.gz of 3 GiB of zeros with exit code 2 and one line", async () => {
    const bomb = join(directory, "bomb.mbz");
    await writeFile(bomb, buildTarGzBomb(3 * 1024 ** 3));
    const run = coursefed("inspect", bomb);
    expect(run.code).toBe(2);
    // The refusal, once, and no stack trace of a second one reaching the process.
    expect(run.stderr.startsWith(`${bomb}: Archive`)).toBe(true);
    expect(run.stderr).toContain("beyond the 200:1 limit; refusing it as a possible archive bomb");
    expect(run.stderr.trim().split("\n")).toHaveLength(1);
  });

  it("scan exits 0 when all are clean, 3 on personal data, 2 on an unreadable file", () => {
    expect(coursefed("scan", clean).code).toBe(0);
    const mixed = coursefed("scan", clean, withUsers);
    expect(mixed.code).toBe(3);
    expect(mixed.stdout).toContain(`${withUsers}: contains personal data: 1 user account`);
    const broken = coursefed("scan", withUsers, notABackup);
    expect(broken.code).toBe(2);
    expect(broken.stderr).toContain(`${notABackup}: The file is neither a zip nor`);
    expect(coursefed("scan", join(directory, "missing.mbz")).stderr).toContain("no such file");
  });

  it("scan --json prints one line per file", () => {
    const lines = coursefed("scan", "--json", clean, notABackup)
      .stdout.trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    expect(lines[0]).toMatchObject({ file: clean, verdict: "clean" });
    expect(lines[1]).toMatchObject({ file: notABackup, error: { code: "NOT_AN_ARCHIVE" } });
  });

  it("sanitize writes a clean copy, and refuses what it cannot remove with exit code 4", () => {
    const output = join(directory, "sanitized.zip");
    const run = coursefed("sanitize", withUsers, output);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("Removed 1 user account");
    expect(coursefed("scan", output).code).toBe(0);
    const refused = coursefed("sanitize", unsupported, join(directory, "never.mbz"));
    expect(refused.code).toBe(4);
    expect(refused.stderr).toContain("mod_pollster");
    expect(coursefed("scan", join(directory, "never.mbz")).code).toBe(2);
  });
});
