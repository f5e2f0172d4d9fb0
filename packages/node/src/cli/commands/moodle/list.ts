import type { Command } from "commander";
import { addNodeOptions } from "../../api-client.ts";
import type { CommandResult } from "../../exit-codes.ts";
import { nodeAction } from "../../node-action.ts";
import { describeTarget, type Target } from "./target-text.ts";

/** `coursefed moodle list`: list the Moodle targets and what their last probe found. */
export function moodleListCommand(moodle: Command, result: CommandResult): void {
  const run = nodeAction(result);
  addNodeOptions(
    moodle
      .command("list")
      .summary("list the Moodle targets and what their last probe found")
      .description(
        "Each target: its name, driver, address and default category, what its last probe found (Moodle release and plugin count, or that it was never probed) and where teachers may restore new courses.",
      )
      .option("--json", "print the API's JSON"),
  ).action(async (options) =>
    run(async (client) => {
      const { items } = await client.json<{ items: Target[] }>("GET", "moodle/targets");
      if (options.json) process.stdout.write(`${JSON.stringify(items)}\n`);
      else if (items.length === 0)
        process.stdout.write("No Moodle targets yet; add one with `coursefed moodle add`.\n");
      else for (const target of items) process.stdout.write(describeTarget(target));
    })(options),
  );
}
