import type { Command } from "commander";
import { addNodeOptions } from "../../api-client.ts";
import type { CommandResult } from "../../exit-codes.ts";
import { nodeAction } from "../../node-action.ts";
import { parsePositiveInteger } from "../../option-parsers.ts";

interface MoodleUser {
  readonly moodleUserId: number;
  readonly username: string;
  readonly fullName: string;
  readonly email: string;
  readonly teacher: string;
  readonly lastSeenAt: string;
  readonly revokedAt: string | null;
}

/** `coursefed moodle users`: the Moodle users a registered site acted for, and revoking one. */
export function moodleUsersCommand(moodle: Command, result: CommandResult): void {
  const run = nodeAction(result);
  addNodeOptions(
    moodle
      .command("users")
      .summary("the Moodle users a registered site acted for, with their teachers (admin)")
      .description(
        "Each Moodle user a registered site named in a request, with the node's teacher it acts as for them. --revoke refuses a user from then on (they get a message saying the node's admin withdrew their access), rather than letting them become a new teacher at their next request.",
      )
      .argument("<name>", "the target")
      .option(
        "--revoke <moodleUserId>",
        "refuse this Moodle user (their id on the site)",
        parsePositiveInteger,
      )
      .option("--json", "print the API's JSON"),
  ).action(async (name: string, options) =>
    run(async (client) => {
      const path = `moodle/targets/${encodeURIComponent(name)}/moodle-users`;
      if (options.revoke !== undefined) {
        await client.json("POST", `${path}/${options.revoke}/revoke`);
        process.stdout.write(`Moodle user ${options.revoke} of ${name} is refused from now on.\n`);
        return;
      }
      const { items } = await client.json<{ items: MoodleUser[] }>("GET", path);
      if (options.json) process.stdout.write(`${JSON.stringify(items)}\n`);
      else if (items.length === 0)
        process.stdout.write(`The site of ${name} has not acted for any Moodle user yet.\n`);
      else
        for (const user of items)
          process.stdout.write(
            `${user.moodleUserId}  ${user.username} (${user.fullName})  as @${user.teacher}  last seen ${user.lastSeenAt}${user.revokedAt ? `  revoked ${user.revokedAt}` : ""}\n`,
          );
    })(options),
  );
}
