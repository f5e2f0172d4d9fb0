import type { Command } from "commander";
import { addNodeOptions } from "../../api-client.ts";
import type { CommandResult } from "../../exit-codes.ts";
import { nodeAction } from "../../node-action.ts";

/** `coursefed moodle remove`: forget a target, its rules, restore jobs and lineage (the site is untouched). */
export function moodleRemoveCommand(moodle: Command, result: CommandResult): void {
  const run = nodeAction(result);
  addNodeOptions(
    moodle
      .command("remove")
      .summary("forget a target, its rules, restore jobs and lineage (the site is untouched)")
      .description(
        "Forgets the target, and with it its auto-restore rules, its restore jobs and the lineage of the courses restored there (which catalog course each came from). Nothing changes on the Moodle site: the courses restored there stay. To change its address, token or Moodle directory, keep it and use `coursefed moodle edit`. Recorded in the audit log.",
      )
      .argument("<name>", "the target"),
  ).action(async (name: string, options) =>
    run(async (client) => {
      await client.json("DELETE", `moodle/targets/${encodeURIComponent(name)}`);
      process.stdout.write(`Removed Moodle target ${name}; its courses stay on the site.\n`);
    })(options),
  );
}
