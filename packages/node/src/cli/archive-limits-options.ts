import { type ArchiveLimits, DEFAULT_LIMITS } from "@coursefed/mbz";
import { type Command, InvalidArgumentError } from "commander";

const UNITS: Readonly<Record<string, number>> = {
  "": 1,
  b: 1,
  k: 1024,
  kb: 1000,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1000 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1000 ** 3,
  gib: 1024 ** 3,
  t: 1024 ** 4,
  tb: 1000 ** 4,
  tib: 1024 ** 4,
};

/** Parses "512MiB", "2G", "1500000" into bytes. */
export function parseByteSize(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const unit = UNITS[(match?.[2] ?? "").toLowerCase()];
  if (!match || unit === undefined) {
    throw new InvalidArgumentError(`"${text}" is not a size; write e.g. 512MiB, 2GiB or 1000000.`);
  }
  return Math.floor(Number(match[1]) * unit);
}

function parseRatio(text: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value < 1) {
    throw new InvalidArgumentError(
      `"${text}" is not a ratio; write a number of at least 1, e.g. 200.`,
    );
  }
  return value;
}

export function addArchiveLimitOptions(command: Command): Command {
  return command
    .option(
      "--max-uncompressed <size>",
      `refuse archives that inflate past this size (default ${DEFAULT_LIMITS.maxUncompressedBytes / 1024 ** 3}GiB)`,
      parseByteSize,
    )
    .option(
      "--max-ratio <n>",
      `refuse archives expanding more than n:1 (default ${DEFAULT_LIMITS.maxCompressionRatio})`,
      parseRatio,
    )
    .option(
      "--max-xml <size>",
      `refuse XML members larger than this (default ${DEFAULT_LIMITS.maxXmlMemberBytes / 1024 ** 2}MiB)`,
      parseByteSize,
    );
}

export function archiveLimits(options: {
  maxUncompressed?: number;
  maxRatio?: number;
  maxXml?: number;
}): Partial<ArchiveLimits> {
  return {
    ...(options.maxUncompressed !== undefined
      ? { maxUncompressedBytes: options.maxUncompressed }
      : {}),
    ...(options.maxRatio !== undefined ? { maxCompressionRatio: options.maxRatio } : {}),
    ...(options.maxXml !== undefined ? { maxXmlMemberBytes: options.maxXml } : {}),
  };
}
