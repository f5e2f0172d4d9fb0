import { inspectBackup } from "@coursefed/mbz";
import type { Command } from "commander";
import { reportFileError } from "../archive-errors.ts";
import { addArchiveLimitOptions, archiveLimits } from "../archive-limits-options.ts";
import { type CommandResult, ExitCode } from "../exit-codes.ts";
import { progressBar } from "../progress.ts";
import { formatReport } from "../report-text.ts";

export function inspectCommand(program: Command, result: CommandResult): void {
  addArchiveLimitOptions(
    program
      .command("inspect")
      .summary("describe a Moodle backup (.mbz)")
      .description(
        "Read a Moodle course backup (zip or tar.gz, Moodle 2.x to 5.x) without extracting it and describe it: identity, Moodle version, course, contents, required plugins and personal data.",
      )
      .argument("<file>", "the backup file")
      .option("--json", "print one JSON object (keys documented in docs/inspect-json.md)"),
  ).action(async (file: string, options) => {
    const progress = progressBar(!options.json);
    try {
      const report = await inspectBackup(file, {
        limits: archiveLimits(options),
        onProgress: (done, total) => progress.update("inspect", done, total),
      });
      progress.stop();
      process.stdout.write(
        options.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report),
      );
      result.exitCode = ExitCode.ok;
    } catch (error) {
      result.exitCode = reportFileError(file, error);
    } finally {
      progress.stop();
    }
  });
}
