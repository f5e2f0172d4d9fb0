import { type Command, Option } from "commander";
import { RESTORE_JOB_STATES } from "../../vocabulary/restore-job-states.ts";
import { addNodeOptions } from "../api-client.ts";
import type { CommandResult } from "../exit-codes.ts";
import { nodeAction } from "../node-action.ts";
import { parsePositiveInteger } from "../option-parsers.ts";
import { describeProblems, type RestoreJob } from "../restore-job-text.ts";

/** `coursefed restores`: list restore jobs, newest first, or show one with --id. */
export function restoresCommand(program: Command, result: CommandResult): void {
  const run = nodeAction(result);

  addNodeOptions(
    program
      .command("restores")
      .summary("list restore jobs, newest first, or show one with --id")
      .description(
        "Each job: its state (queued, running, succeeded, refused, failed), where the course went or why not. --id shows one job in full, with the compatibility problems, durations, what Moodle printed and, for an update of a course restored from the same catalog course (an auto-restore rule's update in place too), what it changed. An admin's token sees every job; a teacher's token the jobs its teacher asked for and those into the Moodle courses the teacher may restore into (made by their own restores, or granted); a Moodle site's token its own target's.",
      )
      .addOption(
        new Option("--state <state>", "only jobs in this state").choices(RESTORE_JOB_STATES),
      )
      .option("--id <job>", "show this job in full")
      .option("--limit <n>", "how many (the newest)", parsePositiveInteger, 50)
      .option("--json", "print the API's JSON"),
  ).action(async (options) =>
    run(async (client) => {
      if (options.id) {
        const job = await client.json<RestoreJob>(
          "GET",
          `restores/${encodeURIComponent(options.id)}`,
        );
        process.stdout.write(
          options.json ? `${JSON.stringify(job)}\n` : await describeJobInFull(job),
        );
        return;
      }
      const query = new URLSearchParams({
        limit: String(options.limit),
        ...(options.state ? { state: options.state } : {}),
      });
      const { items } = await client.json<{ items: RestoreJob[] }>("GET", `restores?${query}`);
      if (options.json) process.stdout.write(`${JSON.stringify(items)}\n`);
      else if (items.length === 0) process.stdout.write("No restore jobs.\n");
      else for (const job of items) process.stdout.write(describeJob(job));
    })(options),
  );
}

function describeDestination(job: RestoreJob): string {
  const destination = job.destination;
  if (destination.kind !== "new-course")
    return `course ${destination.courseId} (${destination.mode})`;
  const named = destination.fullName ?? destination.shortName;
  return named === undefined
    ? `new course in category ${destination.categoryId}`
    : `new course "${named}" in category ${destination.categoryId}`;
}

function describeJob(job: RestoreJob): string {
  const outcome =
    job.state === "succeeded"
      ? job.courseUrl
      : job.errorMessage
        ? `${job.state === "queued" ? "to be retried: " : ""}${job.errorMessage}`
        : describeDestination(job);
  return `${job.id}  ${job.state}  ${job.target}  ${job.createdAt}\n  ${job.object} (revision ${job.revision})\n  ${outcome}\n`;
}

async function describeJobInFull(job: RestoreJob): Promise<string> {
  const seconds = (ms: number | null) => (ms === null ? "-" : `${(ms / 1000).toFixed(1)} s`);
  const lines = [
    `Restore job ${job.id}: ${job.state}`,
    `  course      ${job.object} (revision ${job.revision})`,
    `  into        ${job.target}, ${describeDestination(job)}`,
    `  asked by    ${job.requestedBy}${job.overriddenBy ? ` (compatibility check overridden by ${job.overriddenBy})` : ""}`,
    `  attempts    ${job.attempts}`,
    `  asked at    ${job.createdAt}${job.finishedAt ? `, finished at ${job.finishedAt}` : ""}`,
    `  took        ${seconds(job.durations.totalMs)} in all, ${seconds(job.durations.moodleMs)} in Moodle`,
    ...(job.courseUrl ? [`  course URL  ${job.courseUrl}`] : []),
    ...(job.errorMessage ? [`  reason      (${job.errorCode}) ${job.errorMessage}`] : []),
  ];
  const problems = describeProblems(job);
  const log = job.log ? `Moodle printed:\n${job.log.trimEnd()}\n` : "";
  return `${lines.join("\n")}\n${problems ? `Problems:\n${problems}` : ""}${await describeChanges(job)}${log}`;
}

/** What an update of a course changed, as `restore --into-course` prints it beforehand. */
async function describeChanges(job: RestoreJob): Promise<string> {
  const changes = job.changes;
  if (!changes) return "";
  const heading = `What the update changed, from revision ${changes.from} (in Moodle course ${job.destination.kind === "existing-course" ? job.destination.courseId : job.moodleCourseId}) to ${changes.to}:`;
  if (!changes.diff) return `${heading} cannot be shown: ${changes.unavailable}\n`;
  // Loaded only here: the archive library is not needed to print the other jobs.
  const { diffText } = await import("@coursefed/mbz");
  return `${heading}\n${diffText(changes.diff)}\n`;
}
