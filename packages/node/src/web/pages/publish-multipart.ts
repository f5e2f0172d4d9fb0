import { Readable } from "node:stream";
import { CodedError } from "../../coded-error.ts";

export class UploadFormError extends CodedError<"MALFORMED"> {
  override readonly name = "UploadFormError";
}

/** Text fields are a token and a course id: anything longer is not our form. */
const MAX_FIELD_BYTES = 4096;
const MAX_HEADER_BYTES = 4096;
const CRLF = Buffer.from("\r\n");
const HEADERS_END = Buffer.from("\r\n\r\n");

/**
 * Reads the upload form a browser without script sends (multipart/form-data): the text
 * fields that come before the file, then the file itself as a stream read as it arrives,
 * so that a backup of gigabytes is never held in memory. Fields after the file are
 * ignored: the form puts its file last.
 */
export async function readUploadForm(
  body: ReadableStream<Uint8Array> | null,
  contentType: string,
): Promise<{ fields: Record<string, string>; file: Readable | undefined }> {
  const boundary = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  const separator = boundary?.[1] ?? boundary?.[2];
  if (!body || !separator) throw truncated();
  const input = new BodyBuffer(body.getReader());
  try {
    return await readFields(input, Buffer.from(`\r\n--${separator}`));
  } catch (error) {
    // A sender gone before its file (a closed tab, a dropped connection) is an incomplete
    // form, like one cut short, not a failure of the node.
    if (error instanceof UploadFormError) throw error;
    throw truncated();
  }
}

/** The text fields before the file, and the file's stream once its part begins. */
async function readFields(
  input: BodyBuffer,
  delimiter: Buffer,
): Promise<{ fields: Record<string, string>; file: Readable | undefined }> {
  const fields: Record<string, string> = {};
  input.drop((await input.find(delimiter, MAX_FIELD_BYTES)) + delimiter.length);
  for (;;) {
    while (input.bytes.length < 2) if (!(await input.more())) break;
    if (input.bytes.subarray(0, 2).toString() === "--") {
      await input.cancel();
      return { fields, file: undefined };
    }
    const headersEnd = await input.find(HEADERS_END, MAX_HEADER_BYTES);
    const headers = input.bytes.subarray(0, headersEnd).toString("utf8");
    input.drop(headersEnd + HEADERS_END.length);
    if (/content-disposition:[^\r\n]*?\bfilename="/i.test(headers)) {
      return { fields, file: Readable.from(fileContents(input, delimiter)) };
    }
    const name = /content-disposition:[^\r\n]*?\bname="([^"]*)"/i.exec(headers)?.[1];
    const end = await input.find(delimiter, MAX_FIELD_BYTES);
    if (name) fields[name] = input.bytes.subarray(0, end).toString("utf8");
    input.drop(end + delimiter.length);
  }
}

/** The part of the body read and not yet consumed. */
class BodyBuffer {
  // The first delimiter has no CRLF before it; adding one makes every delimiter alike.
  bytes: Buffer = CRLF;
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;

  constructor(reader: ReadableStreamDefaultReader<Uint8Array>) {
    this.#reader = reader;
  }

  async more(): Promise<boolean> {
    const { done, value } = await this.#reader.read();
    if (done) return false;
    this.bytes = Buffer.concat([this.bytes, value]);
    return true;
  }

  drop(count: number): void {
    this.bytes = this.bytes.subarray(count);
  }

  /** Where `needle` starts, reading on until it comes, at most `limit` bytes past the start. */
  async find(needle: Buffer, limit: number): Promise<number> {
    for (;;) {
      const at = this.bytes.indexOf(needle);
      if (at >= 0) return at;
      if (this.bytes.length > limit + needle.length || !(await this.more())) throw truncated();
    }
  }

  async cancel(): Promise<void> {
    await this.#reader.cancel();
  }
}

function truncated(): UploadFormError {
  return new UploadFormError("MALFORMED", "The form was not sent whole.");
}

/**
 * The file's bytes up to the next delimiter. A delimiter may arrive split between two
 * chunks, so the last bytes that could begin one are held back until the next chunk.
 */
async function* fileContents(input: BodyBuffer, delimiter: Buffer): AsyncGenerator<Buffer> {
  for (;;) {
    const at = input.bytes.indexOf(delimiter);
    if (at >= 0) {
      if (at > 0) yield input.bytes.subarray(0, at);
      await input.cancel();
      return;
    }
    const safe = Math.max(0, input.bytes.length - delimiter.length + 1);
    if (safe > 0) {
      yield input.bytes.subarray(0, safe);
      input.drop(safe);
    }
    if (!(await input.more())) throw truncated();
  }
}
