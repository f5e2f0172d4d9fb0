import { formatBytes } from "@coursefed/mbz/byte-size";
import type { Command } from "commander";
import { addNodeOptions } from "../../api-client.ts";
import type { CommandResult } from "../../exit-codes.ts";
import { nodeAction } from "../../node-action.ts";

/** `coursefed moodle probe`: ask a target's site what it runs: Moodle version and plugins. */
export function moodleProbeCommand(moodle: Command, result: CommandResult): void {
  const run = nodeAction(result);
  addNodeOptions(
    moodle
      .command("probe")
      .summary("ask a target's site what it runs: Moodle version and plugins")
      .description(
        "Checks that the node reaches the site and keeps what it runs: `coursefed catalog` courses are judged against it (GET /api/v1/catalog/compatibility). A failure says what is wrong (Moodle not found, unreachable, token refused, plugin missing) and what Moodle printed.",
      )
      .argument("<name>", "the target")
      .option("--plugins", "list every installed plugin with its version")
      .option("--json", "print the API's JSON"),
  ).action(async (name: string, options) =>
    run(async (client) => {
      const probe = await client.json<{
        target: string;
        version: string;
        release: string;
        branch: string;
        maxRestoreBytes: number | null;
        plugins: Record<string, number>;
      }>("POST", `moodle/targets/${encodeURIComponent(name)}/probe`);
      if (options.json) {
        process.stdout.write(`${JSON.stringify(probe)}\n`);
        return;
      }
      const plugins = Object.entries(probe.plugins).sort(([a], [b]) => a.localeCompare(b));
      const limit =
        probe.maxRestoreBytes === null
          ? "no size limit"
          : `backups up to ${formatBytes(probe.maxRestoreBytes)}`;
      process.stdout.write(
        `${probe.target}: Moodle ${probe.release} (branch ${probe.branch}, version ${probe.version}), ${plugins.length} plugins, ${limit}\n`,
      );
      if (options.plugins)
        for (const [component, version] of plugins)
          process.stdout.write(`  ${component}  ${version}\n`);
    })(options),
  );
}
