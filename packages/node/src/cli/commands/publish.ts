import { stat } from "node:fs/promises";
import type { Command } from "commander";
import { ApiClientError, addNodeOptions } from "../api-client.ts";
import { type CommandResult, ExitCode } from "../exit-codes.ts";
import { nodeAction } from "../node-action.ts";
import {
  parsePositiveInteger,
  refuseExtraArguments,
  repeatedValues,
  tagsOption,
} from "../option-parsers.ts";

/** `coursefed publish`: publish a backup as a course (or a new revision of one). */
export function publishCommand(program: Command, result: CommandResult): void {
  const run = nodeAction(result);
  addNodeOptions(
    program
      .command("publish")
      .summary("publish a backup as a course (or a new revision of one)")
      .description(
        "Upload a Moodle backup to the node and publish it: followers receive it (Create, or Update for --course). Without --title, a new course is named as in the backup (its full name); a new revision (--course) keeps its course's title, summary, tags, licence and visibility unless given. A backup holding personal data is refused with what was found, unless --sanitize. With --derived-from, the course names the catalog course it adapts: the node checks every ancestor's licence (no derivative of an ND or all-rights-reserved course; share-alike keeps the same licence; NC is carried), refuses naming the ancestor, takes the source's licence when none is given, and credits every ancestor in the summary and the manifest. With --from-moodle, the node has a Moodle target back up one of its courses without user data and publishes that instead of a FILE; publishing the same Moodle course again makes a new revision, and a course restored from the catalog names its source.",
      )
      .argument("[file]", "the backup (.mbz); leave out with --from-moodle")
      .option(
        "--title <title>",
        "the course's title as others will see it (default: the course's name in the backup)",
      )
      .option("--summary <text>", "a short description")
      .option(
        "--tag <tags>",
        'subjects, separated by commas or repeated: --tag "web programming, maths", --tag maths --tag algebra',
        repeatedValues,
      )
      .option("--license <license>", "e.g. CC-BY-4.0")
      .option("--visibility <who>", "public, followers or private (default public)")
      .option(
        "--course <id>",
        "with FILE: publish as a new revision of this course; with --from-moodle: the course's id on the Moodle site",
      )
      .option(
        "--from-moodle <target>",
        "publish a course of this Moodle target (see `coursefed moodle list`)",
      )
      .option(
        "--derived-from <url>",
        "the catalog course this backup adapts (its object URL; #N for revision N): every ancestor's licence is checked and credited",
      )
      .option("--sanitize", "remove personal data instead of refusing the backup")
      .option("--json", "print the published course as JSON")
      // Refused in the action, with how tags are written: a second word is most often a
      // tag given after a first one (--tag maths algebra FILE).
      .allowExcessArguments(),
  ).action(async (file: string | undefined, options, command: Command) =>
    run(async (client) => {
      refuseExtraArguments(command, ["one backup FILE"]);
      // What is left out the node takes from the backup, or from the course's last revision.
      const metadata = {
        ...(options.title ? { title: options.title } : {}),
        ...(options.summary ? { summary: options.summary } : {}),
        ...(options.tag ? { tags: tagsOption(options.tag) } : {}),
        ...(options.license ? { license: options.license } : {}),
        ...(options.visibility ? { visibility: options.visibility } : {}),
      };
      let published: { id: string; object: string; revision: number; sha256: string };
      if (options.fromMoodle) {
        const refusal =
          file !== undefined
            ? "Give either a backup FILE or --from-moodle, not both."
            : options.course === undefined
              ? "--from-moodle needs --course: the course's id on the Moodle site."
              : options.sanitize
                ? "--sanitize does not apply to --from-moodle: the site makes its backup without user data, and the node refuses it if personal data remains."
                : undefined;
        if (refusal) throw new ApiClientError(refusal, ExitCode.invalidInput);
        published = await client.json("POST", "courses/from-moodle", {
          target: options.fromMoodle,
          courseId: parseCourseId(options.course),
          ...metadata,
        });
      } else {
        if (file === undefined) {
          throw new ApiClientError(
            "Give the backup FILE to publish, or --from-moodle TARGET --course ID.",
            ExitCode.invalidInput,
          );
        }
        if (options.tag !== undefined) await refuseTagForBackup(file);
        const { progressBar } = await import("../progress.ts");
        const progress = progressBar(!options.json);
        const uploaded = await client
          .upload<{ id: string }>("uploads", file, (sent, total) =>
            progress.update("upload", sent, total),
          )
          .finally(() => progress.stop());
        published = await client.json(
          "POST",
          options.course ? `courses/${encodeURIComponent(options.course)}/revisions` : "courses",
          {
            uploadId: uploaded.id,
            ...metadata,
            sanitize: Boolean(options.sanitize),
            ...(options.derivedFrom ? { derivedFrom: sourceOption(options.derivedFrom) } : {}),
          },
        );
      }
      process.stdout.write(
        options.json
          ? `${JSON.stringify(published)}\n`
          : `Published revision ${published.revision} of course ${published.id}\n  ${published.object}\n  sha256 ${published.sha256}\n`,
      );
    })(options),
  );
}

/**
 * After --tag, a FILE that is not there is most often a tag the user meant (--tag maths
 * algebra): refused before the upload, saying how several tags are written.
 */
async function refuseTagForBackup(file: string): Promise<void> {
  const isFile = await stat(file).then(
    (found) => found.isFile(),
    () => false,
  );
  if (isFile) return;
  throw new ApiClientError(
    `There is no backup file "${file}". If "${file}" is a tag, give several as --tag maths --tag "first year" or --tag "maths, first year", and then the backup FILE to publish.`,
    ExitCode.invalidInput,
  );
}

/** --derived-from URL[#N]: a course's object URL, and the revision after # if any. */
function sourceOption(text: string): { object: string; revision?: number } {
  const [object = "", revision] = text.split("#");
  if (!URL.canParse(object)) {
    throw new ApiClientError(
      `--derived-from: "${text}" is not a course's URL; give it as \`coursefed catalog\` shows it.`,
      ExitCode.invalidInput,
    );
  }
  try {
    return { object, ...(revision ? { revision: parsePositiveInteger(revision) } : {}) };
  } catch (error) {
    throw new ApiClientError(`--derived-from: ${(error as Error).message}`, ExitCode.invalidInput);
  }
}

/** A Moodle course id given to --course, as a usage error when it is not one. */
function parseCourseId(text: string): number {
  try {
    return parsePositiveInteger(text);
  } catch (error) {
    throw new ApiClientError(`--course: ${(error as Error).message}`, ExitCode.invalidInput);
  }
}
