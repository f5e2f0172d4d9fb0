import { setTimeout as sleep } from "node:timers/promises";
import type { BackupDiff } from "@coursefed/mbz";
import { type Command, Option } from "commander";
import {
  FINISHED_RESTORE_STATES,
  type RestoreJobState,
} from "../../vocabulary/restore-job-states.ts";
import { type ApiClient, ApiClientError, addNodeOptions } from "../api-client.ts";
import { type CommandResult, ExitCode } from "../exit-codes.ts";
import { nodeAction } from "../node-action.ts";
import { parsePositiveInteger } from "../option-parsers.ts";
import { describeProblems, type RestoreJob } from "../restore-job-text.ts";

/** How often `restore --wait` asks the node how the job is going. */
const POLL_INTERVAL_MS = 2000;

/** `coursefed restore`: restore a catalog course into a Moodle target. */
export function restoreCommand(program: Command, result: CommandResult): void {
  const run = nodeAction(result);

  addNodeOptions(
    program
      .command("restore")
      .summary("restore a catalog course into a Moodle target")
      .description(
        "The node fetches the archive (verified against its signed digest), checks it against what the site runs, and restores it without user data: as a new course in the target's default category, in --category (see `coursefed moodle categories`), named after the catalog title or --full-name and --short-name (Moodle makes names unique: copy 2, _2), or into an existing course (--into-course ID --mode merge|replace --confirm; see `coursefed moodle courses --search`): into one restored from the same catalog course, what the update changes (from the revision it holds) is printed first. A teacher's token restores only into the categories an admin opened to teachers on the target (coursefed moodle teachers) and into the courses its own restores created there or that an admin granted (coursefed moodle grant); only an admin's token may --override. Asking again for the same revision, target and destination gives back the same job, and says so and how it stands; a new course is each asker's own (another teacher asking the same gets a course of her own), and a job into an existing course is one for all who may restore into it. With --wait, follows the job to its end: exit 0 restored (the course's address is printed), 3 refused by the compatibility check (each problem is printed), 5 Moodle failed (with its reason).",
      )
      .argument("<object>", "the course's object id (URL), as `coursefed catalog` shows it")
      .requiredOption("--target <name>", "the Moodle target (see `coursefed moodle list`)")
      .option("--revision <n>", "an older revision (the latest by default)", parsePositiveInteger)
      .addOption(
        new Option("--category <id>", "restore as a new course in this category")
          .argParser(parsePositiveInteger)
          .conflicts("intoCourse"),
      )
      .addOption(
        new Option(
          "--full-name <name>",
          "the new course's full name (at most 254 characters); the catalog title by default",
        ).conflicts("intoCourse"),
      )
      .addOption(
        new Option(
          "--short-name <name>",
          "the new course's short name (at most 100 characters); the full name's first 100 characters by default",
        ).conflicts("intoCourse"),
      )
      .option(
        "--into-course <id>",
        "restore into this existing course (with --mode)",
        parsePositiveInteger,
      )
      .addOption(
        new Option(
          "--mode <mode>",
          "with --into-course: merge adds the contents; replace deletes the course's contents first, keeping its people",
        ).choices(["merge", "replace"]),
      )
      .option(
        "--override",
        "restore even if the compatibility check refuses (admin tokens only; you take the risk; it is recorded)",
      )
      .option(
        "--confirm",
        "with --into-course: confirm merging into or replacing that course (without it the node names the course and restores nothing)",
      )
      .option("--wait", "wait for the outcome, and exit with a code that says it"),
  ).action(async (object: string, options) =>
    run(async (client) => {
      if (options.intoCourse) {
        await printUpdateChanges(
          client,
          object,
          options.target,
          options.intoCourse,
          options.revision,
        );
      }
      const requested = await client.json<RequestedRestoreJob>("POST", "restores", {
        object,
        target: options.target,
        ...(options.revision ? { revision: options.revision } : {}),
        ...(options.category ? { categoryId: options.category } : {}),
        ...(options.fullName !== undefined ? { fullName: options.fullName } : {}),
        ...(options.shortName !== undefined ? { shortName: options.shortName } : {}),
        ...(options.intoCourse ? { intoCourse: options.intoCourse } : {}),
        ...(options.mode ? { mode: options.mode } : {}),
        ...(options.override ? { override: true } : {}),
        ...(options.confirm ? { confirm: true } : {}),
      });
      process.stdout.write(`Restore job ${requested.id}: ${requested.state}\n`);
      if (requested.repeat) process.stdout.write(repeatedRestoreText(requested));
      let job: RestoreJob = requested;
      if (options.wait) job = await waitForOutcome(client, job);
      return FINISHED_RESTORE_STATES.has(job.state) ? reportOutcome(job) : ExitCode.ok;
    })(options),
  );
}

/**
 * Into a Moodle course restored from the same catalog course, says first what the update
 * brings: from the revision the course holds to the one restored. A node that cannot work
 * it out (an archive its publisher no longer gives) does not stop the restore.
 */
async function printUpdateChanges(
  client: ApiClient,
  object: string,
  target: string,
  course: number,
  revision: number | undefined,
): Promise<void> {
  const query = new URLSearchParams({ object, target, course: String(course) });
  if (revision) query.set("revision", String(revision));
  let answer: { changes: { from: number; to: number; diff: BackupDiff } | null };
  try {
    answer = await client.json("GET", `restores/changes?${query}`);
  } catch (error) {
    if (!(error instanceof ApiClientError)) throw error;
    process.stderr.write(`The changes this update brings cannot be shown: ${error.message}\n`);
    return;
  }
  if (!answer.changes) return;
  const { diffText } = await import("@coursefed/mbz");
  const { from, to, diff } = answer.changes;
  process.stdout.write(
    `What the update changes, from revision ${from} (in Moodle course ${course}) to ${to}:\n${diffText(diff)}\n\n`,
  );
}

/** Polls the job until it ends, saying on stderr when it starts or is retried. */
async function waitForOutcome(client: ApiClient, job: RestoreJob): Promise<RestoreJob> {
  let seen = `${job.state} ${job.attempts}`;
  while (!FINISHED_RESTORE_STATES.has(job.state)) {
    await sleep(POLL_INTERVAL_MS);
    job = await client.json<RestoreJob>("GET", `restores/${encodeURIComponent(job.id)}`);
    const now = `${job.state} ${job.attempts}`;
    if (now === seen || FINISHED_RESTORE_STATES.has(job.state)) continue;
    seen = now;
    process.stderr.write(
      job.state === "running"
        ? `running (attempt ${job.attempts})\n`
        : `queued to be tried again later: ${job.errorMessage ?? "a transient failure"}\n`,
    );
  }
  return job;
}

/** Prints how a finished job ended, and returns the exit code that says it. */
function reportOutcome(job: RestoreJob): number {
  if (job.state === "succeeded") {
    process.stdout.write(
      `Restored into ${job.target} as course ${job.moodleCourseId}:\n  ${job.courseUrl}\n${describeProblems(job)}`,
    );
    return ExitCode.ok;
  }
  if (job.state === "refused") {
    process.stderr.write(
      `coursefed: ${job.target} cannot restore this course faithfully:\n${describeProblems(job)}Fix the site and restore again, or restore anyway with --override.\n`,
    );
    return ExitCode.incompatible;
  }
  process.stderr.write(
    `coursefed: the restore failed (${job.errorCode}): ${job.errorMessage}\nWhat Moodle printed: coursefed restores --id ${job.id}\n`,
  );
  return ExitCode.unavailable;
}

/** The API's answer to a restore asked for: the job, and whether it was asked for before. */
interface RequestedRestoreJob extends RestoreJob {
  repeat: null | "unchanged" | "queued-again";
}

/**
 * Restores are idempotent (one job per revision, target and destination, and for a new
 * course per asker): asking again gives back the same job, which says so and what became
 * of it.
 */
function repeatedRestoreText(job: RequestedRestoreJob): string {
  const asked = `This restore (same revision, target and destination) was asked for before, on ${job.createdAt}: this is the same job`;
  if (job.repeat === "queued-again") {
    return `${asked}. It had failed or been refused; it is queued again.\n`;
  }
  const outcome: Record<RestoreJobState, string> = {
    queued: "it is still waiting its turn",
    running: "it is running now",
    succeeded: `it succeeded${job.courseUrl ? `: ${job.courseUrl}` : ""}`,
    refused: "it was refused",
    failed: "it failed",
  };
  return `${asked}, and ${outcome[job.state]}. To restore it once more, choose another destination (--category, --into-course).\n`;
}
