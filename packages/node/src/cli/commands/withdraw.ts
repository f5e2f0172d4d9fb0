import type { Command } from "commander";
import { addNodeOptions } from "../api-client.ts";
import type { CommandResult } from "../exit-codes.ts";
import { nodeAction } from "../node-action.ts";
import { courseIdOf } from "../option-parsers.ts";

/** `coursefed withdraw`: withdraw a published course. */
export function withdrawCommand(program: Command, result: CommandResult): void {
  const run = nodeAction(result);
  addNodeOptions(
    program
      .command("withdraw")
      .summary("withdraw a published course")
      .description(
        "Withdraw a course published from this node: it leaves this node's catalog and its archive is no longer served, and followers get a Delete and remove it from theirs. Copies already restored into Moodle sites stay. Its author may, and an admin token for any course.",
      )
      .argument(
        "<course>",
        "the course's id, as `coursefed publish` printed it, or its URL",
        courseIdOf,
      ),
  ).action(async (course: string, options) =>
    run(async (client) => {
      await client.json("DELETE", `courses/${encodeURIComponent(course)}`);
      process.stdout.write(
        `Withdrew course ${course}: its followers are told to remove it; copies restored into Moodle sites stay.\n`,
      );
    })(options),
  );
}
