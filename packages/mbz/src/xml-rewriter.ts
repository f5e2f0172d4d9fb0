import { writeSync } from "node:fs";
import { type Fields, pathEquals } from "./record-collector.ts";
import type { XmlHandler } from "./xml-stream.ts";

/** What to do with one record: keep it, drop it, or replace its text. */
export type RecordEdit = "keep" | "drop" | RecordReplacement;

export interface RecordReplacement {
  readonly replace: (text: string) => string;
}

export interface EditRule {
  readonly path: readonly string[];
  readonly edit: (fields: Fields) => RecordEdit;
}

interface Frame {
  readonly rule: EditRule;
  readonly depth: number;
  readonly start: number;
  readonly fields: Record<string, string>;
}

interface PendingEdit {
  start: number;
  readonly end: number;
  readonly edit: Exclude<RecordEdit, "keep">;
}

/**
 * Rewrites an XML member as it streams past, cutting or replacing whole records and
 * leaving every other character as it was. Text is held back only from the start of
 * the outermost record still open, so memory stays bounded by one record.
 */
export class XmlRewriter implements XmlHandler {
  private readonly frames: Frame[] = [];
  private readonly edits: PendingEdit[] = [];
  /** Decoded text not yet written, starting at absolute offset `pendingStart`. */
  private pending = "";
  private pendingStart = 0;
  private written = 0;
  private readonly fd: number;
  private readonly rules: readonly EditRule[];

  constructor(fd: number, rules: readonly EditRule[]) {
    this.fd = fd;
    this.rules = rules;
  }

  chunk(text: string): void {
    // Events for earlier chunks have all been seen: flush what no open record can claim.
    this.flush(false);
    this.pending += text;
  }

  /** Bytes of the rewritten member written so far. */
  get bytesWritten(): number {
    return this.written;
  }

  open(path: readonly string[], attributes: Readonly<Record<string, string>>, start: number): void {
    const rule = this.rules.find((candidate) => pathEquals(path, candidate.path));
    if (rule) this.frames.push({ rule, depth: path.length, start, fields: { ...attributes } });
  }

  close(path: readonly string[], text: string, end: number): void {
    const frame = this.frames.at(-1);
    if (!frame) return;
    if (path.length === frame.depth + 1) frame.fields[path[path.length - 1] as string] = text;
    if (path.length !== frame.depth) return;
    this.frames.pop();
    const edit = frame.rule.edit(frame.fields);
    if (edit === "keep") return;
    // A record settles after the records nested in it: it supersedes their edits.
    while (this.edits.length > 0 && (this.edits.at(-1) as PendingEdit).start >= frame.start)
      this.edits.pop();
    this.edits.push({ start: frame.start, end, edit });
  }

  end(): void {
    this.flush(true);
  }

  private flush(all: boolean): void {
    let until = this.pendingStart + this.pending.length;
    if (!all) {
      // An element that has begun but not been reported yet starts at or after the last "<".
      const lastTag = this.pending.lastIndexOf("<");
      if (lastTag >= 0) until = this.pendingStart + lastTag;
      // Blanks before it may be the indentation of a record about to be dropped.
      until = this.blanksStart(until);
      const outermost = this.frames[0];
      if (outermost) until = Math.min(until, this.lineStart(outermost.start));
      for (const edit of this.edits) {
        if (edit.end > until) until = Math.min(until, this.lineStart(edit.start));
      }
    }
    if (until <= this.pendingStart) return;
    let cursor = this.pendingStart;
    const pieces: string[] = [];
    while (this.edits.length > 0 && (this.edits[0] as PendingEdit).end <= until) {
      const edit = this.edits.shift() as PendingEdit;
      const text = this.slice(edit.start, edit.end);
      if (edit.edit === "drop") {
        // Take the record's own indentation with it, so no blank line is left behind.
        const lineStart = this.lineStart(edit.start);
        pieces.push(this.slice(cursor, Math.max(cursor, lineStart)));
      } else {
        pieces.push(this.slice(cursor, edit.start), edit.edit.replace(text));
      }
      cursor = edit.end;
    }
    pieces.push(this.slice(cursor, until));
    this.pending = this.pending.slice(until - this.pendingStart);
    this.pendingStart = until;
    const bytes = Buffer.from(pieces.join(""), "utf8");
    if (bytes.length > 0) this.written += writeSync(this.fd, bytes);
  }

  private slice(from: number, to: number): string {
    return this.pending.slice(from - this.pendingStart, to - this.pendingStart);
  }

  /** Where the run of white space that ends at `offset` begins. */
  private blanksStart(offset: number): number {
    let index = offset - this.pendingStart;
    while (index > 0 && /\s/.test(this.pending[index - 1] as string)) index--;
    return this.pendingStart + index;
  }

  /** Where the line holding `offset` starts, if only blanks stand between; else `offset`. */
  private lineStart(offset: number): number {
    let index = offset - this.pendingStart;
    while (index > 0 && (this.pending[index - 1] === " " || this.pending[index - 1] === "\t"))
      index--;
    if (index > 0 && this.pending[index - 1] === "\n") return this.pendingStart + index - 1;
    return offset;
  }
}
