import type { Command } from "commander";
import type { CommandResult } from "../exit-codes.ts";
import { moodleAddCommand } from "./moodle/add.ts";
import { moodleCategoriesCommand } from "./moodle/categories.ts";
import { moodleCoursesCommand } from "./moodle/courses.ts";
import { moodleEditCommand } from "./moodle/edit.ts";
import { moodleGrantCommand } from "./moodle/grant.ts";
import { moodleGrantsCommand } from "./moodle/grants.ts";
import { moodleListCommand } from "./moodle/list.ts";
import { moodleNodeUrlCommand } from "./moodle/node-url.ts";
import { moodleProbeCommand } from "./moodle/probe.ts";
import { moodleRegisterCommand } from "./moodle/register.ts";
import { moodleRemoveCommand } from "./moodle/remove.ts";
import { moodleRevokeCommand } from "./moodle/revoke.ts";
import { moodleTeachersCommand } from "./moodle/teachers.ts";
import { moodleUsersCommand } from "./moodle/users.ts";

/**
 * `coursefed moodle`: the Moodle sites this node restores into and publishes from, and the
 * teachers it lets restore there. Its subcommands share the group's options and help.
 */
export function moodleCommand(program: Command, result: CommandResult): void {
  const moodle = program
    .command("moodle")
    .summary("the Moodle sites this node restores into and publishes from (admin)")
    .description(
      "A target is one Moodle site: `cli` when it runs on this host (the node runs Moodle's PHP scripts against its code), `ws` when it is elsewhere and has the local_coursefed plugin (see packages/moodle-plugin/README.md). Add it, then probe it to check that the node reaches it and to learn what it runs. Teachers restore only where an admin lets them: `moodle teachers` opens categories to their new courses, `moodle grant` an existing course to one of them.",
    );
  moodleAddCommand(moodle, result);
  moodleEditCommand(moodle, result);
  moodleListCommand(moodle, result);
  moodleProbeCommand(moodle, result);
  moodleCategoriesCommand(moodle, result);
  moodleCoursesCommand(moodle, result);
  moodleRegisterCommand(moodle, result);
  moodleNodeUrlCommand(moodle, result);
  moodleUsersCommand(moodle, result);
  moodleRemoveCommand(moodle, result);
  moodleTeachersCommand(moodle, result);
  moodleGrantCommand(moodle, result);
  moodleRevokeCommand(moodle, result);
  moodleGrantsCommand(moodle, result);
}
