import { type ArchiveLimits, DEFAULT_LIMITS } from "@coursefed/mbz";
import { type Command, InvalidArgumentError } from "commander";
import { parseByteSize } from "../byte-size.ts";

function parseSize(text: string): number {
  const bytes = parseByteSize(text);
  if (bytes === undefined) {
    throw new InvalidArgumentError(`"${text}" is not a size; write e.g. 512MiB, 2GiB or 1000000.`);
  }
  return bytes;
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
      parseSize,
    )
    .option(
      "--max-ratio <n>",
      `refuse archives expanding more than n:1 (default ${DEFAULT_LIMITS.maxCompressionRatio})`,
      parseRatio,
    )
    .option(
      "--max-xml <size>",
      `refuse XML members larger than this (default ${DEFAULT_LIMITS.maxXmlMemberBytes / 1024 ** 2}MiB)`,
      parseSize,
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
