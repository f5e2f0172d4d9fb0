import type { Command } from "commander";
import { addNodeOptions } from "../../api-client.ts";
import type { CommandResult } from "../../exit-codes.ts";
import { nodeAction } from "../../node-action.ts";

/** `coursefed moodle register`: issue the registration code a target's Moodle site is connected with. */
export function moodleRegisterCommand(moodle: Command, result: CommandResult): void {
  const run = nodeAction(result);
  addNodeOptions(
    moodle
      .command("register")
      .summary("issue the registration code that connects a target's Moodle site to this node")
      .description(
        "Prints a registration code: the node's address and a new site token bound to this target. A Moodle admin pastes it on the local_coursefed plugin's settings page (Site administration > Plugins > Local plugins > coursefed), which shows this node's institution and, for a ws target, gives the node its web-service token in one step. The site's teachers then share and import from their courses, as teachers of this node made at their first use (a setting of the node's console). Issuing a code again revokes the previous one at once. The code is a secret: it is shown this once.",
      )
      .argument("<name>", "the target")
      .option(
        "--revoke",
        "withdraw the target's registration instead: its site token stops working",
      )
      .option("--json", "print the API's JSON"),
  ).action(async (name: string, options) =>
    run(async (client) => {
      const path = `moodle/targets/${encodeURIComponent(name)}/registration`;
      if (options.revoke) {
        await client.json("DELETE", path);
        process.stdout.write(
          `The Moodle site of ${name} is no longer registered: its token is refused.\n`,
        );
        return;
      }
      const issued = await client.json<{ target: string; code: string; replaced: boolean }>(
        "POST",
        path,
      );
      if (options.json) {
        process.stdout.write(`${JSON.stringify(issued)}\n`);
        return;
      }
      process.stdout.write(
        `Registration code for ${issued.target} (shown once; paste it on the local_coursefed plugin's settings page):\n\n${issued.code}\n\n${issued.replaced ? "The previous code of this target no longer works.\n" : ""}`,
      );
    })(options),
  );
}
