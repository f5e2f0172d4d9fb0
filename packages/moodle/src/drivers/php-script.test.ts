import { execFile, execFileSync } from "node:child_process";
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  INPUT_FILE_FD,
  OUTPUT_HEAD_BYTES,
  OUTPUT_TAIL_BYTES,
  phpProgram,
  runPhpScript,
} from "./php-script.ts";

const run = promisify(execFile);

/** Whether a PHP CLI is installed, to check that the programs parse. */
const hasPhp = (() => {
  try {
    execFileSync("php", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();

/** Whether a process runs: gone, or a zombie nobody reaped yet (PID 1 in a container may not). */
async function isRunning(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => undefined);
  return stat !== undefined && !/^\d+ \(.*\) Z /.test(stat);
}

/** Where the tests of both functions write their stand-ins for PHP and for our scripts. */
let directory: string;

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), "coursefed-php-"));
});
afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

/** Stand-ins for the PHP binary: shell scripts that behave as PHP and Moodle may. */
describe("runPhpScript", () => {
  async function fakePhp(name: string, body: string): Promise<string> {
    const path = join(directory, name);
    await writeFile(path, `#!/bin/sh\n${body}\n`);
    await chmod(path, 0o755);
    return path;
  }

  it("finds the answer among what Moodle printed before and after it, and keeps the rest as log", async () => {
    const php = await fakePhp(
      "noisy",
      `echo "Moodle notice"; echo '{"ok":true,"courseId":7,"log":"captured"}'; echo "debugging at shutdown"; echo "a warning" >&2`,
    );
    const result = await runPhpScript("probe.php", [], { php, timeoutMs: 10_000 });
    expect(result.answer).toEqual({ ok: true, courseId: 7, log: "captured" });
    expect(result.stoppedBy).toBeUndefined();
    expect(result.log).toBe("Moodle notice\ndebugging at shutdown\ncaptured\na warning");
  });

  it("hands PHP the script on stdin, its arguments after --, and Moodle's max_input_vars", async () => {
    const received = join(directory, "received.php");
    const php = await fakePhp(
      "echo-args",
      `cat > ${received}; printf '{"ok":true,"args":"%s"}\\n' "$*"`,
    );
    const result = await runPhpScript("restore.php", ["--course=3"], { php, timeoutMs: 10_000 });
    expect(result.answer?.args).toBe("-d max_input_vars=5000 -- --course=3");
    // The script with the bootstrap in place of its require: nothing for PHP to read from disk.
    const program = await readFile(received, "utf8");
    expect(program).toBe(await phpProgram("restore.php"));
    expect(program).toContain("function coursefed_run(");
    expect(program).toContain("restore_includes.php");
    expect(program).not.toContain("cli-bootstrap.php');");
  });

  it.skipIf(!hasPhp)("makes each script one program PHP parses", async () => {
    for (const script of ["probe.php", "restore.php", "backup.php", "discard.php"]) {
      const path = join(directory, `whole-${script}`);
      await writeFile(path, await phpProgram(script));
      const { stdout } = await run("php", ["-l", path]);
      expect(stdout).toContain("No syntax errors");
    }
  });

  it("hands PHP an input file on descriptor 3, opened by the node", async () => {
    const archive = join(directory, "archive.mbz");
    await writeFile(archive, "backup bytes");
    const php = await fakePhp(
      "reads-fd",
      `cat > /dev/null; printf '{"ok":true,"read":"%s"}\\n' "$(cat <&${INPUT_FILE_FD})"`,
    );
    const result = await runPhpScript("restore.php", [`--archive-fd=${INPUT_FILE_FD}`], {
      php,
      timeoutMs: 10_000,
      inputFile: archive,
    });
    expect(result.answer?.read).toBe("backup bytes");
    await expect(
      runPhpScript("restore.php", [], {
        php,
        timeoutMs: 10_000,
        inputFile: join(directory, "no-such.mbz"),
      }),
    ).rejects.toMatchObject({
      code: "NOT_FOUND",
      message: expect.stringContaining(
        `The backup file '${join(directory, "no-such.mbz")}' cannot be opened`,
      ),
    });
  });

  it("reports no answer when PHP printed none", async () => {
    const php = await fakePhp("dies", `echo "PHP Fatal error: out of memory" >&2; exit 255`);
    const result = await runPhpScript("probe.php", [], { php, timeoutMs: 10_000 });
    expect(result).toMatchObject({ answer: undefined, exitCode: 255 });
    expect(result.log).toContain("out of memory");
  });

  it("keeps the beginning and the end of output without end, and finds the answer in it", async () => {
    // 40 MiB of debugging lines, then the answer, then more: held to head + tail.
    const php = await fakePhp(
      "chatty",
      `echo "first notice"; yes "debugging line" | head -c 41943040; echo; echo '{"ok":true,"courseId":9}'; echo "last words"`,
    );
    const result = await runPhpScript("restore.php", [], { php, timeoutMs: 30_000 });
    expect(result.answer).toEqual({ ok: true, courseId: 9 });
    expect(result.log.startsWith("first notice\n")).toBe(true);
    expect(result.log.endsWith("last words")).toBe(true);
    expect(result.log).toMatch(/\[\d+ bytes of output left out\]/);
    expect(result.log.length).toBeLessThanOrEqual(OUTPUT_HEAD_BYTES + OUTPUT_TAIL_BYTES + 100);
  });

  it("kills PHP's whole process group at the timeout", async () => {
    const pidFile = join(directory, "child.pid");
    const php = await fakePhp("hangs", `sleep 30 >/dev/null 2>&1 & echo $! > ${pidFile}; wait`);
    const result = await runPhpScript("restore.php", [], { php, timeoutMs: 300 });
    expect(result.stoppedBy).toBe("timeout");
    const child = Number(await readFile(pidFile, "utf8"));
    expect(await isRunning(child)).toBe(false);
  });

  it("stops PHP when the caller aborts", async () => {
    const php = await fakePhp("slow", "sleep 30");
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const result = await runPhpScript("backup.php", [], {
      php,
      timeoutMs: 10_000,
      signal: controller.signal,
    });
    expect(result.stoppedBy).toBe("abort");
  });

  it("says how to install PHP when the binary is missing", async () => {
    await expect(
      runPhpScript("probe.php", [], { php: join(directory, "no-php"), timeoutMs: 1000 }),
    ).rejects.toMatchObject({
      code: "MISCONFIGURED",
      message: expect.stringContaining("apt-get install php8.2-cli"),
    });
  });
});

describe("phpProgram", () => {
  /** Writes PHP files under a directory of their own, as packages/moodle/php and its neighbours. */
  async function scripts(name: string, files: Record<string, string>): Promise<string> {
    const root = join(directory, name);
    for (const [path, source] of Object.entries(files)) {
      await mkdir(dirname(join(root, path)), { recursive: true });
      await writeFile(join(root, path), source);
    }
    return join(root, "php");
  }

  it("sends restore.php with the companion plugin's restorer, run once the script loaded the site", async () => {
    const program = await phpProgram("restore.php");
    const plugin = fileURLToPath(
      new URL("../../../moodle-plugin/local_coursefed/classes/local/", import.meta.url),
    );
    for (const file of ["course_restorer.php", "restore_failure.php", "user_data_settings.php"]) {
      const source = await readFile(join(plugin, file), "utf8");
      // The plugin's own file, byte for byte from its imports on, in a namespace block.
      expect(program).toContain(source.slice(source.indexOf("\nuse ")));
    }
    expect(program).not.toMatch(/^require\(__DIR__/m);
    const loaded = program.indexOf("$options = coursefed_start([");
    const restorer = program.indexOf("namespace local_coursefed\\local {");
    const answered = program.indexOf("coursefed_answer(function");
    expect(loaded).toBeGreaterThan(0);
    expect(restorer).toBeGreaterThan(loaded);
    expect(answered).toBeGreaterThan(restorer);
  });

  it.skipIf(!hasPhp)(
    "runs a namespaced file's code where it was required, between global blocks",
    async () => {
      const php = await scripts("namespaced", {
        "php/main.php": [
          "<?php",
          "require(__DIR__ . '/cli-bootstrap.php');",
          "define('LOADED', true);",
          "require(__DIR__ . '/../lib/thing.php');",
          "echo greeting(), ' ', \\lib\\thing::next(41), \"\\n\";",
          "",
        ].join("\n"),
        "php/cli-bootstrap.php": "<?php\nfunction greeting(): string {\n    return 'hello';\n}\n",
        "lib/thing.php": [
          "<?php",
          "// A plugin file: its header, its namespace, and code that needs the script's setup.",
          "namespace lib;",
          "",
          "defined('LOADED') || die('run too early');",
          "class thing {",
          "    public static function next(int $n): int {",
          "        return $n + 1;",
          "    }",
          "}",
          "",
        ].join("\n"),
      });
      const program = await phpProgram("main.php", php);
      const child = run("php", []);
      child.child.stdin?.end(program);
      expect((await child).stdout).toBe("hello 42\n");
    },
  );

  it("refuses a script without the bootstrap, and a file that would end PHP's code", async () => {
    const php = await scripts("refused", {
      "php/alone.php": "<?php\necho 'no bootstrap';\n",
      "php/closing.php": "<?php\nrequire(__DIR__ . '/cli-bootstrap.php');\n",
      "php/cli-bootstrap.php": "<?php\n// ends here ?>\n<p>HTML</p>\n",
    });
    await expect(phpProgram("alone.php", php)).rejects.toThrow(
      "alone.php does not load cli-bootstrap.php",
    );
    await expect(phpProgram("closing.php", php)).rejects.toThrow(
      "/cli-bootstrap.php holds ?>, which would end the program's PHP code where it is inlined",
    );
  });
});
