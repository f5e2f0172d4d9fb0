import { type Command, InvalidArgumentError } from "commander";
import {
  categoryIdsFrom,
  TeacherPermissionError,
} from "../../../moodle-targets/teacher-permissions.ts";
import { addNodeOptions } from "../../api-client.ts";
import type { CommandResult } from "../../exit-codes.ts";
import { nodeAction } from "../../node-action.ts";
import { describeTarget, type Target } from "./target-text.ts";

/**
 * `--categories` as the console reads it (the node checks the ids again): separated by
 * commas or repeated, as every option taking several values (cli/option-parsers.ts).
 */
function parseCategoryIds(text: string, previous: readonly number[] = []): number[] {
  try {
    return [...previous, ...categoryIdsFrom(text)];
  } catch (error) {
    if (error instanceof TeacherPermissionError) throw new InvalidArgumentError(error.message);
    throw error;
  }
}

/** `coursefed moodle teachers`: set the categories of a target where teachers may restore new courses. */
export function moodleTeachersCommand(moodle: Command, result: CommandResult): void {
  const run = nodeAction(result);
  addNodeOptions(
    moodle
      .command("teachers")
      .summary("set the categories of a target where teachers may restore new courses")
      .description(
        "Teachers restore new courses only into these categories of the target, and into existing courses only those their own restores created there or that an admin granted them (coursefed moodle grant). Admins and auto-restore rules restore anywhere. Recorded in the audit log.",
      )
      .argument("<name>", "the target")
      .requiredOption(
        "--categories <ids>",
        'category ids separated by commas or repeated, e.g. 3,5 or --categories 3 --categories 5; "none" closes the target to teachers\' new courses',
        parseCategoryIds,
      ),
  ).action(async (name: string, options) =>
    run(async (client) => {
      const target = await client.json<Target>(
        "PUT",
        `moodle/targets/${encodeURIComponent(name)}/teachers`,
        { categoryIds: options.categories },
      );
      process.stdout.write(describeTarget(target));
    })(options),
  );
}
