import type { Command } from "commander";
import { addNodeOptions } from "../../api-client.ts";
import { type CommandResult, ExitCode } from "../../exit-codes.ts";
import { nodeAction } from "../../node-action.ts";
import { parseDuration, parsePositiveInteger } from "../../option-parsers.ts";
import { describeTarget, type Target } from "./target-text.ts";

/** The options of `moodle edit` and the field of PATCH /moodle/targets/{name} each sets. */
const CHANGES = {
  url: "url",
  moodleDir: "moodleDir",
  php: "php",
  runAs: "runAsUser",
  wsToken: "token",
  category: "defaultCategoryId",
  timeout: "timeoutMs",
  nodeUrl: "nodeUrl",
} as const;

/** Options whose value "none" goes back to the default. */
const CLEARABLE = new Set<string>(["php", "runAs", "nodeUrl"]);

/** `coursefed moodle edit`: change a target in place, keeping its rules, jobs, lineage and grants. */
export function moodleEditCommand(moodle: Command, result: CommandResult): void {
  const run = nodeAction(result);
  addNodeOptions(
    moodle
      .command("edit")
      .summary("change a target's address, token, Moodle directory or default category (admin)")
      .description(
        "Changes a target in place: its auto-restore rules, restore jobs, lineage, teacher grants and node address stay. A changed connection (--url, --ws-token, --moodle-dir, --php, --run-as) is probed first, and nothing is saved unless the site answers as the same Moodle site as before (Moodle's site identifier, kept when a site moves to a new address): another site is refused, since the target's lineage, rules and grants name courses of its own site; add that one as a new target. The token is never shown. Recorded in the audit log.",
      )
      .argument("<name>", "the target")
      .option("--url <url>", "the site's new address, e.g. https://moodle.univ.example")
      .option("--moodle-dir <dir>", "cli: the Moodle code directory on the node's host")
      .option("--php <bin>", 'cli: the PHP binary; "none": php')
      .option("--run-as <user>", 'cli: run PHP as this user; "none": as the node\'s own user')
      // Not --token: that is the node's API token, as for every command here.
      .option("--ws-token <token>", "ws: a new token of the local_coursefed plugin's service")
      .option(
        "--category <id>",
        "where restores go when no category is given",
        parsePositiveInteger,
      )
      .option(
        "--timeout <duration>",
        "longest a probe, restore or backup may take, e.g. 30m, 2h",
        parseDuration,
      )
      .option(
        "--node-url <url>",
        "the node's address as this site reaches it; \"none\": the node's public URL",
      )
      .option("--json", "print the target as JSON"),
  ).action(async (name: string, options) => {
    const changes = Object.fromEntries(
      Object.entries(CHANGES)
        .filter(([option]) => options[option] !== undefined)
        .map(([option, field]) => [
          field,
          CLEARABLE.has(option) && String(options[option]).trim().toLowerCase() === "none"
            ? null
            : options[option],
        ]),
    );
    if (Object.keys(changes).length === 0) {
      process.stderr.write(
        "coursefed moodle edit: say what to change, e.g. --ws-token TOKEN or --url https://moodle.univ.example (see coursefed moodle edit --help).\n",
      );
      result.exitCode = ExitCode.invalidInput;
      return;
    }
    await run(async (client) => {
      const target = await client.json<Target & { changed: string[] }>(
        "PATCH",
        `moodle/targets/${encodeURIComponent(name)}`,
        changes,
      );
      process.stdout.write(
        options.json
          ? `${JSON.stringify(target)}\n`
          : `${
              target.changed.length
                ? `Changed ${target.changed.map(optionOf).join(", ")} of ${target.name}.`
                : `${target.name} already was so: nothing changed.`
            }\n${describeTarget(target)}`,
      );
    })(options);
  });
}

/** The option an API field is set by, as the admin typed it. */
function optionOf(field: string): string {
  const option = Object.entries(CHANGES).find(([, set]) => set === field)?.[0] ?? field;
  return `--${option.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)}`;
}
