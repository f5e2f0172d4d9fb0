import { MbzError } from "@coursefed/mbz";
import { ExitCode } from "./exit-codes.ts";

/**
 * Reports why a backup file could not be used, prefixed with its name, and returns the
 * exit code for it. Anything that is not a known refusal is rethrown as a bug.
 */
export function reportFileError(file: string, error: unknown): number {
  if (error instanceof MbzError) {
    process.stderr.write(`${file}: ${error.message}\n`);
    return error.code === "SANITIZE_UNSUPPORTED" || error.code === "SANITIZE_INCOMPLETE"
      ? ExitCode.cannotSanitize
      : ExitCode.invalidInput;
  }
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (error instanceof Error && typeof code === "string" && /^E[A-Z]+$/.test(code)) {
    const reason =
      code === "ENOENT" ? "no such file" : code === "EACCES" ? "permission denied" : error.message;
    process.stderr.write(`${file}: cannot read or write: ${reason}\n`);
    return ExitCode.invalidInput;
  }
  throw error;
}
