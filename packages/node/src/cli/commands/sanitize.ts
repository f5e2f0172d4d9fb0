import { sanitizeBackup } from "@coursefed/mbz";
import type { Command } from "commander";
import { reportFileError } from "../archive-errors.ts";
import { addArchiveLimitOptions, archiveLimits } from "../archive-limits-options.ts";
import { type CommandResult, ExitCode } from "../exit-codes.ts";
import { progressBar } from "../progress.ts";
import { describeFindings } from "../report-text.ts";

export function sanitizeCommand(program: Command, result: CommandResult): void {
  addArchiveLimitOptions(
    program
      .command("sanitize")
      .summary("write a copy of a backup without personal data")
      .description(
        "Write OUT, a copy of IN in the same container format with all personal data removed: user accounts, enrolments, role assignments, group memberships, activity user data, grades and their history, logs, comments, awarded badges, completion data and user files, and the settings that claim them. Everything else is kept as it was. OUT is re-scanned before it is kept; if a plugin's user data cannot be removed safely, nothing is written.",
      )
      .argument("<in>", "the backup to sanitize")
      .argument("<out>", "where to write the sanitized backup (replaced if it exists)")
      .option("--json", "print a JSON summary {input, output, removed, sha256}"),
  ).action(async (input: string, output: string, options) => {
    const progress = progressBar(!options.json);
    try {
      const outcome = await sanitizeBackup(input, output, {
        limits: archiveLimits(options),
        onProgress: (phase, done, total) => progress.update(phase, done, total),
      });
      progress.stop();
      const removed = outcome.before.personalData.findings;
      if (options.json) {
        process.stdout.write(
          `${JSON.stringify({ input, output, removed, sha256: outcome.after.sha256, size: outcome.after.size })}\n`,
        );
      } else {
        process.stdout.write(
          removed.length === 0
            ? `${input} held no personal data; ${output} is a clean copy.\n`
            : `Removed ${describeFindings(removed)}.\nWrote ${output} (sha256 ${outcome.after.sha256}); re-scanned: clean.\n`,
        );
      }
      result.exitCode = ExitCode.ok;
    } catch (error) {
      result.exitCode = reportFileError(input, error);
    } finally {
      progress.stop();
    }
  });
}
