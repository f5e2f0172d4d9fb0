import { createHash, randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import { pipeline } from "node:stream/promises";
import { createGzip } from "node:zlib";
import { ZipArchive } from "archiver";
import tarStream from "tar-stream";
import { moodleBackupXml } from "../../support/archive-builder.ts";

/**
 * A large synthetic course backup shaped like real ones: most bytes in content files
 * (images, PDFs, video: incompressible) and some in compressible text, plus the XML a
 * course of that size carries (files.xml, a question bank).
 */
export interface GeneratedMember {
  readonly name: string;
  readonly data: Buffer;
  readonly compressible: boolean;
}

const WORDS =
  "moodle course quiz forum answer question section lesson student teacher grade page file".split(
    " ",
  );

function textBlock(size: number, seed: number): Buffer {
  const parts: string[] = [];
  let length = 0;
  let state = seed;
  while (length < size) {
    state = (state * 1103515245 + 12345) >>> 0;
    const word = WORDS[state % WORDS.length] as string;
    parts.push(word);
    length += word.length + 1;
  }
  return Buffer.from(parts.join(" ").slice(0, size));
}

/**
 * Content files come first and are made one at a time, so that the generator itself
 * holds no more than one file; files.xml, which lists them, follows.
 */
function* members(totalBytes: number): Generator<GeneratedMember> {
  const fileRecords: string[] = [];
  yield {
    name: ".ARCHIVE_INDEX",
    data: Buffer.from("Moodle archive file index. Count: 0\n"),
    compressible: true,
  };
  yield {
    name: "moodle_backup.xml",
    data: Buffer.from(
      moodleBackupXml({ activities: [{ module: "resource", id: 2, title: "Readings" }] }),
    ),
    compressible: true,
  };
  let bytes = 0;
  for (let index = 0; bytes < totalBytes; index++) {
    // Sizes cycle from 4 KiB to 8 MiB, so that there are many files and some big ones.
    const size = 4096 * 2 ** (index % 12);
    const compressible = index % 10 < 3;
    const data = compressible ? textBlock(size, index) : randomBytes(size);
    const hash = createHash("sha1").update(data).digest("hex");
    fileRecords.push(
      `  <file id="${index + 1}">\n    <contenthash>${hash}</contenthash>\n    <contextid>40</contextid>\n    <component>mod_resource</component>\n    <filearea>content</filearea>\n    <itemid>0</itemid>\n    <filepath>/</filepath>\n    <filename>document-${index}.bin</filename>\n    <userid>$@NULL@$</userid>\n    <filesize>${size}</filesize>\n  </file>`,
    );
    bytes += size;
    yield { name: `files/${hash.slice(0, 2)}/${hash}`, data, compressible };
  }
  const questions = Array.from(
    { length: 5000 },
    (_, i) =>
      `        <question id="${i + 1}">\n          <name>Question ${i}</name>\n          <questiontext>${textBlock(400, i).toString()}</questiontext>\n          <qtype>${i % 3 === 0 ? "multichoice" : "truefalse"}</qtype>\n        </question>`,
  );
  yield {
    name: "files.xml",
    data: Buffer.from(
      `<?xml version="1.0" encoding="UTF-8"?>\n<files>\n${fileRecords.join("\n")}\n</files>`,
    ),
    compressible: true,
  };
  yield {
    name: "questions.xml",
    data: Buffer.from(
      `<?xml version="1.0" encoding="UTF-8"?>\n<question_categories>\n  <question_category id="1">\n    <name>Default</name>\n    <questions>\n${questions.join("\n")}\n    </questions>\n  </question_category>\n</question_categories>`,
    ),
    compressible: true,
  };
}

export async function generateTarGz(path: string, totalBytes: number): Promise<void> {
  const pack = tarStream.pack();
  const written = pipeline(pack, createGzip({ level: 6 }), createWriteStream(path));
  for (const member of members(totalBytes)) {
    await new Promise<void>((resolve, reject) =>
      pack.entry({ name: member.name, size: member.data.length }, member.data, (error) =>
        error ? reject(error) : resolve(),
      ),
    );
  }
  pack.finalize();
  await written;
}

export async function generateZip(path: string, totalBytes: number): Promise<void> {
  const archive = new ZipArchive({ zlib: { level: 6 } });
  const written = pipeline(archive, createWriteStream(path));
  for (const member of members(totalBytes)) {
    const added = new Promise<void>((resolve) => archive.once("entry", () => resolve()));
    archive.append(member.data, { name: member.name, store: !member.compressible });
    await added;
  }
  await archive.finalize();
  await written;
}
