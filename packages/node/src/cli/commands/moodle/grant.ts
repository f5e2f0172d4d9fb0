import type { Command } from "commander";
import type { CommandResult } from "../../exit-codes.ts";
import { nodeAction } from "../../node-action.ts";
import { grantOptions } from "./grant-options.ts";

/** `coursefed moodle grant`: let a teacher restore into an existing course of a target. */
export function moodleGrantCommand(moodle: Command, result: CommandResult): void {
  const run = nodeAction(result);
  grantOptions(
    moodle
      .command("grant")
      .summary("let a teacher restore into an existing course of a target")
      .description(
        "Merging into or replacing it still needs the teacher's --confirm. Recorded in the audit log.",
      ),
  ).action(async (name: string, options) =>
    run(async (client) => {
      await client.json("POST", `moodle/targets/${encodeURIComponent(name)}/grants`, {
        courseId: options.course,
        teacher: options.teacher,
      });
      process.stdout.write(
        `${options.teacher} may restore into course ${options.course} of ${name}.\n`,
      );
    })(options),
  );
}
