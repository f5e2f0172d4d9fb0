import { diffBackups, diffText, MbzError } from "@coursefed/mbz";
import type { Command } from "commander";
import { reportFileError } from "../archive-errors.ts";
import { addArchiveLimitOptions, archiveLimits } from "../archive-limits-options.ts";
import { type CommandResult, ExitCode } from "../exit-codes.ts";
import { progressBar } from "../progress.ts";

export function diffCommand(program: Command, result: CommandResult): void {
  addArchiveLimitOptions(
    program
      .command("diff")
      .summary("what changed between two Moodle backups of a course")
      .description(
        "Compare two backups (.mbz) of a course, the older first: sections and activities added, removed, renamed or moved, question counts by type, files changed (by content hash) and course settings changed. Each backup is read once without extracting it, as inspect reads it. Sections and activities are paired by id when both backups come from the same Moodle course, else by name and type (docs/diff-json.md).",
      )
      .argument("<older>", "the earlier backup")
      .argument("<newer>", "the later backup")
      .option("--json", "print one JSON object (keys documented in docs/diff-json.md)"),
  ).action(async (older: string, newer: string, options) => {
    const progress = progressBar(!options.json);
    try {
      const diff = await diffBackups(older, newer, {
        limits: archiveLimits(options),
        onProgress: (done, total) => progress.update("diff", done, total),
      });
      progress.stop();
      process.stdout.write(
        options.json ? `${JSON.stringify(diff, null, 2)}\n` : `${diffText(diff)}\n`,
      );
      result.exitCode = ExitCode.ok;
    } catch (error) {
      progress.stop();
      // The refusal already says which of the two backups it was.
      if (error instanceof MbzError) {
        process.stderr.write(`${error.message}\n`);
        result.exitCode = ExitCode.invalidInput;
        return;
      }
      const path = (error as NodeJS.ErrnoException | undefined)?.path;
      result.exitCode = reportFileError(path ?? `${older}, ${newer}`, error);
    } finally {
      progress.stop();
    }
  });
}
