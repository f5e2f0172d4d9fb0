import { formatBytes } from "@coursefed/mbz/byte-size";
import { type Command, InvalidArgumentError, Option } from "commander";
import {
  categoryIdsFrom,
  TeacherPermissionError,
} from "../../moodle-targets/teacher-permissions.ts";
import { addNodeOptions } from "../api-client.ts";
import type { CommandResult } from "../exit-codes.ts";
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

/**
 * `coursefed moodle`: the Moodle sites this node restores into and publishes from, and the
 * teachers it lets restore there. Its subcommands share the group's options and help.
 */
export function moodleCommand(program: Command, result: CommandResult): void {
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

function describeTarget(target: Target): string {
  const probe = target.probe
    ? `Moodle ${target.probe.release}, ${target.probe.plugins} plugins (probed ${target.probe.probedAt})`
    : `never probed (coursefed moodle probe ${target.name})`;
  const teachers = target.teacherCategoryIds.length
    ? `teachers restore into ${target.teacherCategoryIds.length === 1 ? "category" : "categories"} ${target.teacherCategoryIds.join(", ")}`
    : "closed to teachers' new courses";
  return `${target.name}  ${target.driver}  ${target.url}  category ${target.defaultCategoryId}\n  ${probe}\n  ${teachers}\n`;
}
