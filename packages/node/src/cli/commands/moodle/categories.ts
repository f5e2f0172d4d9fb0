import type { Command } from "commander";
import { addNodeOptions } from "../../api-client.ts";
import type { CommandResult } from "../../exit-codes.ts";
import { nodeAction } from "../../node-action.ts";

interface Category {
  id: number;
  name: string;
  path: string;
  parentId: number;
  courseCount: number;
  visible: boolean;
}

/** `coursefed moodle categories`: the categories of a target a new course may go into, by name. */
export function moodleCategoriesCommand(moodle: Command, result: CommandResult): void {
  const run = nodeAction(result);
  addNodeOptions(
    moodle
      .command("categories")
      .summary("list a target's categories by name, to restore a new course into")
      .description(
        "Each category's id (what `coursefed restore --category` and `coursefed moodle teachers --categories` take), its path from the top, how many courses it holds, and whether it is hidden. The ws driver lists the categories where the plugin's service user may create and restore courses; the cli driver every one. A teacher's token sees only the categories an admin opened to teachers.",
      )
      .argument("<name>", "the target")
      .option("--json", "print the API's JSON"),
  ).action(async (name: string, options) =>
    run(async (client) => {
      const listed = await client.json<{
        target: string;
        onlyOpenToTeachers: boolean;
        items: Category[];
      }>("GET", `moodle/targets/${encodeURIComponent(name)}/categories`);
      if (options.json) {
        process.stdout.write(`${JSON.stringify(listed)}\n`);
        return;
      }
      if (listed.onlyOpenToTeachers) {
        process.stdout.write(
          `The categories of ${listed.target} open to teachers (an admin opens them with \`coursefed moodle teachers\`):\n`,
        );
      }
      if (listed.items.length === 0) {
        process.stdout.write(`No category of ${listed.target} to restore into.\n`);
        return;
      }
      const width = String(Math.max(...listed.items.map((category) => category.id))).length;
      for (const category of listed.items) {
        const courses = `${category.courseCount} course${category.courseCount === 1 ? "" : "s"}`;
        process.stdout.write(
          `${String(category.id).padStart(width)}  ${category.path}  (${courses}${category.visible ? "" : ", hidden"})\n`,
        );
      }
    })(options),
  );
}
