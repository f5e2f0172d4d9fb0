import { setTimeout as sleep } from "node:timers/promises";
import { type Command, Option } from "commander";
import { addNodeOptions } from "../api-client.ts";
import type { CommandResult } from "../exit-codes.ts";
import { nodeAction } from "../node-action.ts";
import { parseDuration } from "../option-parsers.ts";

/** How often `follow --wait` asks whether the other side answered. */
const FOLLOW_POLL_MS = 1000;

/** `coursefed follow`: follow an institution or teacher on another node. */
export function followCommand(program: Command, result: CommandResult): void {
  const run = nodeAction(result);
  addNodeOptions(
    program
      .command("follow")
      .summary("follow an institution or teacher on another node")
      .description(
        "Sends a Follow to the actor (looked up by WebFinger for @user@host). A follow the node cannot send says why: the federation policy, a private address the node was not started to reach (--allow-private-addresses), a server that cannot be reached, or something that is not an actor. With --wait, waits for the other side's answer: exit 0 accepted, 2 refused (a Reject came back); still pending at --timeout, exit 0 saying so.",
      )
      .argument("<target>", "actor URL or @user@host")
      .option("--wait", "wait for the other side to accept or refuse")
      .addOption(
        // Shown as it is written: the value in milliseconds would read as a duration to type.
        new Option("--timeout <duration>", "with --wait: how long, e.g. 30s, 10m")
          .argParser(parseDuration)
          .default(600_000, "10m"),
      )
      .option("--json", "print the follow as JSON"),
  ).action(async (target: string, options) =>
    run(async (client) => {
      let following = await client.json<{ actor: string; state: string }>("POST", "follows", {
        target,
      });
      if (options.wait) {
        // A refusal comes back as the API's 409 rejected, which says who refused and what to do.
        const until = Date.now() + options.timeout;
        while (following.state === "pending" && Date.now() < until) {
          await sleep(FOLLOW_POLL_MS);
          following = await client.json<{ actor: string; state: string }>(
            "GET",
            `follows?${new URLSearchParams({ actor: following.actor })}`,
          );
        }
      }
      process.stdout.write(
        options.json
          ? `${JSON.stringify(following)}\n`
          : options.wait && following.state === "pending"
            ? `Follow sent to ${following.actor}: still waiting for its approval after ${Math.round(options.timeout / 1000)} s: its node's admins answer follow requests (coursefed follow-requests there), and its courses arrive here once it is accepted\n`
            : `Follow sent to ${following.actor}: ${following.state}\n`,
      );
    })(options),
  );
}
