import type { XmlHandler } from "./xml-stream.ts";

/** The leaf children of one element, by name (the last wins when a name repeats). */
export type Fields = Readonly<Record<string, string>>;

/**
 * Collects "records": elements at a given depth whose direct leaf children are wanted
 * as a flat map. Nearly every Moodle backup file is a list of such records.
 */
export function collectRecords(
  matches: (path: readonly string[]) => boolean,
  onRecord: (
    fields: Fields,
    attributes: Readonly<Record<string, string>>,
    path: readonly string[],
  ) => void,
): XmlHandler {
  const open: Array<{
    depth: number;
    fields: Record<string, string>;
    attributes: Record<string, string>;
  }> = [];
  return {
    open(path, attributes) {
      if (matches(path))
        open.push({ depth: path.length, fields: {}, attributes: { ...attributes } });
    },
    close(path, text) {
      const current = open.at(-1);
      if (!current) return;
      if (path.length === current.depth + 1) {
        current.fields[path[path.length - 1] as string] = text;
      } else if (path.length === current.depth) {
        open.pop();
        onRecord(current.fields, current.attributes, path);
      }
    },
  };
}

/** True when `path` ends with `suffix` ("*" matches any one name). */
export function pathEndsWith(path: readonly string[], suffix: readonly string[]): boolean {
  if (path.length < suffix.length) return false;
  const offset = path.length - suffix.length;
  return suffix.every((name, index) => name === "*" || name === path[offset + index]);
}

/** True when `path` is exactly `pattern` ("*" matches any one name). */
export function pathEquals(path: readonly string[], pattern: readonly string[]): boolean {
  return path.length === pattern.length && pathEndsWith(path, pattern);
}

/** Runs several handlers over one parse. */
export function combineHandlers(handlers: readonly XmlHandler[]): XmlHandler {
  return {
    chunk: (text) => {
      for (const handler of handlers) handler.chunk?.(text);
    },
    open: (path, attributes, start) => {
      for (const handler of handlers) handler.open?.(path, attributes, start);
    },
    close: (path, text, end) => {
      for (const handler of handlers) handler.close?.(path, text, end);
    },
    end: () => {
      for (const handler of handlers) handler.end?.();
    },
  };
}

/** Moodle writes SQL NULL as this marker. */
export const MOODLE_NULL = "$@NULL@$";

export function isSet(value: string | undefined): value is string {
  return value !== undefined && value !== "" && value !== MOODLE_NULL && value !== "0";
}
