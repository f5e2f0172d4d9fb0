import { crc32, deflateRawSync, gunzipSync, gzipSync } from "node:zlib";
import tarStream from "tar-stream";

/** Builds archives byte by byte, including ones no honest tool would write. */
export interface ZipEntrySpec {
  readonly name: string;
  readonly data?: Buffer | string;
  readonly deflate?: boolean;
  /** Unix mode including the file type bits, e.g. 0o120777 for a symlink. */
  readonly unixMode?: number;
  /** Lie about the uncompressed size in both headers. */
  readonly declaredSize?: number;
}

export function buildZip(entries: readonly ZipEntrySpec[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const data = Buffer.from(entry.data ?? "");
    const stored = entry.deflate ? deflateRawSync(data) : data;
    const name = Buffer.from(entry.name, "utf8");
    const size = entry.declaredSize ?? data.length;
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(entry.deflate ? 8 : 0, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(stored.length, 18);
    local.writeUInt32LE(size, 22);
    local.writeUInt16LE(name.length, 26);
    locals.push(local, name, stored);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE((3 << 8) | 20, 4); // made on Unix
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(entry.deflate ? 8 : 0, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(stored.length, 20);
    central.writeUInt32LE(size, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(((entry.unixMode ?? 0o100644) << 16) >>> 0, 38);
    central.writeUInt32LE(offset, 42);
    centrals.push(central, name);
    offset += 30 + name.length + stored.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

export interface TarEntrySpec {
  readonly name: string;
  readonly data?: Buffer | string;
  readonly type?: "file" | "directory" | "symlink" | "link";
  readonly linkname?: string;
}

export async function buildTarGz(entries: readonly TarEntrySpec[]): Promise<Buffer> {
  const pack = tarStream.pack();
  const chunks: Buffer[] = [];
  pack.on("data", (chunk) => {
    chunks.push(chunk as Buffer);
  });
  const ended = new Promise<void>((resolve) => pack.on("end", () => resolve()));
  for (const entry of entries) {
    const data = Buffer.from(entry.data ?? "");
    const type = entry.type ?? "file";
    const header = {
      name: entry.name,
      type,
      size: type === "file" ? data.length : 0,
      ...(entry.linkname ? { linkname: entry.linkname } : {}),
    };
    if (type === "file") pack.entry(header, data);
    else pack.entry(header, () => {});
  }
  pack.finalize();
  await ended;
  return gzipSync(Buffer.concat(chunks));
}

/**
 * The members of a tar.gz, files and folders in archive order: with buildTarGz, a real
 * backup can be rewritten member by member into a later revision of itself.
 */
export async function readTarGz(bytes: Buffer): Promise<TarEntrySpec[]> {
  const extract = tarStream.extract();
  const entries: TarEntrySpec[] = [];
  const done = new Promise<void>((resolve, reject) => {
    extract.on("entry", (header, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on("data", (chunk: unknown) => {
        chunks.push(chunk as Buffer);
      });
      stream.on("end", () => {
        entries.push(
          header.type === "directory"
            ? { name: header.name, type: "directory" }
            : { name: header.name, data: Buffer.concat(chunks) },
        );
        next();
      });
    });
    extract.on("finish", () => resolve());
    extract.on("error", reject);
  });
  extract.end(gunzipSync(bytes));
  await done;
  return entries;
}

/** A moodle_backup.xml with the given root settings and activities. */
export function moodleBackupXml(options: {
  readonly users?: boolean;
  readonly activities?: ReadonlyArray<{
    readonly module: string;
    readonly id: number;
    readonly title: string;
  }>;
  readonly release?: string;
}): string {
  const activities = options.activities ?? [];
  const setting = (name: string, value: string) =>
    `      <setting>\n        <level>root</level>\n        <name>${name}</name>\n        <value>${value}</value>\n      </setting>\n`;
  return `<?xml version="1.0" encoding="UTF-8"?>
<moodle_backup>
  <information>
    <name>generated.mbz</name>
    <moodle_version>2024100706</moodle_version>
    <moodle_release>4.5.6 (Build: 20250811)</moodle_release>
    <backup_version>2024100700</backup_version>
    <backup_release>${options.release ?? "4.5"}</backup_release>
    <backup_date>1700000000</backup_date>
    <include_files>1</include_files>
    <original_wwwroot>https://moodle.example</original_wwwroot>
    <original_site_identifier_hash>0123456789abcdef</original_site_identifier_hash>
    <original_course_id>7</original_course_id>
    <original_course_format>topics</original_course_format>
    <original_course_fullname>Generated course</original_course_fullname>
    <original_course_shortname>GEN</original_course_shortname>
    <original_course_startdate>1700000000</original_course_startdate>
    <original_course_enddate>0</original_course_enddate>
    <details>
      <detail backup_id="generated">
        <type>course</type>
        <format>moodle2</format>
        <mode>10</mode>
      </detail>
    </details>
    <contents>
      <activities>
${activities
  .map(
    (activity) => `        <activity>
          <moduleid>${activity.id}</moduleid>
          <sectionid>1</sectionid>
          <modulename>${activity.module}</modulename>
          <title>${activity.title}</title>
          <directory>activities/${activity.module}_${activity.id}</directory>
        </activity>`,
  )
  .join("\n")}
      </activities>
      <sections>
        <section>
          <sectionid>1</sectionid>
          <title>0</title>
          <directory>sections/section_1</directory>
        </section>
      </sections>
      <course>
        <courseid>7</courseid>
        <title>GEN</title>
        <directory>course</directory>
      </course>
    </contents>
    <settings>
${setting("users", options.users ? "1" : "0")}${setting("activities", "1")}${setting("files", "1")}    </settings>
  </information>
</moodle_backup>`;
}

/**
 * A backup whose third-party activity "pollster" holds a vote tied to a user, in the
 * given form: as a <userid> child or as a userid="..." attribute.
 */
export function unknownPluginWithUserData(form: "child" | "attribute"): TarEntrySpec[] {
  const vote =
    form === "child" ? "<vote><userid>4</userid><choice>2</choice></vote>" : '<vote userid="4"/>';
  return [
    {
      name: "moodle_backup.xml",
      data: moodleBackupXml({
        users: true,
        activities: [{ module: "pollster", id: 9, title: "Poll" }],
      }),
    },
    {
      name: "activities/pollster_9/pollster.xml",
      data: `<activity><pollster><votes>${vote}</votes></pollster></activity>`,
    },
  ];
}

/**
 * A tar.gz whose one member is `zeros` bytes of zeros, after `prefix` (incompressible
 * bytes, so that the bomb goes off only once that much of the file has been read).
 * The gzip stream is many members, each 1 MiB of zeros compressed once and repeated:
 * gunzip reads them as one stream, so a few MB expand to GiB without ever being built.
 */
export function buildTarGzBomb(zeros: number, prefix: Buffer = Buffer.alloc(0)): Buffer {
  const mebibyte = 1024 ** 2;
  const size = prefix.length + zeros;
  const header = Buffer.alloc(512);
  header.write("files/00/zeros", 0);
  header.write("0000644\0", 100);
  header.write("0000000\0", 108);
  header.write("0000000\0", 116);
  header.write(`${size.toString(8).padStart(11, "0")}\0`, 124);
  header.write("00000000000\0", 136);
  header.write("        ", 148);
  header.write("0", 156);
  header.write("ustar\0", 257);
  header.write("00", 263);
  const checksum = header.reduce((sum, byte) => sum + byte, 0);
  header.write(`${checksum.toString(8).padStart(6, "0")}\0 `, 148);
  const zerosMember = gzipSync(Buffer.alloc(mebibyte), { level: 9 });
  const parts = [gzipSync(Buffer.concat([header, prefix]), { level: 0 })];
  // The member's padding to 512 bytes and the two empty blocks that end a tar are zeros too.
  const end = ((512 - (size % 512)) % 512) + 1024;
  for (let left = zeros + end; left > 0; left -= mebibyte) {
    parts.push(left >= mebibyte ? zerosMember : gzipSync(Buffer.alloc(left), { level: 9 }));
  }
  return Buffer.concat(parts);
}

/** Bytes that do not compress, the same on every run. */
export function noise(length: number, seed = 1): Buffer {
  const bytes = Buffer.alloc(length);
  let state = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    // xorshift32
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    bytes[i] = state & 0xff;
  }
  return bytes;
}
