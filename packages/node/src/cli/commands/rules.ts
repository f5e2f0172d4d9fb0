import { type Command, Option } from "commander";
import { ApiClientError, addNodeOptions } from "../api-client.ts";
import { type CommandResult, ExitCode } from "../exit-codes.ts";
import { nodeAction } from "../node-action.ts";
import { parsePositiveInteger } from "../option-parsers.ts";

/** `coursefed rules`: list, add or remove auto-restore rules (admin). */
export function rulesCommand(program: Command, result: CommandResult): void {
  const run = nodeAction(result);

  addNodeOptions(
    program
      .command("rules")
      .summary("list, add or remove auto-restore rules (admin)")
      .description(
        "A rule restores the courses that arrive in the catalog from an actor (an institution's rule covers the courses it announces for its teachers), with a tag, or both, into a target's category: each time as a new course, or updating in place the course restored from the same course before (its people stay).",
      )
      .option("--add", "add a rule (with --actor and/or --tag, --target and --category)")
      .option("--actor <url>", "with --add: courses published or announced by this actor")
      .option("--tag <tag>", "with --add: courses with this tag")
      .addOption(
        new Option(
          "--on <event>",
          "with --add: new (a course's first revision), updated (later ones) or both",
        )
          .choices(["new", "updated", "both"])
          .default("new"),
      )
      .option("--target <name>", "with --add: the Moodle target")
      .option("--category <id>", "with --add: the category restored into", parsePositiveInteger)
      .addOption(
        new Option(
          "--mode <mode>",
          "with --add: new-course each time, or update-in-place the course restored before",
        )
          .choices(["new-course", "update-in-place"])
          .default("new-course"),
      )
      .addOption(
        new Option("--remove <id>", "remove this rule")
          .argParser(parsePositiveInteger)
          .conflicts("add"),
      )
      .option("--json", "print JSON"),
  ).action(async (options) =>
    run(async (client) => {
      if (options.remove) {
        await client.json("DELETE", `rules/${options.remove}`);
        process.stdout.write(`Removed rule ${options.remove}.\n`);
        return;
      }
      if (options.add) {
        const missing = [
          options.actor || options.tag ? undefined : "--actor or --tag",
          options.target ? undefined : "--target",
          options.category ? undefined : "--category",
        ].filter((option) => option !== undefined);
        if (missing.length > 0) {
          throw new ApiClientError(`--add needs ${missing.join(", ")}.`, ExitCode.invalidInput);
        }
        const rule = await client.json<Rule>("POST", "rules", {
          ...(options.actor ? { actor: options.actor } : {}),
          ...(options.tag ? { tag: options.tag } : {}),
          on: options.on,
          target: options.target,
          categoryId: options.category,
          mode: options.mode,
        });
        process.stdout.write(
          options.json ? `${JSON.stringify(rule)}\n` : `Added ${describeRule(rule)}`,
        );
        return;
      }
      const { items } = await client.json<{ items: Rule[] }>("GET", "rules");
      if (options.json) process.stdout.write(`${JSON.stringify(items)}\n`);
      else if (items.length === 0) process.stdout.write("No auto-restore rules.\n");
      else for (const rule of items) process.stdout.write(describeRule(rule));
    })(options),
  );
}

interface Rule {
  id: number;
  actor: string | null;
  tag: string | null;
  on: string;
  target: string;
  categoryId: number;
  mode: string;
  createdBy: string;
}

function describeRule(rule: Rule): string {
  const match = [rule.actor ? `from ${rule.actor}` : "", rule.tag ? `tagged ${rule.tag}` : ""]
    .filter((part) => part !== "")
    .join(" and ");
  const on = rule.on === "both" ? "new or updated" : rule.on;
  return `rule ${rule.id}: ${on} courses ${match} → ${rule.target}, category ${rule.categoryId}, ${rule.mode} (by ${rule.createdBy})\n`;
}
