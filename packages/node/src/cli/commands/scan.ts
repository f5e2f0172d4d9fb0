import { inspectBackup, MbzError } from "@coursefed/mbz";
import type { Command } from "commander";
import { reportFileError } from "../archive-errors.ts";
import { addArchiveLimitOptions, archiveLimits } from "../archive-limits-options.ts";
import { type CommandResult, ExitCode } from "../exit-codes.ts";
import { progressBar } from "../progress.ts";
import { describeFindings } from "../report-text.ts";

export function scanCommand(program: Command, result: CommandResult): void {
  addArchiveLimitOptions(
    program
      .command("scan")
      .summary("check backups for personal data")
      .description(
        "Check each backup's contents (not only its settings) for personal data: user accounts, enrolments, role assignments, group memberships, activity user data, grades, logs, comments, badges awarded, completion data, user files. Prints one verdict per file.",
      )
      .argument("<files...>", "backup files")
      .option(
        "--json",
        "print one JSON object per line: {file, verdict, findings} or {file, error}",
      ),
  ).action(async (files: string[], options) => {
    let exitCode: number = ExitCode.ok;
    for (const file of files) {
      const progress = progressBar(!options.json);
      try {
        const report = await inspectBackup(file, {
          limits: archiveLimits(options),
          onProgress: (done, total) => progress.update(`scan ${file}`, done, total),
        });
        progress.stop();
        const { verdict, findings } = report.personalData;
        if (verdict !== "clean" && exitCode === ExitCode.ok) exitCode = ExitCode.personalData;
        process.stdout.write(
          options.json
            ? `${JSON.stringify({ file, verdict, findings })}\n`
            : `${file}: ${verdict === "clean" ? "clean" : `contains personal data: ${describeFindings(findings)}`}\n`,
        );
      } catch (error) {
        progress.stop();
        exitCode = reportFileError(file, error);
        if (options.json) {
          const message = error instanceof Error ? error.message : String(error);
          const code = error instanceof MbzError ? error.code : "UNREADABLE";
          process.stdout.write(`${JSON.stringify({ file, error: { code, message } })}\n`);
        }
      }
    }
    result.exitCode = exitCode;
  });
}
