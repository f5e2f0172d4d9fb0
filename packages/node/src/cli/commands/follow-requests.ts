import type { Command } from "commander";
import { addNodeOptions } from "../api-client.ts";
import type { CommandResult } from "../exit-codes.ts";
import { nodeAction } from "../node-action.ts";

/** `coursefed follow-requests`: list follow requests waiting for approval, or answer one. */
export function followRequestsCommand(program: Command, result: CommandResult): void {
  const run = nodeAction(result);
  addNodeOptions(
    program
      .command("follow-requests")
      .summary("list follow requests waiting for approval, or answer one")
      .description(
        "Requests to follow the token's actor: a teacher's token answers those to the teacher, an admin's those to the institution, or with --for those to any local actor. Until answered, a follower gets none of the actor's followers-only courses.",
      )
      .option("--accept <actor>", "accept the request of this actor URL")
      .option("--reject <actor>", "reject the request of this actor URL")
      .option("--for <handle>", "the local actor (e.g. a teacher) whose requests these are (admin)")
      .option("--json", "print the requests as JSON"),
  ).action(async (options) =>
    run(async (client) => {
      const decision = options.accept ? "accept" : options.reject ? "reject" : undefined;
      const whose = options.for ? `?${new URLSearchParams({ for: options.for })}` : "";
      if (decision) {
        const actor = options.accept ?? options.reject;
        await client.json("POST", `follow-requests/${decision}${whose}`, { actor });
        process.stdout.write(`${decision === "accept" ? "Accepted" : "Rejected"} ${actor}\n`);
        return;
      }
      const { items } = await client.json<{
        items: Array<{ actor: string; handle: string | null; requestedAt: string }>;
      }>("GET", `follow-requests${whose}`);
      if (options.json) process.stdout.write(`${JSON.stringify(items)}\n`);
      else if (items.length === 0) process.stdout.write("No follow requests are waiting.\n");
      else
        for (const item of items)
          process.stdout.write(`${item.actor}  ${item.handle ?? ""}  ${item.requestedAt}\n`);
    })(options),
  );
}
