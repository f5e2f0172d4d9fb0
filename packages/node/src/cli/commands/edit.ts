import type { Command } from "commander";
import { ApiClientError, addNodeOptions } from "../api-client.ts";
import { type CommandResult, ExitCode } from "../exit-codes.ts";
import { nodeAction } from "../node-action.ts";
import { courseIdOf, refuseExtraArguments, repeatedValues, tagsOption } from "../option-parsers.ts";

/** What the node answers an edit with: the course as it now is. */
interface EditedCourse {
  id: string;
  object: string;
  revision: number;
  title: string;
  summary: string | null;
  tags: string[];
  license: string | null;
  visibility: string;
}

/** `coursefed edit`: change a published course's title, summary, tags, licence or visibility. */
export function editCommand(program: Command, result: CommandResult): void {
  const run = nodeAction(result);
  addNodeOptions(
    program
      .command("edit")
      .summary("change a published course's title, summary, tags, licence or visibility")
      .description(
        "Change the details of a course published from this node, without a new revision: the archive and its revision number stay, and followers get an Update (a new licence is signed into the current revision's manifest; made private, the course is withdrawn from followers until shared again). Its author may, and an admin token for any course. Only the options given change; an empty value (--summary '') clears a summary, licence or the tags.",
      )
      .argument(
        "<course>",
        "the course's id, as `coursefed publish` printed it, or its URL",
        courseIdOf,
      )
      .option("--title <title>", "the course's title as others see it")
      .option("--summary <text>", "a short description")
      .option(
        "--tag <tags>",
        'subjects, separated by commas or repeated: --tag "web programming, maths", --tag maths --tag algebra (replaces the tags)',
        repeatedValues,
      )
      .option("--license <license>", "e.g. CC-BY-4.0")
      .option("--visibility <who>", "public, followers or private")
      .option("--json", "print the course as JSON")
      .allowExcessArguments(),
  ).action(async (course: string, options, command: Command) =>
    run(async (client) => {
      refuseExtraArguments(command, ["one COURSE"]);
      const changes: Record<string, unknown> = {};
      if (options.title !== undefined) changes.title = options.title;
      if (options.summary !== undefined) changes.summary = options.summary || null;
      if (options.license !== undefined) changes.license = options.license || null;
      if (options.visibility !== undefined) changes.visibility = options.visibility;
      if (options.tag !== undefined) changes.tags = tagsOption(options.tag);
      if (Object.keys(changes).length === 0) {
        throw new ApiClientError(
          "Nothing to change: give --title, --summary, --tag, --license or --visibility.",
          ExitCode.invalidInput,
        );
      }
      const edited = await client.json<EditedCourse>(
        "PATCH",
        `courses/${encodeURIComponent(course)}`,
        changes,
      );
      process.stdout.write(
        options.json ? `${JSON.stringify(edited)}\n` : describeEditedCourse(edited),
      );
    })(options),
  );
}

function describeEditedCourse(course: EditedCourse): string {
  const lines = [
    `Changed course ${course.id} (revision ${course.revision} unchanged)`,
    `  title: ${course.title}`,
    `  tags: ${course.tags.length > 0 ? course.tags.join(", ") : "none"}`,
    `  licence: ${course.license ?? "not stated"}`,
    `  visibility: ${course.visibility}`,
    `  ${course.object}`,
  ];
  return `${lines.join("\n")}\n`;
}
