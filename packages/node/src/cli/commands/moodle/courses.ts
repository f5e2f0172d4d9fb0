import type { Command } from "commander";
import { addNodeOptions } from "../../api-client.ts";
import type { CommandResult } from "../../exit-codes.ts";
import { nodeAction } from "../../node-action.ts";
import { parsePositiveInteger } from "../../option-parsers.ts";

interface Course {
  id: number;
  fullName: string;
  shortName: string;
  categoryPath: string;
  visible: boolean;
}

/** `coursefed moodle courses`: search a target's courses by name. */
export function moodleCoursesCommand(moodle: Command, result: CommandResult): void {
  const run = nodeAction(result);
  addNodeOptions(
    moodle
      .command("courses")
      .summary("search a target's courses by name, to restore into one (admin)")
      .description(
        "The courses whose full or short name holds every word of --search (any case), by full name, each with its id (what `coursefed restore --into-course` and `coursefed moodle grant --course` take), short name and category. A page at a time: --limit and --offset. The ws driver lists the courses the plugin's service user may restore into.",
      )
      .argument("<name>", "the target")
      .option("--search <words>", "words of the full or short name; every course without")
      .option("--limit <n>", "how many at most (up to 200)", parsePositiveInteger, 50)
      .option("--offset <n>", "skip this many (paging)", parseOffset, 0)
      .option("--json", "print the API's JSON"),
  ).action(async (name: string, options) =>
    run(async (client) => {
      const query = new URLSearchParams({
        limit: String(options.limit),
        offset: String(options.offset),
      });
      if (options.search) query.set("search", options.search);
      const found = await client.json<{ target: string; total: number; items: Course[] }>(
        "GET",
        `moodle/targets/${encodeURIComponent(name)}/courses?${query}`,
      );
      if (options.json) {
        process.stdout.write(`${JSON.stringify(found)}\n`);
        return;
      }
      const what = options.search ? ` matching "${options.search}"` : "";
      if (found.total === 0) {
        process.stdout.write(`No course of ${found.target}${what}.\n`);
        return;
      }
      const width = String(Math.max(...found.items.map((course) => course.id), 0)).length;
      for (const course of found.items) {
        process.stdout.write(
          `${String(course.id).padStart(width)}  ${course.fullName}  [${course.shortName}]  in ${course.categoryPath}${course.visible ? "" : "  (hidden)"}\n`,
        );
      }
      const last = options.offset + found.items.length;
      const more = last < found.total ? `; next: --offset ${last}` : "";
      process.stdout.write(
        `${found.items.length === 0 ? "None" : `${options.offset + 1}-${last}`} of ${found.total} course${found.total === 1 ? "" : "s"}${what}${more}\n`,
      );
    })(options),
  );
}

function parseOffset(text: string): number {
  return text.trim() === "0" ? 0 : parsePositiveInteger(text);
}
