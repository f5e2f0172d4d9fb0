import { setTimeout as sleep } from "node:timers/promises";
import { formatBytes } from "@coursefed/mbz/byte-size";
import { type Command, InvalidArgumentError, Option } from "commander";
import {
  FINISHED_RESTORE_STATES,
  RESTORE_JOB_STATES,
  type RestoreJobState,
} from "../../db/schema.ts";
import {
  categoryIdsFrom,
  TeacherPermissionError,
} from "../../moodle-targets/teacher-permissions.ts";
import { type ApiClient, ApiClientError, addNodeOptions } from "../api-client.ts";
import { type CommandResult, ExitCode } from "../exit-codes.ts";
import { nodeAction } from "../node-action.ts";
import { parseDuration, parsePositiveInteger } from "../option-parsers.ts";

/** `--categories` as the console reads it (the node checks the ids again). */
function parseCategoryIds(text: string): number[] {
  try {
    return categoryIdsFrom(text);
  } catch (error) {
    if (error instanceof TeacherPermissionError) throw new InvalidArgumentError(error.message);
    throw error;
  }
}

/** How often `restore --wait` asks the node how the job is going. */
const POLL_INTERVAL_MS = 2000;

/**
 * Commands for the Moodle side of a node: the sites it restores into (targets), restoring
 * catalog courses, following restore jobs, and auto-restore rules.
 */
export function moodleCommands(program: Command, result: CommandResult): void {
  const run = nodeAction(result);

  const moodle = program
    .command("moodle")
    .summary("the Moodle sites this node restores into and publishes from (admin)")
    .description(
      "A target is one Moodle site: `cli` when it runs on this host (the node runs Moodle's PHP scripts against its code), `ws` when it is elsewhere and has the local_coursefed plugin (see packages/moodle-plugin/README.md). Add it, then probe it to check that the node reaches it and to learn what it runs. Teachers restore only where an admin lets them: `moodle teachers` opens categories to their new courses, `moodle grant` an existing course to one of them.",
    );

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
      .option("--ws-token <token>", "ws: a token of the local_coursefed plugin's service")
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
      });
      process.stdout.write(
        options.json
          ? `${JSON.stringify(target)}\n`
          : `Added Moodle target ${target.name} (${target.driver}, ${target.url}, restores into category ${target.defaultCategoryId} by default).\nCheck that the node reaches it: coursefed moodle probe ${target.name}\n`,
      );
    })(options),
  );

  addNodeOptions(
    moodle
      .command("list")
      .summary("list the Moodle targets and what their last probe found")
      .option("--json", "print the API's JSON"),
  ).action(async (options) =>
    run(async (client) => {
      const { items } = await client.json<{ items: Target[] }>("GET", "moodle/targets");
      if (options.json) process.stdout.write(`${JSON.stringify(items)}\n`);
      else if (items.length === 0)
        process.stdout.write("No Moodle targets yet; add one with `coursefed moodle add`.\n");
      else for (const target of items) process.stdout.write(describeTarget(target));
    })(options),
  );

  addNodeOptions(
    moodle
      .command("probe")
      .summary("ask a target's site what it runs: Moodle version and plugins")
      .description(
        "Checks that the node reaches the site and keeps what it runs: `coursefed catalog` courses are judged against it (GET /api/v1/catalog/compatibility). A failure says what is wrong (Moodle not found, unreachable, token refused, plugin missing) and what Moodle printed.",
      )
      .argument("<name>", "the target")
      .option("--plugins", "list every installed plugin with its version")
      .option("--json", "print the API's JSON"),
  ).action(async (name: string, options) =>
    run(async (client) => {
      const probe = await client.json<{
        target: string;
        version: string;
        release: string;
        branch: string;
        maxRestoreBytes: number | null;
        plugins: Record<string, number>;
      }>("POST", `moodle/targets/${encodeURIComponent(name)}/probe`);
      if (options.json) {
        process.stdout.write(`${JSON.stringify(probe)}\n`);
        return;
      }
      const plugins = Object.entries(probe.plugins).sort(([a], [b]) => a.localeCompare(b));
      const limit =
        probe.maxRestoreBytes === null
          ? "no size limit"
          : `backups up to ${formatBytes(probe.maxRestoreBytes)}`;
      process.stdout.write(
        `${probe.target}: Moodle ${probe.release} (branch ${probe.branch}, version ${probe.version}), ${plugins.length} plugins, ${limit}\n`,
      );
      if (options.plugins)
        for (const [component, version] of plugins)
          process.stdout.write(`  ${component}  ${version}\n`);
    })(options),
  );

  addNodeOptions(
    moodle
      .command("remove")
      .summary("forget a target, its rules, restore jobs and lineage (the site is untouched)")
      .argument("<name>", "the target"),
  ).action(async (name: string, options) =>
    run(async (client) => {
      await client.json("DELETE", `moodle/targets/${encodeURIComponent(name)}`);
      process.stdout.write(`Removed Moodle target ${name}; its courses stay on the site.\n`);
    })(options),
  );

  addNodeOptions(
    moodle
      .command("teachers")
      .summary("set the categories of a target where teachers may restore new courses")
      .description(
        "Teachers restore new courses only into these categories of the target, and into existing courses only those their own restores created there or that an admin granted them (coursefed moodle grant). Admins and auto-restore rules restore anywhere. Recorded in the audit log.",
      )
      .argument("<name>", "the target")
      .requiredOption(
        "--categories <ids>",
        'category ids separated by commas, e.g. 3,5; "none" closes the target to teachers\' new courses',
        parseCategoryIds,
      ),
  ).action(async (name: string, options) =>
    run(async (client) => {
      const target = await client.json<Target>(
        "PUT",
        `moodle/targets/${encodeURIComponent(name)}/teachers`,
        { categoryIds: options.categories },
      );
      process.stdout.write(describeTarget(target));
    })(options),
  );

  const grantOptions = (command: Command) =>
    addNodeOptions(
      command
        .argument("<name>", "the target")
        .requiredOption("--course <id>", "the Moodle course's id", parsePositiveInteger)
        .requiredOption("--teacher <handle>", "the teacher's handle (see coursefed teachers)"),
    );

  grantOptions(
    moodle
      .command("grant")
      .summary("let a teacher restore into an existing course of a target")
      .description(
        "Merging into or replacing it still needs the teacher's --confirm. Recorded in the audit log.",
      ),
  ).action(async (name: string, options) =>
    run(async (client) => {
      await client.json("POST", `moodle/targets/${encodeURIComponent(name)}/grants`, {
        courseId: options.course,
        teacher: options.teacher,
      });
      process.stdout.write(
        `${options.teacher} may restore into course ${options.course} of ${name}.\n`,
      );
    })(options),
  );

  grantOptions(
    moodle.command("revoke").summary("take back a teacher's grant of an existing course"),
  ).action(async (name: string, options) =>
    run(async (client) => {
      await client.json(
        "DELETE",
        `moodle/targets/${encodeURIComponent(name)}/grants/${options.course}/${encodeURIComponent(options.teacher)}`,
      );
      process.stdout.write(
        `${options.teacher} may no longer restore into course ${options.course} of ${name} (unless their own restore made it).\n`,
      );
    })(options),
  );

  addNodeOptions(
    moodle
      .command("grants")
      .summary("list the existing courses of a target granted to teachers")
      .argument("<name>", "the target")
      .option("--json", "print the API's JSON"),
  ).action(async (name: string, options) =>
    run(async (client) => {
      const { items } = await client.json<{
        items: { courseId: number; teacher: string; grantedBy: string; grantedAt: string }[];
      }>("GET", `moodle/targets/${encodeURIComponent(name)}/grants`);
      if (options.json) process.stdout.write(`${JSON.stringify(items)}\n`);
      else if (items.length === 0)
        process.stdout.write(`No course of ${name} is granted to a teacher.\n`);
      else
        for (const grant of items)
          process.stdout.write(
            `course ${grant.courseId}  ${grant.teacher}  granted by ${grant.grantedBy}, ${grant.grantedAt}\n`,
          );
    })(options),
  );

  addNodeOptions(
    program
      .command("restore")
      .summary("restore a catalog course into a Moodle target")
      .description(
        "The node fetches the archive (verified against its signed digest), checks it against what the site runs, and restores it without user data: as a new course in the target's default category, in --category, or into an existing course (--into-course ID --mode merge|replace --confirm). A teacher's token restores only into the categories an admin opened to teachers on the target (coursefed moodle teachers) and into the courses its own restores created there or that an admin granted (coursefed moodle grant); only an admin's token may --override. Asking again for the same revision, target and destination gives back the same job, and says so and how it stands. With --wait, follows the job to its end: exit 0 restored (the course's address is printed), 3 refused by the compatibility check (each problem is printed), 5 Moodle failed (with its reason).",
      )
      .argument("<object>", "the course's object id (URL), as `coursefed catalog` shows it")
      .requiredOption("--target <name>", "the Moodle target (see `coursefed moodle list`)")
      .option("--revision <n>", "an older revision (the latest by default)", parsePositiveInteger)
      .addOption(
        new Option("--category <id>", "restore as a new course in this category")
          .argParser(parsePositiveInteger)
          .conflicts("intoCourse"),
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
      const requested = await client.json<RequestedRestoreJob>("POST", "restores", {
        object,
        target: options.target,
        ...(options.revision ? { revision: options.revision } : {}),
        ...(options.category ? { categoryId: options.category } : {}),
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

  addNodeOptions(
    program
      .command("restores")
      .summary("list restore jobs, newest first, or show one with --id")
      .description(
        "Each job: its state (queued, running, succeeded, refused, failed), where the course went or why not. --id shows one job in full, with the compatibility problems, durations and what Moodle printed.",
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
        process.stdout.write(options.json ? `${JSON.stringify(job)}\n` : describeJobInFull(job));
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

  addNodeOptions(
    program
      .command("rules")
      .summary("list, add or remove auto-restore rules (admin)")
      .description(
        "A rule restores the courses that arrive in the catalog from an actor (an institution's rule covers the courses it announces for its teachers), with a tag, or both, into a target's category: each time as a new course, or updating in place the course restored from the same course before (its people stay).",
      )
      .option("--add", "add a rule (with --actor and/or --tag, --target and --category)")
      .option("--actor <url>", "with --add: courses published or announced by this actor")
      .option("--tag <tag>", "with --add: courses with this tag")
      .addOption(
        new Option(
          "--on <event>",
          "with --add: new (a course's first revision), updated (later ones) or both",
        )
          .choices(["new", "updated", "both"])
          .default("new"),
      )
      .option("--target <name>", "with --add: the Moodle target")
      .option("--category <id>", "with --add: the category restored into", parsePositiveInteger)
      .addOption(
        new Option(
          "--mode <mode>",
          "with --add: new-course each time, or update-in-place the course restored before",
        )
          .choices(["new-course", "update-in-place"])
          .default("new-course"),
      )
      .addOption(
        new Option("--remove <id>", "remove this rule")
          .argParser(parsePositiveInteger)
          .conflicts("add"),
      )
      .option("--json", "print JSON"),
  ).action(async (options) =>
    run(async (client) => {
      if (options.remove) {
        await client.json("DELETE", `rules/${options.remove}`);
        process.stdout.write(`Removed rule ${options.remove}.\n`);
        return;
      }
      if (options.add) {
        const missing = [
          options.actor || options.tag ? undefined : "--actor or --tag",
          options.target ? undefined : "--target",
          options.category ? undefined : "--category",
        ].filter((option) => option !== undefined);
        if (missing.length > 0) {
          throw new ApiClientError(`--add needs ${missing.join(", ")}.`, ExitCode.invalidInput);
        }
        const rule = await client.json<Rule>("POST", "rules", {
          ...(options.actor ? { actor: options.actor } : {}),
          ...(options.tag ? { tag: options.tag } : {}),
          on: options.on,
          target: options.target,
          categoryId: options.category,
          mode: options.mode,
        });
        process.stdout.write(
          options.json ? `${JSON.stringify(rule)}\n` : `Added ${describeRule(rule)}`,
        );
        return;
      }
      const { items } = await client.json<{ items: Rule[] }>("GET", "rules");
      if (options.json) process.stdout.write(`${JSON.stringify(items)}\n`);
      else if (items.length === 0) process.stdout.write("No auto-restore rules.\n");
      else for (const rule of items) process.stdout.write(describeRule(rule));
    })(options),
  );
}

interface Target {
  name: string;
  driver: string;
  url: string;
  defaultCategoryId: number;
  teacherCategoryIds: number[];
  probe: {
    version: string;
    release: string;
    branch: string;
    plugins: number;
    probedAt: string;
  } | null;
}

interface RestoreProblem {
  kind: string;
  message?: string;
  activities?: Record<string, number>;
}

interface RestoreJob {
  id: string;
  object: string;
  revision: number;
  target: string;
  destination:
    | { kind: "new-course"; categoryId: number }
    | { kind: "existing-course"; courseId: number; mode: string };
  state: RestoreJobState;
  requestedBy: string;
  overriddenBy: string | null;
  attempts: number;
  problems: RestoreProblem[];
  moodleCourseId: number | null;
  courseUrl: string | null;
  errorCode: string | null;
  errorMessage: string | null;
  createdAt: string;
  finishedAt: string | null;
  durations: { totalMs: number | null; runMs: number | null; moodleMs: number | null };
  log?: string | null;
}

interface Rule {
  id: number;
  actor: string | null;
  tag: string | null;
  on: string;
  target: string;
  categoryId: number;
  mode: string;
  createdBy: string;
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

/** One line per problem: compatibility problems, and what Moodle did not restore. */
function describeProblems(job: RestoreJob): string {
  return job.problems
    .map((problem) => {
      if (problem.kind === "missing-activities") {
        const missing = Object.entries(problem.activities ?? {})
          .map(([module, count]) => `${count} ${module}`)
          .join(", ");
        return `  - Moodle did not restore: ${missing}\n`;
      }
      const overridden =
        job.state === "succeeded" && job.overriddenBy ? `(overridden by ${job.overriddenBy}) ` : "";
      return `  - ${overridden}${problem.message ?? problem.kind}\n`;
    })
    .join("");
}

function describeTarget(target: Target): string {
  const probe = target.probe
    ? `Moodle ${target.probe.release}, ${target.probe.plugins} plugins (probed ${target.probe.probedAt})`
    : `never probed (coursefed moodle probe ${target.name})`;
  const teachers = target.teacherCategoryIds.length
    ? `teachers restore into ${target.teacherCategoryIds.length === 1 ? "category" : "categories"} ${target.teacherCategoryIds.join(", ")}`
    : "closed to teachers' new courses";
  return `${target.name}  ${target.driver}  ${target.url}  category ${target.defaultCategoryId}\n  ${probe}\n  ${teachers}\n`;
}

function describeDestination(job: RestoreJob): string {
  const destination = job.destination;
  return destination.kind === "new-course"
    ? `new course in category ${destination.categoryId}`
    : `course ${destination.courseId} (${destination.mode})`;
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

/** The API's answer to a restore asked for: the job, and whether it was asked for before. */
interface RequestedRestoreJob extends RestoreJob {
  repeat: null | "unchanged" | "queued-again";
}

/**
 * Restores are idempotent (one job per revision, target and destination): asking again
 * gives back the same job, which says so and what became of it.
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

function describeJobInFull(job: RestoreJob): string {
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
  return `${lines.join("\n")}\n${problems ? `Problems:\n${problems}` : ""}${log}`;
}

function describeRule(rule: Rule): string {
  const match = [rule.actor ? `from ${rule.actor}` : "", rule.tag ? `tagged ${rule.tag}` : ""]
    .filter((part) => part !== "")
    .join(" and ");
  const on = rule.on === "both" ? "new or updated" : rule.on;
  return `rule ${rule.id}: ${on} courses ${match} → ${rule.target}, category ${rule.categoryId}, ${rule.mode} (by ${rule.createdBy})\n`;
}
