import { type Command, Option } from "commander";
import { REPORT_REASONS } from "../../vocabulary/report-kinds.ts";
import { addNodeOptions } from "../api-client.ts";
import type { CommandResult } from "../exit-codes.ts";
import { nodeAction } from "../node-action.ts";

/** `coursefed report`: report a catalog course to our admins and its publisher's node. */
export function reportCommand(program: Command, result: CommandResult): void {
  const run = nodeAction(result);
  addNodeOptions(
    program
      .command("report")
      .summary("report a catalog course to this node's admins and its publisher's node")
      .description(
        "The report is kept for this node's admins (coursefed reports) and sent to the course's publisher as an ActivityPub Flag from this node's institution: the publisher's node learns which server reported, not who. A person may send 10 reports an hour.",
      )
      .argument("<object>", "the course's object URL, as `coursefed catalog` shows it")
      .addOption(
        new Option("--reason <reason>", "why it is reported")
          .choices(REPORT_REASONS)
          .makeOptionMandatory(),
      )
      .option("--comment <text>", "what is wrong, for the publisher's admins (2000 characters)", "")
      .option("--json", "print the report as JSON"),
  ).action(async (object: string, options) =>
    run(async (client) => {
      const report = await client.json<{ id: string; title: string }>("POST", "reports", {
        object,
        reason: options.reason,
        comment: options.comment,
      });
      process.stdout.write(
        options.json
          ? `${JSON.stringify(report)}\n`
          : `Reported "${report.title}" (report ${report.id}): this node's admins and the publisher's node have it.\n`,
      );
    })(options),
  );
}
