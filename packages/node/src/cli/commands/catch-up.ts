import { setTimeout as sleep } from "node:timers/promises";
import { type Command, Option } from "commander";
import { addNodeOptions } from "../api-client.ts";
import { type CommandResult, ExitCode } from "../exit-codes.ts";
import { nodeAction } from "../node-action.ts";
import { parseDuration } from "../option-parsers.ts";

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

interface CatchUpRun {
  readonly id: string;
  readonly state: "under-way" | "ended" | "cut-short";
  readonly requestedBy: string;
  readonly startedAt: string;
  readonly endedAt: string | null;
  readonly actors: number | null;
  readonly read: number;
  readonly caughtUp: number;
  readonly error: string | null;
}

/** How often `catch-up --wait` asks the node how the run is going. */
const POLL_MS = 1000;

/** One line on a run of every actor: where it stands. */
function runLine(run: CatchUpRun): string {
  const read =
    run.actors === null ? "listing the actors" : `${run.read} of ${run.actors} actors read`;
  const asked = `asked by ${run.requestedBy}`;
  if (run.state === "under-way") {
    return `Catch-up of every actor under way since ${run.startedAt} (${asked}): ${read}, ${run.caughtUp} caught up.`;
  }
  const how = run.state === "cut-short" ? `cut short (${run.error})` : "ended";
  return `Catch-up of every actor started ${run.startedAt} (${asked}) ${how} at ${run.endedAt}: ${read}, ${run.caughtUp} caught up.`;
}

/** `coursefed catch-up`: read the followed actors' outboxes now, or list how it last went (admin). */
export function catchUpCommand(program: Command, result: CommandResult): void {
  const run = nodeAction(result);
  addNodeOptions(
    program
      .command("catch-up")
      .summary("read the followed actors' outboxes now for what deliveries missed (admin)")
      .description(
        "Have the node read the outboxes of the actors it follows (accepted follows) for the courses, revisions and withdrawals it missed while it or their server was down, as it does on its own every --catch-up period (serve). Asked for here, each outbox is read through (to its end, or its 50-page limit), which alone withdraws the courses it no longer lists; the periodic run stops at the first page already held and reads each outbox through once a week. With --actor, reads that actor and prints one line: ok (read to its end, or to a page already held), partly (stopped at the limits) or failed, and why. Without, the node reads every actor in the background (up to 10 minutes; one such run at a time per node, refused while one is under way) and this prints that it started; --wait waits for its end and prints one line per actor it read (exit 0 ended, 5 cut short: the node stopped). An actor whose server answered 429 is left out until its Retry-After. With --list, only shows the last run of every actor (under way or ended) and when each actor was last caught up and how.",
      )
      .option("--actor <url>", "only this followed actor")
      .option("--wait", "without --actor: wait for the run of every actor to end")
      .addOption(
        // Shown as it is written: the value in milliseconds would read as a duration to type.
        new Option("--timeout <duration>", "with --wait: how long, e.g. 30s, 15m")
          .argParser(parseDuration)
          .default(15 * 60_000, "15m"),
      )
      .option("--list", "show the last catch-up of each followed actor; read nothing")
      .option("--json", "print JSON"),
  ).action(async (options) =>
    run(async (client) => {
      if (options.list) {
        const { items, run: last } = await client.json<{
          items: CatchUpState[];
          run: CatchUpRun | null;
        }>("GET", "follows/catch-up");
        const shown = options.actor ? items.filter((item) => item.actor === options.actor) : items;
        if (options.json) process.stdout.write(`${JSON.stringify(shown)}\n`);
        else {
          if (last && !options.actor) process.stdout.write(`${runLine(last)}\n`);
          if (shown.length === 0) process.stdout.write("No actor followed.\n");
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
      if (options.actor) {
        const { items } = await client.json<{ items: CatchUpOutcome[] }>(
          "POST",
          "follows/catch-up",
          { actor: options.actor },
        );
        if (options.json) process.stdout.write(`${JSON.stringify(items)}\n`);
        else if (items.length === 0) {
          process.stdout.write(
            "Nothing read: the actor asked to wait (see coursefed catch-up --list).\n",
          );
        } else {
          for (const item of items) process.stdout.write(`${item.actor}  ${item.result}\n`);
        }
        return;
      }
      let { run: current } = await client.json<{ run: CatchUpRun }>("POST", "follows/catch-up", {});
      if (!options.wait) {
        process.stdout.write(
          options.json
            ? `${JSON.stringify(current)}\n`
            : `${runLine(current)}\nIt goes on in the background: coursefed catch-up --list shows how it goes.\n`,
        );
        return;
      }
      const until = Date.now() + options.timeout;
      let items: CatchUpState[] = [];
      while (current.state === "under-way" && Date.now() < until) {
        await sleep(POLL_MS);
        const listed = await client.json<{ items: CatchUpState[]; run: CatchUpRun | null }>(
          "GET",
          "follows/catch-up",
        );
        items = listed.items;
        // Another run can only start once this one has ended.
        if (listed.run && listed.run.id === current.id) current = listed.run;
        else break;
      }
      // The actors this run read: caught up since it started.
      const read = items.filter(
        (item) => item.caughtUpAt !== null && item.caughtUpAt >= current.startedAt,
      );
      if (options.json) process.stdout.write(`${JSON.stringify({ run: current, items: read })}\n`);
      else {
        for (const item of read) process.stdout.write(`${item.actor}  ${item.result}\n`);
        process.stdout.write(`${runLine(current)}\n`);
      }
      if (current.state === "under-way") {
        process.stderr.write(
          `coursefed: still under way after ${Math.round(options.timeout / 1000)} s; coursefed catch-up --list shows how it goes.\n`,
        );
      }
      return current.state === "cut-short" ? ExitCode.unavailable : ExitCode.ok;
    })(options),
  );
}
