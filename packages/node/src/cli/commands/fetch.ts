import { rename } from "node:fs/promises";
import { formatBytes } from "@coursefed/mbz/byte-size";
import type { Command } from "commander";
import { ApiClientError, addNodeOptions } from "../api-client.ts";
import { type CommandResult, ExitCode } from "../exit-codes.ts";
import { nodeAction } from "../node-action.ts";
import { parsePositiveInteger } from "../option-parsers.ts";

/** `coursefed fetch`: download a catalog course's archive, verified by its signed digest. */
export function fetchCommand(program: Command, result: CommandResult): void {
  const run = nodeAction(result);
  addNodeOptions(
    program
      .command("fetch")
      .summary("download a catalog course's archive, verified by its signed digest")
      .description(
        "Have the node fetch the archive of a course in its catalog (checked against the sha256 in the publisher's signed manifest), then download it to --out. An interrupted download resumes when run again.",
      )
      .argument("<object>", "the course's object id (URL), as `coursefed catalog` shows it")
      .requiredOption("--out <file>", "where to write the .mbz")
      .option(
        "--revision <n>",
        "an older revision (see `coursefed catalog --object`)",
        parsePositiveInteger,
      ),
  ).action(async (object: string, options) =>
    run(async (client) => {
      const { sha256, size } = await client.json<{ sha256: string; size: number }>(
        "POST",
        "catalog/fetch",
        { object, revision: options.revision },
      );
      const [{ BlobDigestError }, { DownloadError, downloadResumably }, { progressBar }] =
        await Promise.all([
          import("../../blobs/blob-store.ts"),
          import("../../blobs/resumable-download.ts"),
          import("../progress.ts"),
        ]);
      const { url, headers } = client.endpoint(`archives/${sha256}`);
      const partial = `${options.out}.part`;
      const progress = progressBar(true);
      try {
        await downloadResumably(url, partial, sha256, {
          headers,
          onProgress: (done, total) => progress.update("download", done, total ?? size),
        });
      } catch (error) {
        if (error instanceof DownloadError || error instanceof BlobDigestError) {
          throw new ApiClientError(error.message, ExitCode.unavailable);
        }
        throw error;
      } finally {
        progress.stop();
      }
      await rename(partial, options.out);
      process.stdout.write(
        `Wrote ${options.out} (${formatBytes(size)}, sha256 ${sha256}, verified)\n`,
      );
    })(options),
  );
}
