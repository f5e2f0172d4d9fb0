import { readFileSync } from "node:fs";
import { Command, CommanderError } from "commander";
import { DatabaseOpenError } from "../db/database-open-error.ts";
import { type CommandResult, EXIT_CODES_HELP, ExitCode } from "./exit-codes.ts";

type RegisterCommands = (program: Command, result: CommandResult) => void;

const serveCommand = async () => (await import("./commands/serve.ts")).serveCommand;
const publishCommand = async () => (await import("./commands/publish.ts")).publishCommand;
const followCommand = async () => (await import("./commands/follow.ts")).followCommand;
const boostCommand = async () => (await import("./commands/boost.ts")).boostCommand;
const followRequestsCommand = async () =>
  (await import("./commands/follow-requests.ts")).followRequestsCommand;
const catalogCommand = async () => (await import("./commands/catalog.ts")).catalogCommand;
const searchNetworkCommand = async () =>
  (await import("./commands/search-network.ts")).searchNetworkCommand;
const fetchCommand = async () => (await import("./commands/fetch.ts")).fetchCommand;
const teachersCommand = async () => (await import("./commands/teachers.ts")).teachersCommand;
const peersCommand = async () => (await import("./commands/peers.ts")).peersCommand;
const catchUpCommand = async () => (await import("./commands/catch-up.ts")).catchUpCommand;
const settingsCommand = async () => (await import("./commands/settings.ts")).settingsCommand;
const editCommand = async () => (await import("./commands/edit.ts")).editCommand;
const withdrawCommand = async () => (await import("./commands/withdraw.ts")).withdrawCommand;
const reportCommand = async () => (await import("./commands/report.ts")).reportCommand;
const reportsCommand = async () => (await import("./commands/reports.ts")).reportsCommand;
const moodleCommand = async () => (await import("./commands/moodle.ts")).moodleCommand;
const restoreCommand = async () => (await import("./commands/restore.ts")).restoreCommand;
const restoresCommand = async () => (await import("./commands/restores.ts")).restoresCommand;
const rulesCommand = async () => (await import("./commands/rules.ts")).rulesCommand;
const accountsCommand = async () => (await import("./commands/accounts.ts")).accountsCommand;
const migrateCommand = async () => (await import("./commands/migrate.ts")).migrateCommand;
const inspectCommand = async () => (await import("./commands/inspect.ts")).inspectCommand;
const diffCommand = async () => (await import("./commands/diff.ts")).diffCommand;
const scanCommand = async () => (await import("./commands/scan.ts")).scanCommand;
const sanitizeCommand = async () => (await import("./commands/sanitize.ts")).sanitizeCommand;

/** Every command's module, in the order `coursefed --help` lists them. */
const ALL_COMMANDS = [
  serveCommand,
  publishCommand,
  followCommand,
  boostCommand,
  followRequestsCommand,
  catalogCommand,
  searchNetworkCommand,
  fetchCommand,
  teachersCommand,
  peersCommand,
  catchUpCommand,
  settingsCommand,
  editCommand,
  withdrawCommand,
  reportCommand,
  reportsCommand,
  moodleCommand,
  restoreCommand,
  restoresCommand,
  rulesCommand,
  accountsCommand,
  migrateCommand,
  inspectCommand,
  diffCommand,
  scanCommand,
  sanitizeCommand,
];

/**
 * The module defining each command, loaded only when that command is run: loading every
 * command's dependencies (the node, Fedify, drizzle, the archive reader) took most of
 * each call's start-up, even for a command that only makes one HTTP request. A command
 * missing here still works: every module is then loaded, as for `coursefed --help`.
 */
const COMMAND_MODULES: Readonly<Record<string, () => Promise<RegisterCommands>>> = {
  serve: serveCommand,
  publish: publishCommand,
  follow: followCommand,
  boost: boostCommand,
  "follow-requests": followRequestsCommand,
  catalog: catalogCommand,
  "search-network": searchNetworkCommand,
  fetch: fetchCommand,
  teachers: teachersCommand,
  peers: peersCommand,
  "catch-up": catchUpCommand,
  settings: settingsCommand,
  edit: editCommand,
  withdraw: withdrawCommand,
  report: reportCommand,
  reports: reportsCommand,
  moodle: moodleCommand,
  restore: restoreCommand,
  restores: restoresCommand,
  rules: rulesCommand,
  accounts: accountsCommand,
  migrate: migrateCommand,
  inspect: inspectCommand,
  diff: diffCommand,
  scan: scanCommand,
  sanitize: sanitizeCommand,
};

/** This package's version, for --version. */
function version(): string {
  const manifest = new URL("../../package.json", import.meta.url);
  return (JSON.parse(readFileSync(manifest, "utf8")) as { version: string }).version;
}

/**
 * The `coursefed` program. With `command`, only the module defining that command is
 * loaded (if it is a known one); "" loads none (--version); without, every command.
 */
export async function buildProgram(result: CommandResult, command?: string): Promise<Command> {
  const program = new Command("coursefed")
    .description(
      "Share Moodle course backups between institutions. Each institution runs a coursefed node beside its Moodle sites: serve runs it; accounts and migrate work on its data directory; inspect, diff, scan and sanitize on backups (.mbz) directly; the other commands ask a running node (--node, --token).",
    )
    .version(version())
    .showHelpAfterError("(run with --help for usage)")
    .addHelpText("after", EXIT_CODES_HELP)
    .exitOverride();
  const known = command ? COMMAND_MODULES[command] : undefined;
  const loaders = known ? [known] : command === "" ? [] : ALL_COMMANDS;
  for (const register of await Promise.all(loaders.map((load) => load()))) {
    register(program, result);
  }
  addExitCodesHelp(program.commands);
  return program;
}

/** Every command and subcommand (`coursefed moodle add`) documents the exit codes. */
function addExitCodesHelp(commands: readonly Command[]): void {
  for (const command of commands) {
    command.addHelpText("after", EXIT_CODES_HELP).exitOverride();
    addExitCodesHelp(command.commands);
  }
}

/**
 * The command `argv` asks for; undefined for `coursefed --help` or a bare `coursefed`,
 * and "" for `coursefed --version`, which needs no command at all.
 */
function commandAskedFor(argv: readonly string[]): string | undefined {
  const args = argv.slice(2);
  const command = args.find((arg) => !arg.startsWith("-"));
  if (command !== undefined) return command;
  return args.includes("--version") || args.includes("-V") ? "" : undefined;
}

/**
 * Output piped into `head` or a pager that stops reading: the reader has what it wanted,
 * so the command ends quietly and successfully, rather than with an EPIPE stack trace.
 */
function endQuietlyWhenOutputIsClosed(): void {
  process.stdout.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code !== "EPIPE") throw error;
    process.exit(ExitCode.ok);
  });
}

/** Runs the CLI on `argv` (as in process.argv) and returns the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  endQuietlyWhenOutputIsClosed();
  const result: CommandResult = { exitCode: ExitCode.ok };
  try {
    const program = await buildProgram(result, commandAskedFor(argv));
    await program.parseAsync([...argv]);
    return result.exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version requests end here too, with code 0.
      return error.exitCode === 0 ? ExitCode.ok : ExitCode.invalidInput;
    }
    // serve, accounts and migrate open the database: a wrong URL or a server down is the
    // admin's to fix from one line, not a bug.
    if (error instanceof DatabaseOpenError) {
      process.stderr.write(`coursefed: ${error.message}\n`);
      return error.code === "UNREACHABLE" ? ExitCode.unavailable : ExitCode.invalidInput;
    }
    process.stderr.write(
      `coursefed: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    return ExitCode.internal;
  }
}
