import type { Command } from "commander";
import { addNodeOptions } from "../../api-client.ts";
import type { CommandResult } from "../../exit-codes.ts";
import { nodeAction } from "../../node-action.ts";
import { describeTarget, type Target } from "./target-text.ts";

/** `coursefed moodle node-url`: the node's address as one target's site reaches it. */
export function moodleNodeUrlCommand(moodle: Command, result: CommandResult): void {
  const run = nodeAction(result);
  addNodeOptions(
    moodle
      .command("node-url")
      .summary("set the node's address as a target's site reaches it (admin)")
      .description(
        "A site inside the institution's network may reach the node only by an internal address: the links it downloads archives by, and its next registration code (coursefed moodle register), are then made with this address instead of the node's public URL. An http(s) origin without a user name or password. Recorded in the audit log.",
      )
      .argument("<name>", "the target")
      .argument("<url>", 'e.g. http://coursefed.internal:8080; "none" goes back to the public URL'),
  ).action(async (name: string, url: string, options) =>
    run(async (client) => {
      const target = await client.json<Target>(
        "PUT",
        `moodle/targets/${encodeURIComponent(name)}/node-url`,
        { nodeUrl: url.trim().toLowerCase() === "none" ? null : url },
      );
      process.stdout.write(describeTarget(target));
    })(options),
  );
}
