import { open } from "node:fs/promises";
import { MbzError } from "./errors.ts";

/** The two containers Moodle writes backups in. */
export type ContainerFormat = "zip" | "tar.gz";

/**
 * Decides the container by its first bytes; file names are not evidence (Moodle names
 * both kinds `.mbz`).
 */
export function detectContainer(head: Uint8Array): ContainerFormat {
  if (head.length >= 4 && head[0] === 0x50 && head[1] === 0x4b) {
    // Local file header, or the end-of-central-directory record of an empty zip.
    if ((head[2] === 0x03 && head[3] === 0x04) || (head[2] === 0x05 && head[3] === 0x06)) {
      return "zip";
    }
  }
  if (head.length >= 3 && head[0] === 0x1f && head[1] === 0x8b && head[2] === 0x08) {
    return "tar.gz";
  }
  throw new MbzError(
    "NOT_AN_ARCHIVE",
    head.length === 0
      ? "The file is empty; a Moodle backup is a zip or tar.gz archive."
      : `The file is neither a zip nor a gzip'd tar archive (first bytes ${hex(head)}); is it a Moodle backup (.mbz)?`,
  );
}

export async function readHead(path: string, length = 8): Promise<Uint8Array> {
  const handle = await open(path, "r");
  try {
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await handle.read(buffer, 0, length, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes.subarray(0, 4), (byte) => byte.toString(16).padStart(2, "0")).join(" ");
}
