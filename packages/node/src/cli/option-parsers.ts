import { InvalidArgumentError } from "commander";
import { ApiClientError } from "./api-client.ts";
import { ExitCode } from "./exit-codes.ts";

/** Reads an id or a count such as a revision, a category or a course id. */
export function parsePositiveInteger(text: string): number {
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(value) || value < 1) {
    throw new InvalidArgumentError(`"${text}" is not a whole number of at least 1.`);
  }
  return value;
}

const DURATION_UNITS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** Reads "90s", "30m", "2h" or "500ms" as milliseconds. */
export function parseDuration(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)\s*$/i.exec(text);
  const unit = DURATION_UNITS[(match?.[2] ?? "").toLowerCase()];
  if (!match || unit === undefined) {
    throw new InvalidArgumentError(`"${text}" is not a duration; write e.g. 90s, 30m or 2h.`);
  }
  return Math.round(Number(match[1]) * unit);
}

/**
 * Every option that takes several values (--tag, --categories) takes them repeated
 * (`--tag maths --tag algebra`) or separated by commas (`--tag "maths, algebra"`), never
 * as several words after one flag: those would swallow the words that follow, the
 * command's own arguments (`publish --tag maths FILE` took FILE for a tag).
 */
export function repeatedValues(value: string, previous: readonly string[] = []): string[] {
  return [...previous, value];
}

/** The words a command was given past its arguments, refused with how several values are written. */
export function refuseExtraArguments(
  command: { readonly name: () => string; readonly args: readonly string[] },
  expected: readonly string[],
): void {
  const extra = command.args.slice(expected.length);
  if (extra.length === 0) return;
  throw new ApiClientError(
    `${command.name()} takes ${expected.join(" and ")}; ${extra.map((word) => `"${word}"`).join(", ")} ${extra.length === 1 ? "is" : "are"} left over. Options take one value each: give several tags as --tag maths --tag "first year", or --tag "maths, first year".`,
    ExitCode.invalidInput,
  );
}

/**
 * Tags as --tag takes them: separated by commas, as in the web's forms, so that a tag may
 * be several words ("web programming, maths"); a repeated --tag adds its own. A value with
 * spaces and no comma could mean either; it is taken as one tag, and `warning` says so.
 */
export function parseTags(values: readonly string[]): { tags: string[]; warning?: string } {
  const tags = [
    ...new Set(
      values
        .flatMap((value) => value.split(","))
        .map((tag) => tag.trim().replace(/^#/, "").replace(/\s+/g, " "))
        .filter(Boolean),
    ),
  ];
  const [only] = values;
  if (values.length !== 1 || only === undefined || only.includes(",") || !/\S\s+\S/.test(only)) {
    return { tags };
  }
  const words = only.trim().split(/\s+/);
  return {
    tags,
    warning: `took "${tags[0]}" as one tag; tags are separated by commas: --tag "${words.join(", ")}" for ${words.length}.`,
  };
}

/** The tags of --tag, with a warning on stderr where the value could be read two ways. */
export function tagsOption(values: readonly string[]): string[] {
  const { tags, warning } = parseTags(values);
  if (warning) process.stderr.write(`coursefed: ${warning}\n`);
  return tags;
}

/** A course's id, given as printed by `publish` or as its object URL (…/courses/ID). */
export function courseIdOf(text: string): string {
  const trimmed = text.trim();
  if (!/^https?:\/\//i.test(trimmed)) return trimmed;
  const path = URL.canParse(trimmed) ? new URL(trimmed).pathname : "";
  const id = /\/courses\/([^/]+)\/?$/.exec(path)?.[1];
  if (!id) {
    throw new InvalidArgumentError(
      `"${text}" is not a course's URL; give the course's id as \`coursefed publish\` printed it, or its URL ending in /courses/ID.`,
    );
  }
  return decodeURIComponent(id);
}

/** Reads two revisions as "1..3" (from 1 to 3), or one as "3" (from the one before it). */
export function parseRevisionRange(text: string): { from: number; to: number } {
  const match = /^\s*(?:(\d+)\s*\.\.\s*)?(\d+)\s*$/.exec(text);
  const to = Number(match?.[2]);
  const from = match?.[1] === undefined ? to - 1 : Number(match[1]);
  if (!match || !Number.isSafeInteger(to) || from < 1 || to < 1) {
    throw new InvalidArgumentError(
      `"${text}" is not two revisions; write e.g. 1..2 (from revision 1 to 2), or 2 for the changes revision 2 made.`,
    );
  }
  return { from, to };
}
