import { ApiClient, ApiClientError } from "./api-client.ts";
import { type CommandResult, ExitCode } from "./exit-codes.ts";

/** The end of what Moodle printed is where it says what stopped it. */
const MOODLE_LOG_LINES = 20;

/**
 * Wraps the action of a command that works through a node's API: it gets a client for
 * --node/--token, and a refusal or failure becomes a message on stderr and its exit code.
 * The work may return an exit code of its own (a restore refused or failed); 0 otherwise.
 */
export function nodeAction(result: CommandResult) {
  return (work: (client: ApiClient) => Promise<number | undefined>) =>
    async (options: { node?: string; token?: string }) => {
      try {
        result.exitCode = (await work(new ApiClient(options))) ?? ExitCode.ok;
      } catch (error) {
        if (error instanceof ApiClientError) {
          process.stderr.write(`coursefed: ${error.message}\n${moodleLogOf(error)}`);
          result.exitCode = error.exitCode;
          return;
        }
        const file = (error as NodeJS.ErrnoException).path;
        if (typeof file !== "string") throw error;
        // A local file that cannot be read or written: name it, and why. Loaded here, as it
        // loads the archive library, which no command working through a node needs to start.
        const { reportFileError } = await import("./archive-errors.ts");
        result.exitCode = reportFileError(file, error);
      }
    };
}

/** What Moodle printed before a failure the node reports (details.log), if anything. */
function moodleLogOf(error: ApiClientError): string {
  const log = (error.details as { log?: unknown } | undefined)?.log;
  if (typeof log !== "string" || log.trim() === "") return "";
  const lines = log.trimEnd().split("\n").slice(-MOODLE_LOG_LINES);
  return `Moodle printed (last lines):\n${lines.map((line) => `  ${line}`).join("\n")}\n`;
}
