import { type Command, Option } from "commander";
import { addNodeOptions } from "../../api-client.ts";
import type { CommandResult } from "../../exit-codes.ts";
import { nodeAction } from "../../node-action.ts";
import { parseDuration, parsePositiveInteger } from "../../option-parsers.ts";
import type { Target } from "./target-text.ts";

/** `coursefed moodle add`: add a Moodle site as a target. */
export function moodleAddCommand(moodle: Command, result: CommandResult): void {
  const run = nodeAction(result);
  addNodeOptions(
    moodle
      .command("add")
      .summary("add a Moodle site as a target")
      .description(
        "Adds a target without contacting the site; run `coursefed moodle probe NAME` next. A ws token is kept by the node and never shown again.",
      )
      .argument("<name>", 'what to call it, e.g. "lyon-sciences" (letters, digits, _ and -)')
      .addOption(
        new Option("--driver <driver>", "cli: Moodle on this host; ws: over web services")
          .choices(["cli", "ws"])
          .makeOptionMandatory(),
      )
      .requiredOption("--url <url>", "the site's address, e.g. https://moodle.univ.example")
      .option(
        "--moodle-dir <dir>",
        "cli: the Moodle code directory on the node's host (the one with config.php), as an absolute path",
      )
      .option("--php <bin>", "cli: the PHP binary (default php)")
      .option(
        "--run-as <user>",
        "cli: run PHP as this user, e.g. www-data (owner of moodledata; the node must run as root)",
      )
      // Not --token: that is the node's API token, as for every command here.
      .option(
        "--ws-token <token>",
        "ws: a token of the local_coursefed plugin's service; without it, the site gives one once registered (`coursefed moodle register NAME`)",
      )
      .option(
        "--category <id>",
        "where restores go when no category is given (default 1)",
        parsePositiveInteger,
      )
      .option(
        "--timeout <duration>",
        "longest a probe, restore or backup may take, e.g. 30m (the default), 2h",
        parseDuration,
      )
      .option(
        "--node-url <url>",
        "the node's address as this site reaches it, when not the node's public URL (a site inside the network), e.g. http://coursefed.internal:8080",
      )
      .option("--json", "print the target as JSON"),
  ).action(async (name: string, options) =>
    run(async (client) => {
      const target = await client.json<Target>("POST", "moodle/targets", {
        name,
        driver: options.driver,
        url: options.url,
        ...(options.moodleDir ? { moodleDir: options.moodleDir } : {}),
        ...(options.php ? { php: options.php } : {}),
        ...(options.runAs ? { runAsUser: options.runAs } : {}),
        ...(options.wsToken ? { token: options.wsToken } : {}),
        ...(options.category ? { defaultCategoryId: options.category } : {}),
        ...(options.timeout ? { timeoutMs: options.timeout } : {}),
        ...(options.nodeUrl ? { nodeUrl: options.nodeUrl } : {}),
      });
      process.stdout.write(
        options.json
          ? `${JSON.stringify(target)}\n`
          : `Added Moodle target ${target.name} (${target.driver}, ${target.url}, restores into category ${target.defaultCategoryId} by default).\nCheck that the node reaches it: coursefed moodle probe ${target.name}\n`,
      );
    })(options),
  );
}
