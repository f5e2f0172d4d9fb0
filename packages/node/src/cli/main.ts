import { Command, CommanderError } from "commander";
import { accountsCommand } from "./commands/accounts.ts";
import { inspectCommand } from "./commands/inspect.ts";
import { migrateCommand } from "./commands/migrate.ts";
import { moodleCommands } from "./commands/moodle-commands.ts";
import { nodeCommands } from "./commands/node-commands.ts";
import { sanitizeCommand } from "./commands/sanitize.ts";
import { scanCommand } from "./commands/scan.ts";
import { serveCommand } from "./commands/serve.ts";
import { type CommandResult, EXIT_CODES_HELP, ExitCode } from "./exit-codes.ts";

export function buildProgram(result: CommandResult): Command {
  const program = new Command("coursefed")
    .description(
      "Share Moodle course backups between institutions. Each institution runs a coursefed node beside its Moodle sites; these commands work on backups (.mbz) directly.",
    )
    .version("0.1.0")
    .showHelpAfterError("(run with --help for usage)")
    .addHelpText("after", EXIT_CODES_HELP)
    .exitOverride();
  for (const register of [
    serveCommand,
    nodeCommands,
    moodleCommands,
    accountsCommand,
    migrateCommand,
    inspectCommand,
    scanCommand,
    sanitizeCommand,
  ]) {
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

/** Runs the CLI on `argv` (as in process.argv) and returns the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const result: CommandResult = { exitCode: ExitCode.ok };
  const program = buildProgram(result);
  try {
    await program.parseAsync([...argv]);
    return result.exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version requests end here too, with code 0.
      return error.exitCode === 0 ? ExitCode.ok : ExitCode.invalidInput;
    }
    process.stderr.write(
      `coursefed: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    return ExitCode.internal;
  }
}
