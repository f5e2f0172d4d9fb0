import type { Command } from "commander";
import { addNodeOptions } from "../api-client.ts";
import type { CommandResult } from "../exit-codes.ts";
import { nodeAction } from "../node-action.ts";

/** `coursefed boost`: share a public course of the catalog with your own followers. */
export function boostCommand(program: Command, result: CommandResult): void {
  const run = nodeAction(result);
  addNodeOptions(
    program
      .command("boost")
      .summary("share a public course of the catalog with your own followers")
      .description(
        "Announce a course another node published to the followers of the token's actor (the institution, or a teacher): a school recommends a university's course to the schools that follow it. Their servers fetch it from its publisher and verify it there. Followers-only courses cannot be boosted.",
      )
      .argument("<object>", "the course's object id (URL), as `coursefed catalog` shows it"),
  ).action(async (object: string, options) =>
    run(async (client) => {
      const { announce } = await client.json<{ announce: string }>("POST", "catalog/boost", {
        object,
      });
      process.stdout.write(`Announced to your followers: ${announce}\n`);
    })(options),
  );
}
