import { type ChildProcessByStdio, spawn } from "node:child_process";
import { type FileHandle, open, readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Readable, Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import { MoodleError } from "../errors.ts";

/**
 * Where our own PHP scripts live (packages/moodle/php), beside this package's sources; the
 * plugin's classes they require are in packages/moodle-plugin, beside this package.
 */
export const PHP_SCRIPT_DIRECTORY = fileURLToPath(new URL("../../php/", import.meta.url));

/** The descriptor PHP reads an invocation's inputFile on: the one after stdin, stdout, stderr. */
export const INPUT_FILE_FD = 3;

export interface PhpInvocation {
  /** The PHP CLI binary. */
  readonly php: string;
  /** Run PHP as this system user (through `runuser`, so the node must run as root). */
  readonly runAsUser?: string;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
  /**
   * A file the node opens and PHP reads as descriptor INPUT_FILE_FD (php://fd/3): PHP run as
   * another user then needs no right to where the node keeps it.
   */
  readonly inputFile?: string;
}

/** What one of our scripts answered: its JSON object, and everything else it printed. */
export interface PhpScriptAnswer {
  /** undefined when the script printed no JSON object (PHP could not start, Moodle died early). */
  readonly answer: Readonly<Record<string, unknown>> | undefined;
  readonly exitCode: number | null;
  /** The rest of stdout, the output the script captured from Moodle, and stderr. */
  readonly log: string;
  /** Set when PHP was killed before it answered: at the timeout, or because the caller aborted. */
  readonly stoppedBy: "timeout" | "abort" | undefined;
}

/**
 * The lines a script loads other PHP files with, each at the start of a line of its own,
 * outside any function: the bootstrap beside it, and the classes of the companion plugin
 * (packages/moodle-plugin) it shares with the ws driver.
 */
const REQUIRE_LINE = /^require\(__DIR__ \. '([^']+)'\);$/gm;

/** A plugin file's namespace declaration, which PHP wants bracketed in a program of several. */
const NAMESPACE_DECLARATION = /^namespace ([A-Za-z_][A-Za-z0-9_\\]*);$/m;

/**
 * A script and the files it requires, as one program PHP reads on stdin. PHP running as
 * another user (www-data) often cannot read the node's install (a home directory or a
 * clone of mode 0700); what it reads on a pipe needs no permission on any file. A file
 * declaring a namespace (the plugin's classes) goes in as a namespace block of its own,
 * so the script's own code is put in global namespace blocks around it; each block runs
 * where its require stood, so the plugin's files run after the script loaded Moodle.
 */
export async function phpProgram(
  script: string,
  directory: string = PHP_SCRIPT_DIRECTORY,
): Promise<string> {
  const source = await readFile(join(directory, script), "utf8");
  const required = [...source.matchAll(REQUIRE_LINE)].map((match) => match[1] as string);
  if (!required.includes("/cli-bootstrap.php")) {
    throw new Error(
      `${script} does not load cli-bootstrap.php as require(__DIR__ . '/cli-bootstrap.php');`,
    );
  }
  const files = new Map<string, string>();
  await Promise.all(
    required.map(async (path) => {
      files.set(path, await readFile(join(directory, path), "utf8"));
    }),
  );
  let namespaced = false;
  const program = phpCode(script, source).replace(REQUIRE_LINE, (_line, path: string) => {
    const code = phpCode(path, files.get(path) as string);
    const namespace = NAMESPACE_DECLARATION.exec(code);
    if (!namespace) return code;
    namespaced = true;
    const body = code.replace(NAMESPACE_DECLARATION, "");
    return `}\nnamespace ${namespace[1]} {\n${body}\n}\nnamespace {\n`;
  });
  return namespaced ? `<?php\nnamespace {\n${program}\n}\n` : `<?php\n${program}`;
}

/** A PHP file's code without its opening tag; one that closes it cannot be inlined. */
function phpCode(path: string, source: string): string {
  if (!source.startsWith("<?php")) throw new Error(`${path} does not start with <?php`);
  if (source.includes("?>")) {
    throw new Error(`${path} holds ?>, which would end the program's PHP code where it is inlined`);
  }
  return source.replace(/^<\?php\s*/, "");
}

/**
 * Runs one of our scripts in packages/moodle/php and collects its one-line JSON answer.
 * PHP runs in its own process group, so a timeout or an abort kills it and anything it
 * started; the caller learns which, and cleans up. Failing to start PHP at all is a
 * configuration problem, reported as such.
 */
export async function runPhpScript(
  script: string,
  args: readonly string[],
  invocation: PhpInvocation,
): Promise<PhpScriptAnswer> {
  const program = await phpProgram(script);
  const phpCommand = [
    invocation.php,
    // Moodle 4.5 refuses to run on PHP 8 with fewer; the CLI ini rarely sets it.
    "-d",
    "max_input_vars=5000",
    // No script file: PHP reads the program on stdin, and what follows -- are its arguments.
    "--",
    ...args,
  ];
  const command = invocation.runAsUser
    ? ["runuser", "-u", invocation.runAsUser, "--", ...phpCommand]
    : phpCommand;
  invocation.signal?.throwIfAborted();
  const input = invocation.inputFile ? await openInput(invocation.inputFile) : undefined;

  try {
    return await runPhp(command, invocation, program, input?.fd);
  } finally {
    await input?.close();
  }
}

/** The file handed to PHP, opened by the node (which may read it when PHP's user may not). */
async function openInput(path: string): Promise<FileHandle> {
  try {
    return await open(path, "r");
  } catch (error) {
    throw new MoodleError(
      "NOT_FOUND",
      `The backup file '${path}' cannot be opened: ${(error as Error).message}.`,
      { cause: error },
    );
  }
}

/** Spawns PHP with its program on stdin (and the input file as descriptor 3), and collects what it says. */
function runPhp(
  command: readonly string[],
  invocation: PhpInvocation,
  program: string,
  inputFd: number | undefined,
): Promise<PhpScriptAnswer> {
  const signal = invocation.signal;
  return new Promise<PhpScriptAnswer>((resolve, reject) => {
    // Typed by hand: node's typings lose the three pipes once a fourth descriptor is added.
    const child = spawn(command[0] as string, command.slice(1), {
      detached: true,
      stdio: ["pipe", "pipe", "pipe", ...(inputFd === undefined ? [] : [inputFd])],
      // The node's working directory may be closed to the other user; PHP needs none.
      ...(invocation.runAsUser ? { cwd: "/" } : {}),
    }) as ChildProcessByStdio<Writable, Readable, Readable>;
    // A PHP that dies before reading its program closes the pipe: its exit says why.
    child.stdin.on("error", () => {});
    child.stdin.end(program);
    const stdout = new BoundedOutput();
    const stderr = new BoundedOutput();
    child.stdout.on("data", (chunk: Buffer) => stdout.add(chunk));
    child.stderr.on("data", (chunk: Buffer) => stderr.add(chunk));

    let stoppedBy: "timeout" | "abort" | undefined;
    const killGroup = (reason: "timeout" | "abort") => {
      stoppedBy ??= reason;
      try {
        if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
      } catch {
        // The group is already gone.
      }
    };
    const timer = setTimeout(() => killGroup("timeout"), invocation.timeoutMs);
    const onAbort = () => killGroup("abort");
    signal?.addEventListener("abort", onAbort, { once: true });
    const finish = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    };
    // A pipe that fails cannot tell us the rest: PHP is stopped and the
    // request fails. Without a listener, the error would take the whole node down.
    let outputFailure: Error | undefined;
    const onOutputError = (error: Error) => {
      outputFailure ??= error;
      killGroup("abort");
    };
    child.stdout.on("error", onOutputError);
    child.stderr.on("error", onOutputError);

    child.on("error", (error: NodeJS.ErrnoException) => {
      finish();
      if (error.code === "ENOENT") {
        reject(
          new MoodleError(
            "MISCONFIGURED",
            invocation.runAsUser
              ? `Cannot run '${command[0]}': runuser (util-linux) is needed to run PHP as ${invocation.runAsUser}.`
              : `The PHP command-line interpreter '${invocation.php}' was not found. Install it with the extensions Moodle needs (on Debian 12: apt-get install php8.2-cli php8.2-pgsql php8.2-intl php8.2-gd php8.2-xml php8.2-mbstring php8.2-curl php8.2-zip php8.2-soap), or set the driver's php to its path.`,
            { cause: error },
          ),
        );
      } else {
        reject(
          new MoodleError("MISCONFIGURED", `Cannot run PHP: ${error.message}`, { cause: error }),
        );
      }
    });
    child.on("close", (exitCode) => {
      finish();
      const out = stdout.text();
      const err = stderr.text();
      if (outputFailure) {
        reject(
          new MoodleError(
            "MISCONFIGURED",
            `Reading what PHP printed failed (${outputFailure.message}); PHP was stopped.`,
            { log: [out, err].join("\n").trim(), cause: outputFailure },
          ),
        );
        return;
      }
      const { answer, rest } = answerLine(out);
      const captured = typeof answer?.log === "string" ? answer.log : "";
      const log = [rest, captured, err]
        .map((part) => part.trim())
        .filter((part) => part !== "")
        .join("\n");
      resolve({ answer, exitCode, log, stoppedBy });
    });
  });
}

/** What is kept of each of PHP's output streams: its beginning and its end. */
export const OUTPUT_HEAD_BYTES = 1024 * 1024;
export const OUTPUT_TAIL_BYTES = 15 * 1024 * 1024;

/**
 * One of PHP's output streams, held to OUTPUT_HEAD_BYTES + OUTPUT_TAIL_BYTES however much
 * Moodle prints (a restore with debugging on prints without end): the beginning says
 * what went wrong first, the end holds our answer line, and the middle is left out, with
 * a note saying how much.
 */
class BoundedOutput {
  readonly #head: Buffer[] = [];
  #headBytes = 0;
  readonly #tail: Buffer[] = [];
  #tailBytes = 0;
  #leftOut = 0;

  add(chunk: Buffer): void {
    let rest = chunk;
    if (this.#headBytes < OUTPUT_HEAD_BYTES) {
      const taken = rest.subarray(0, OUTPUT_HEAD_BYTES - this.#headBytes);
      this.#head.push(taken);
      this.#headBytes += taken.length;
      rest = rest.subarray(taken.length);
    }
    if (rest.length === 0) return;
    this.#tail.push(rest);
    this.#tailBytes += rest.length;
    while (this.#tailBytes > OUTPUT_TAIL_BYTES) {
      const first = this.#tail[0] as Buffer;
      const excess = this.#tailBytes - OUTPUT_TAIL_BYTES;
      if (first.length <= excess) this.#tail.shift();
      else this.#tail[0] = first.subarray(excess);
      const dropped = Math.min(first.length, excess);
      this.#tailBytes -= dropped;
      this.#leftOut += dropped;
    }
  }

  text(): string {
    const head = Buffer.concat(this.#head).toString("utf8");
    const tail = Buffer.concat(this.#tail).toString("utf8");
    return this.#leftOut === 0
      ? head + tail
      : `${head}\n[${this.#leftOut} bytes of output left out]\n${tail}`;
  }
}

/**
 * Our scripts print their answer as one line starting `{"ok":`, normally the last; Moodle
 * may print before it, and its shutdown handlers (debugging output) after it.
 */
function answerLine(stdout: string): {
  answer: Record<string, unknown> | undefined;
  rest: string;
} {
  const lines = stdout.split("\n");
  for (let index = lines.length - 1; index >= 0; index--) {
    const line = lines[index] as string;
    if (!line.startsWith('{"ok":')) continue;
    try {
      const answer = JSON.parse(line) as Record<string, unknown>;
      lines.splice(index, 1);
      return { answer, rest: lines.join("\n") };
    } catch {
      // A line Moodle printed that only looks like ours.
    }
  }
  return { answer: undefined, rest: stdout };
}
