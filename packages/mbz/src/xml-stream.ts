import type { Readable } from "node:stream";
import sax from "sax";
import { MbzError } from "./errors.ts";
import { printable } from "./member-name.ts";

/**
 * Text kept per element. Backups carry long HTML (course summaries, page content) that
 * no analysis needs whole; capping keeps memory flat on a hostile member.
 */
export const MAX_ELEMENT_TEXT = 256 * 1024;

/**
 * Callbacks for one XML member. `path` is the element stack from the root down to the
 * element concerned; it is reused between calls, so copy it to keep it. Offsets count
 * UTF-16 code units of the decoded document, as JavaScript strings do.
 */
export interface XmlHandler {
  /** Every decoded chunk, before it is parsed (the sanitizer rewrites from these). */
  chunk?(text: string): void;
  open?(path: readonly string[], attributes: Readonly<Record<string, string>>, start: number): void;
  /** `text` is the element's own character data (capped at MAX_ELEMENT_TEXT). */
  close?(path: readonly string[], text: string, end: number): void;
  /** The document has been read to its end, and was well-formed. */
  end?(): void;
}

/**
 * Parses one XML member as a stream with bounded memory. DOCTYPE declarations are
 * refused outright: Moodle never writes them, and they are how XXE and entity-expansion
 * attacks begin.
 */
export async function parseXmlMember(
  member: string,
  content: Readable,
  handler: XmlHandler,
  maxBytes: number,
): Promise<void> {
  const parser = sax.parser(true, { trim: false, normalize: false, position: true, xmlns: false });
  const path: string[] = [];
  const texts: string[] = [];
  let text = "";

  parser.ondoctype = () => {
    throw new MbzError(
      "XML_DOCTYPE",
      `XML member "${printable(member)}" declares a DOCTYPE; Moodle never writes one and it can hide entity attacks, so the archive is refused.`,
      member,
    );
  };
  parser.onerror = (error) => {
    throw malformed(member, error.message.split("\n")[0] ?? error.message);
  };
  parser.onopentag = (tag) => {
    texts.push(text);
    text = "";
    path.push(tag.name);
    handler.open?.(path, tag.attributes as Record<string, string>, parser.startTagPosition - 1);
  };
  const onText = (chunk: string) => {
    if (path.length === 0) return;
    if (text.length < MAX_ELEMENT_TEXT) text += chunk.slice(0, MAX_ELEMENT_TEXT - text.length);
  };
  parser.ontext = onText;
  parser.oncdata = onText;
  parser.onclosetag = () => {
    handler.close?.(path, text, parser.position);
    path.pop();
    text = texts.pop() ?? "";
  };

  const decoder = new TextDecoder("utf-8", { fatal: true });
  let bytes = 0;
  const feed = (decoded: string) => {
    if (decoded === "") return;
    handler.chunk?.(decoded);
    parser.write(decoded);
  };
  try {
    for await (const chunk of content) {
      bytes += (chunk as Buffer).length;
      if (bytes > maxBytes) {
        throw xmlMemberTooLarge(member, maxBytes);
      }
      feed(decoder.decode(chunk as Buffer, { stream: true }));
    }
    feed(decoder.decode());
    if (path.length > 0 || !sawRoot(parser)) {
      throw malformed(
        member,
        path.length > 0 ? `element <${path.at(-1)}> is never closed` : "no root element",
      );
    }
    parser.close();
    handler.end?.();
  } catch (error) {
    content.destroy();
    if (error instanceof MbzError) throw error;
    if (error instanceof TypeError && /encoded data was not valid/i.test(error.message)) {
      throw malformed(member, "it is not valid UTF-8");
    }
    throw error;
  }
}

function sawRoot(parser: sax.SAXParser): boolean {
  // sax records the root once its start tag was read ("closedRoot" after it ends).
  return (parser as unknown as { closedRoot: boolean }).closedRoot === true;
}

function malformed(member: string, why: string): MbzError {
  return new MbzError(
    "XML_MALFORMED",
    `XML member "${printable(member)}" is malformed: ${printable(why)}. The backup is damaged; make a new one.`,
    member,
  );
}

export function xmlMemberTooLarge(member: string, maxBytes: number): MbzError {
  return new MbzError(
    "XML_MEMBER_TOO_LARGE",
    `XML member "${printable(member)}" is larger than the ${Math.round(maxBytes / 1024 ** 2)} MiB limit for one XML file; refusing it. Raise the XML member limit if the backup is genuine.`,
    member,
  );
}
