import type { Command } from "commander";
import type { CommandResult } from "../../exit-codes.ts";
import { nodeAction } from "../../node-action.ts";
import { grantOptions } from "./grant-options.ts";

/** `coursefed moodle revoke`: take back a teacher's grant of an existing course. */
export function moodleRevokeCommand(moodle: Command, result: CommandResult): void {
  const run = nodeAction(result);
  grantOptions(
    moodle
      .command("revoke")
      .summary("take back a teacher's grant of an existing course")
      .description(
        "The teacher may no longer restore into that existing course of the target (given by coursefed moodle grant). Recorded in the audit log.",
      ),
  ).action(async (name: string, options) =>
    run(async (client) => {
      await client.json(
        "DELETE",
        `moodle/targets/${encodeURIComponent(name)}/grants/${options.course}/${encodeURIComponent(options.teacher)}`,
      );
      process.stdout.write(
        `${options.teacher} may no longer restore into course ${options.course} of ${name} (unless their own restore made it).\n`,
      );
    })(options),
  );
}
