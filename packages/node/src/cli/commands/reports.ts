import { type Command, Option } from "commander";
import { REPORT_RESOLUTIONS } from "../../reports/report-service.ts";
import { REPORT_DIRECTIONS } from "../../vocabulary/report-kinds.ts";
import { addNodeOptions } from "../api-client.ts";
import type { CommandResult } from "../exit-codes.ts";
import { nodeAction } from "../node-action.ts";

/** A report as GET /api/v1/reports gives it. */
interface Report {
  readonly id: string;
  readonly direction: "sent" | "received";
  readonly object: string;
  readonly publisher: string;
  readonly title: string;
  readonly reason: string;
  readonly comment: string;
  readonly reporter: string;
  readonly reporterServer: string;
  readonly state: string;
  readonly answer: string | null;
  readonly resolution: string | null;
  readonly resolvedBy: string | null;
  readonly createdAt: string;
}

/**
 * `coursefed reports`: the admins' queue of reports (list, show), and what they do with
 * one (answer, resolve). Its subcommands share the group's options and help.
 */
export function reportsCommand(program: Command, result: CommandResult): void {
  const run = nodeAction(result);
  const reports = program
    .command("reports")
    .summary("reports about our courses and those we sent (admin): list, show, answer, resolve")
    .description(
      "Reports received from other nodes about our courses (ActivityPub Flags) and those this node's people sent about others' courses (coursefed report). A report received may be answered (a Note in reply to its Flag goes to the reporter's server) and resolved: dismiss, withdraw-course (followers get a Delete), block-reporter (its server, through the federation policy); one sent may be resolved with block-publisher (that actor alone: nothing it sends is handled, none of its courses enters the catalog) or block-publisher-server (its whole server, through the federation policy). Every action is on the audit log.",
    );
  addNodeOptions(
    reports
      .command("list", { isDefault: true })
      .description("the reports, newest first")
      .addOption(new Option("--direction <which>", "only these").choices(REPORT_DIRECTIONS))
      .option("--json", "print the API's JSON"),
  ).action(async (options) =>
    run(async (client) => {
      const query = options.direction ? `?direction=${options.direction}` : "";
      const { items } = await client.json<{ items: Report[] }>("GET", `reports${query}`);
      if (options.json) process.stdout.write(`${JSON.stringify(items)}\n`);
      else if (items.length === 0) process.stdout.write("No reports.\n");
      else for (const report of items) process.stdout.write(describe(report));
    })(options),
  );
  addNodeOptions(
    reports
      .command("show")
      .description("one report in full")
      .argument("<id>", "the report's id")
      .option("--json", "print the API's JSON"),
  ).action(async (id: string, options) =>
    run(async (client) => {
      const report = await client.json<Report>("GET", `reports/${encodeURIComponent(id)}`);
      process.stdout.write(options.json ? `${JSON.stringify(report)}\n` : describeInFull(report));
    })(options),
  );
  addNodeOptions(
    reports
      .command("answer")
      .description("answer a report received: the reporter's server gets the answer")
      .argument("<id>", "the report's id")
      .requiredOption("--text <text>", "the answer"),
  ).action(async (id: string, options) =>
    run(async (client) => {
      await client.json("POST", `reports/${encodeURIComponent(id)}/answer`, { text: options.text });
      process.stdout.write(`Answered report ${id}.\n`);
    })(options),
  );
  addNodeOptions(
    reports
      .command("resolve")
      .description("close a report, and act on it")
      .argument("<id>", "the report's id")
      .addOption(
        new Option("--action <action>", "what to do besides closing it")
          .choices(REPORT_RESOLUTIONS)
          .default("dismiss"),
      ),
  ).action(async (id: string, options) =>
    run(async (client) => {
      const report = await client.json<Report>(
        "POST",
        `reports/${encodeURIComponent(id)}/resolve`,
        { action: options.action },
      );
      process.stdout.write(`Closed report ${id}: ${report.resolution}.\n`);
    })(options),
  );
}

function describe(report: Report): string {
  const who =
    report.direction === "received" ? `from ${report.reporterServer}` : `by ${report.reporter}`;
  return `${report.id}  ${report.direction}  ${report.state}  ${report.reason}  ${who}  ${report.createdAt}\n  "${report.title}" ${report.object}\n${report.comment ? `  ${report.comment.split("\n")[0]}\n` : ""}`;
}

function describeInFull(report: Report): string {
  const lines = [
    `Report ${report.id}: ${report.direction}, ${report.state}${report.resolution ? ` (${report.resolution} by ${report.resolvedBy})` : ""}`,
    `  course      "${report.title}" ${report.object}`,
    `  publisher   ${report.publisher}`,
    `  reason      ${report.reason}`,
    `  reporter    ${report.reporter} (${report.reporterServer})`,
    `  at          ${report.createdAt}`,
    ...(report.comment ? ["  comment", ...report.comment.split("\n").map((l) => `    ${l}`)] : []),
    ...(report.answer ? ["  answer", ...report.answer.split("\n").map((l) => `    ${l}`)] : []),
  ];
  return `${lines.join("\n")}\n`;
}
