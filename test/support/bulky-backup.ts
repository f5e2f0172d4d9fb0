import { createHash, randomBytes } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { stat } from "node:fs/promises";
import { pipeline } from "node:stream/promises";
import { createGunzip, createGzip } from "node:zlib";
import tarStream from "tar-stream";

/** What buildBulkyBackup added to the course, to find it again on the site. */
export interface BulkyBackup {
  /** The archive's size in bytes. */
  readonly size: number;
  /** The files added to the course summary area, by name, each with its size and SHA-1. */
  readonly files: ReadonlyArray<{
    readonly name: string;
    readonly size: number;
    readonly sha1: string;
  }>;
}

/**
 * A real course backup (a tar.gz fixture) made large: `count` files of `fileBytes` random,
 * incompressible bytes are added to the course's summary area, listed in files.xml like
 * any file Moodle backs up, so a restore puts every byte of them into the site's file pool
 * (restore_course_structure_step restores the course's summary files), where a test finds
 * them. Written as a stream: a 200 MB archive never sits in memory, one file at a time does.
 */
export async function buildBulkyBackup(
  fixturePath: string,
  outputPath: string,
  options: { readonly count: number; readonly fileBytes: number },
): Promise<BulkyBackup> {
  const entries: Array<{ header: tarStream.Header; data: Buffer }> = [];
  const extract = tarStream.extract();
  extract.on("entry", (header, stream, next) => {
    const chunks: Buffer[] = [];
    stream.on("data", (chunk: unknown) => {
      chunks.push(chunk as Buffer);
    });
    stream.on("end", () => {
      entries.push({ header, data: Buffer.concat(chunks) });
      next();
    });
  });
  await pipeline(createReadStream(fixturePath), createGunzip(), extract);

  const course = entries.find(
    (entry) => entry.header.name.replace(/^\.\//, "") === "course/course.xml",
  );
  const contextId = /<course id="\d+" contextid="(\d+)"/.exec(course?.data.toString() ?? "")?.[1];
  if (!contextId) throw new Error(`${fixturePath} has no course/course.xml with a context id.`);

  const pack = tarStream.pack();
  const written = pipeline(pack, createGzip({ level: 1 }), createWriteStream(outputPath));
  const add = (header: Pick<tarStream.Header, "name"> & Partial<tarStream.Header>, data: Buffer) =>
    new Promise<void>((resolve, reject) =>
      pack.entry({ ...header, size: data.length }, data, (error) =>
        error ? reject(error) : resolve(),
      ),
    );
  const isFilesXml = (entry: { header: tarStream.Header }) =>
    entry.header.name.replace(/^\.\//, "") === "files.xml";
  // A file is restored only if an inforef.xml names it: the course's names them all.
  const fileIds = Array.from({ length: options.count }, (_, i) => 900_000 + i);
  const fileref = `  <fileref>\n${fileIds.map((id) => `    <file>\n      <id>${id}</id>\n    </file>`).join("\n")}\n  </fileref>\n`;
  for (const entry of entries.filter((each) => !isFilesXml(each))) {
    const name = entry.header.name.replace(/^\.\//, "");
    const data =
      name === "course/inforef.xml"
        ? Buffer.from(entry.data.toString().replace("</inforef>", `${fileref}</inforef>`))
        : entry.data;
    await add(entry.header, data);
  }

  // Each file made, packed and let go before the next; files.xml, which lists them, last
  // (Moodle unpacks the whole archive before it reads anything).
  const files: Array<{ name: string; size: number; sha1: string }> = [];
  const listed: string[] = [];
  for (let i = 0; i < options.count; i++) {
    const data = randomBytes(options.fileBytes);
    const sha1 = createHash("sha1").update(data).digest("hex");
    const name = `bulk-${i}.bin`;
    files.push({ name, size: data.length, sha1 });
    await add({ name: `files/${sha1.slice(0, 2)}/${sha1}`, type: "file" }, data);
    listed.push(`  <file id="${fileIds[i]}">
    <contenthash>${sha1}</contenthash>
    <contextid>${contextId}</contextid>
    <component>course</component>
    <filearea>summary</filearea>
    <itemid>0</itemid>
    <filepath>/</filepath>
    <filename>${name}</filename>
    <userid>$@NULL@$</userid>
    <filesize>${data.length}</filesize>
    <mimetype>application/octet-stream</mimetype>
    <status>0</status>
    <timecreated>1700000000</timecreated>
    <timemodified>1700000000</timemodified>
    <source>${name}</source>
    <author>$@NULL@$</author>
    <license>cc-4.0</license>
    <sortorder>0</sortorder>
    <repositorytype>$@NULL@$</repositorytype>
    <repositoryid>$@NULL@$</repositoryid>
    <reference>$@NULL@$</reference>
  </file>`);
  }
  const original = entries.find(isFilesXml);
  if (!original) throw new Error(`${fixturePath} has no files.xml.`);
  await add(
    original.header,
    Buffer.from(original.data.toString().replace("</files>", `${listed.join("\n")}\n</files>`)),
  );
  pack.finalize();
  await written;
  return { size: (await stat(outputPath)).size, files };
}
