import type { Command } from "commander";
import { addNodeOptions } from "../api-client.ts";
import type { CommandResult } from "../exit-codes.ts";
import { nodeAction } from "../node-action.ts";

interface CatchUpOutcome {
  readonly actor: string;
  readonly caughtUp: boolean;
  readonly result: string;
}

interface CatchUpState {
  readonly actor: string;
  readonly caughtUpAt: string | null;
  readonly result: string | null;
  readonly behindSince: string | null;
  readonly notBefore: string | null;
}

/** `coursefed catch-up`: read the followed actors' outboxes now, or list how it last went (admin). */
export function catchUpCommand(program: Command, result: CommandResult): void {
  const run = nodeAction(result);
  addNodeOptions(
    program
      .command("catch-up")
      .summary("read the followed actors' outboxes now for what deliveries missed (admin)")
      .description(
        "Have the node read the outboxes of the actors it follows (accepted follows) for the courses, revisions and withdrawals it missed while it or their server was down, as it does on its own every --catch-up period (serve). Asked for here, each outbox is read through (to its end, or its 50-page limit), which alone withdraws the courses it no longer lists; the periodic run stops at the first page already held and reads each outbox through once a week. Prints one line per actor: ok (read to its end, or to a page already held), partly (stopped at the limits) or failed, and why. An actor whose server answered 429 is left out until its Retry-After. With --list, only shows when each was last caught up and how.",
      )
      .option("--actor <url>", "only this followed actor")
      .option("--list", "show the last catch-up of each followed actor; read nothing")
      .option("--json", "print JSON"),
  ).action(async (options) =>
    run(async (client) => {
      if (options.list) {
        const { items } = await client.json<{ items: CatchUpState[] }>("GET", "follows/catch-up");
        const shown = options.actor ? items.filter((item) => item.actor === options.actor) : items;
        if (options.json) process.stdout.write(`${JSON.stringify(shown)}\n`);
        else if (shown.length === 0) process.stdout.write("No actor followed.\n");
        else {
          for (const item of shown) {
            const behind = item.behindSince ? `  behind since ${item.behindSince}` : "";
            const wait = item.notBefore ? `  not before ${item.notBefore}` : "";
            process.stdout.write(
              `${item.actor}  ${item.caughtUpAt ? `${item.caughtUpAt}  ${item.result}` : "never caught up"}${behind}${wait}\n`,
            );
          }
        }
        return;
      }
      const { items } = await client.json<{ items: CatchUpOutcome[] }>(
        "POST",
        "follows/catch-up",
        options.actor ? { actor: options.actor } : {},
      );
      if (options.json) process.stdout.write(`${JSON.stringify(items)}\n`);
      else if (items.length === 0) {
        process.stdout.write(
          "Nothing read: no actor followed, or each asked to wait (see coursefed catch-up --list).\n",
        );
      } else {
        for (const item of items) process.stdout.write(`${item.actor}  ${item.result}\n`);
      }
    })(options),
  );
}
