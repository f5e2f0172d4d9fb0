import { InvalidArgumentError } from "commander";

/** Reads an id or a count such as a revision, a category or a course id. */
export function parsePositiveInteger(text: string): number {
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(value) || value < 1) {
    throw new InvalidArgumentError(`"${text}" is not a whole number of at least 1.`);
  }
  return value;
}

/** Reads ids separated by commas ("3,5"), or "none" for an empty list. */
export function parseIdList(text: string): number[] {
  if (text.trim().toLowerCase() === "none") return [];
  return text.split(",").map((part) => parsePositiveInteger(part.trim()));
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
