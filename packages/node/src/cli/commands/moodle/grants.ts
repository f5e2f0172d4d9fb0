import type { Command } from "commander";
import { addNodeOptions } from "../../api-client.ts";
import type { CommandResult } from "../../exit-codes.ts";
import { nodeAction } from "../../node-action.ts";

/** `coursefed moodle grants`: list the existing courses of a target granted to teachers. */
export function moodleGrantsCommand(moodle: Command, result: CommandResult): void {
  const run = nodeAction(result);
  addNodeOptions(
    moodle
      .command("grants")
      .summary("list the existing courses of a target granted to teachers")
      .description(
        "Each course of the target an admin granted to a teacher (coursefed moodle grant), with the teacher, who granted it and when. The courses a teacher's own restores created are the teacher's without a grant, and are not listed.",
      )
      .argument("<name>", "the target")
      .option("--json", "print the API's JSON"),
  ).action(async (name: string, options) =>
    run(async (client) => {
      const { items } = await client.json<{
        items: { courseId: number; teacher: string; grantedBy: string; grantedAt: string }[];
      }>("GET", `moodle/targets/${encodeURIComponent(name)}/grants`);
      if (options.json) process.stdout.write(`${JSON.stringify(items)}\n`);
      else if (items.length === 0)
        process.stdout.write(`No course of ${name} is granted to a teacher.\n`);
      else
        for (const grant of items)
          process.stdout.write(
            `course ${grant.courseId}  ${grant.teacher}  granted by ${grant.grantedBy}, ${grant.grantedAt}\n`,
          );
    })(options),
  );
}
