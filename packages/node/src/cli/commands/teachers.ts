import type { Command } from "commander";
import { addNodeOptions } from "../api-client.ts";
import type { CommandResult } from "../exit-codes.ts";
import { nodeAction } from "../node-action.ts";

/** `coursefed teachers`: list teacher accounts, or create one with --add (admin). */
export function teachersCommand(program: Command, result: CommandResult): void {
  const run = nodeAction(result);
  addNodeOptions(
    program
      .command("teachers")
      .summary("list teacher accounts, or create one with --add (admin)")
      .description(
        "Teachers publish and follow as themselves (a Person actor, @handle@host); the institution announces their courses to its followers. --add prints the new teacher's API token once.",
      )
      .option("--add <handle>", "create a teacher account with this handle")
      .option("--name <name>", "the teacher's display name (with --add)")
      .option("--json", "print JSON"),
  ).action(async (options) =>
    run(async (client) => {
      if (options.add) {
        const created = await client.json<{ actor: string; handle: string; token: string }>(
          "POST",
          "teachers",
          {
            handle: options.add,
            name: options.name ?? options.add,
          },
        );
        process.stdout.write(
          options.json
            ? `${JSON.stringify(created)}\n`
            : `Created ${created.actor}\nAPI token for ${created.handle} (shown this once):\n  ${created.token}\n`,
        );
        return;
      }
      const { items } = await client.json<{
        items: Array<{ actor: string; handle: string; name: string }>;
      }>("GET", "teachers");
      if (options.json) process.stdout.write(`${JSON.stringify(items)}\n`);
      else if (items.length === 0) process.stdout.write("No teacher accounts yet.\n");
      else
        for (const item of items)
          process.stdout.write(`@${item.handle}  ${item.name}  ${item.actor}\n`);
    })(options),
  );
}
