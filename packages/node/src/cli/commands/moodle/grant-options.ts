import type { Command } from "commander";
import { addNodeOptions } from "../../api-client.ts";
import { parsePositiveInteger } from "../../option-parsers.ts";

/** What `moodle grant` and `moodle revoke` both take: a target, a course and a teacher. */
export function grantOptions(command: Command): Command {
  return addNodeOptions(
    command
      .argument("<name>", "the target")
      .requiredOption("--course <id>", "the Moodle course's id", parsePositiveInteger)
      .requiredOption("--teacher <handle>", "the teacher's handle (see coursefed teachers)"),
  );
}
