import { closeSync, createReadStream, createWriteStream, openSync } from "node:fs";
import { mkdtemp, rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { type Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { TarArchive, ZipArchive } from "archiver";
import { type ArchiveMember, readArchive } from "./archive-reader.ts";
import { MbzError } from "./errors.ts";
import { BackupAnalysis, type BackupReport, inspectBackup } from "./inspect.ts";
import { type ArchiveLimits, resolveLimits } from "./limits.ts";
import { isUserFileArea, isUserRecord, userDataRulesFor } from "./personal-data.ts";
import { type EditRule, XmlRewriter } from "./xml-rewriter.ts";

export interface SanitizeOptions {
  readonly limits?: Partial<ArchiveLimits>;
  readonly onProgress?: (
    phase: "scan" | "write" | "verify",
    bytesRead: number,
    totalBytes: number,
  ) => void;
}

export interface SanitizeResult {
  /** The input as it was. */
  readonly before: BackupReport;
  /** The written archive, re-inspected from disk. */
  readonly after: BackupReport;
  /** Archive members left out: users.xml and files that only user data referred to. */
  readonly removedMembers: number;
  readonly rewrittenMembers: number;
}

/**
 * Root settings that claim user data. With these at 0 Moodle's restore does not look
 * for user data at all, which is what a backup made "without users" says.
 */
const USER_DATA_SETTINGS = new Set([
  "users",
  "role_assignments",
  "userscompletion",
  "logs",
  "grade_histories",
  "comments",
  "xapistate",
]);

const INDEX_MEMBER = ".ARCHIVE_INDEX";

/**
 * Writes a copy of a backup with all personal data removed, in the same container.
 * Members with nothing to remove are copied unchanged; XML members lose only the
 * records that hold user data. The output is re-inspected and refused unless clean.
 */
export async function sanitizeBackup(
  inputPath: string,
  outputPath: string,
  options: SanitizeOptions = {},
): Promise<SanitizeResult> {
  const limits = resolveLimits(options.limits);
  const workDir = await mkdtemp(join(dirname(outputPath), `.${basename(outputPath)}.sanitize-`));
  const partialPath = join(workDir, "archive.partial");
  try {
    const rewritten = new Map<string, RewrittenMember>();
    const analysis = new BackupAnalysis(limits, (member) =>
      rewriterFor(member, workDir, rewritten),
    );
    let identity: Awaited<ReturnType<typeof readArchive>>;
    try {
      identity = await readArchive(inputPath, analysis.visitor(), {
        limits,
        onProgress: (read, total) => options.onProgress?.("scan", read, total),
      });
    } finally {
      for (const { fd } of rewritten.values()) closeSync(fd);
    }
    const before = analysis.report(identity);
    const unremovable = before.personalData.unrecognisedPlugins;
    if (unremovable.length > 0) {
      throw new MbzError(
        "SANITIZE_UNSUPPORTED",
        `Cannot safely remove the user data of ${unremovable.join(", ")}: coursefed does not know where ${unremovable.length > 1 ? "these plugins keep" : "this plugin keeps"} it. Make a new backup in Moodle with "Include enrolled users" unticked instead.`,
      );
    }
    const dropped = new Set<string>(["users.xml"]);
    for (const [hash, { userDataOnly }] of analysis.inventory.referencedBlobs) {
      if (userDataOnly) dropped.add(`files/${hash.slice(0, 2)}/${hash}`);
    }
    const sizes = new Map<string, number>();
    for (const [member, { rewriter }] of rewritten) sizes.set(member, rewriter.bytesWritten);

    const removedMembers = await writeArchive(inputPath, partialPath, before.format, {
      limits,
      dropped,
      rewritten,
      sizes,
      onProgress: (read, total) => options.onProgress?.("write", read, total),
    });
    const after = await inspectBackup(partialPath, {
      limits,
      onProgress: (read, total) => options.onProgress?.("verify", read, total),
    });
    if (after.personalData.verdict !== "clean") {
      const left = after.personalData.findings.map(
        (finding) => `${finding.category} (${finding.count})`,
      );
      throw new MbzError(
        "SANITIZE_INCOMPLETE",
        `Sanitizing left personal data in the output (${left.join(", ")}); nothing was written. Please report this backup to the coursefed developers.`,
      );
    }
    await rename(partialPath, outputPath);
    return {
      before,
      after,
      removedMembers,
      rewrittenMembers: rewritten.size,
    };
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

/** The edits a member needs, or none. */
function editRulesFor(member: string): EditRule[] {
  const rules: EditRule[] = [];
  for (const record of userDataRulesFor(member)?.records ?? []) {
    rules.push({
      path: record.path,
      edit: (fields) => (isUserRecord(record, fields) ? "drop" : "keep"),
    });
  }
  if (member === "moodle_backup.xml") {
    rules.push({
      path: ["moodle_backup", "information", "settings", "setting"],
      edit: (fields) => {
        const name = fields.name ?? "";
        const claimsUsers =
          (fields.level === "root" && USER_DATA_SETTINGS.has(name)) || name.endsWith("_userinfo");
        return claimsUsers && fields.value !== "0"
          ? { replace: (text: string) => text.replace(/<value>[^<]*<\/value>/, "<value>0</value>") }
          : "keep";
      },
    });
  }
  if (member === "files.xml") {
    rules.push({
      path: ["files", "file"],
      edit: (fields) =>
        isUserFileArea(fields.component ?? "", fields.filearea ?? "") ? "drop" : "keep",
    });
  }
  if (member.endsWith("inforef.xml")) {
    // References to the users removed with users.xml.
    rules.push({ path: ["inforef", "userref", "user"], edit: () => "drop" });
  }
  return rules;
}

function rewriterFor(
  member: string,
  workDir: string,
  rewritten: Map<string, RewrittenMember>,
): XmlRewriter | undefined {
  const rules = editRulesFor(member);
  if (rules.length === 0) return undefined;
  const path = join(workDir, `member-${rewritten.size}.xml`);
  const fd = openSync(path, "w");
  const rewriter = new XmlRewriter(fd, rules);
  rewritten.set(member, { path, fd, rewriter });
  return rewriter;
}

/** A member's new text, in a temporary file while the archive is being rewritten. */
interface RewrittenMember {
  readonly path: string;
  readonly fd: number;
  readonly rewriter: XmlRewriter;
}

interface WriteOptions {
  readonly limits: ArchiveLimits;
  readonly dropped: ReadonlySet<string>;
  readonly rewritten: ReadonlyMap<string, { path: string }>;
  readonly sizes: ReadonlyMap<string, number>;
  readonly onProgress: (bytesRead: number, totalBytes: number) => void;
}

async function writeArchive(
  inputPath: string,
  outputPath: string,
  format: BackupReport["format"],
  { limits, dropped, rewritten, sizes, onProgress }: WriteOptions,
): Promise<number> {
  let removed = 0;
  const archive =
    format === "zip"
      ? new ZipArchive({ zlib: { level: 6 } })
      : new TarArchive({ gzip: true, gzipOptions: { level: 6 } });
  const written = pipeline(archive, createWriteStream(outputPath));
  // Awaited only once reading is done; a disk that fills before then must not leave its
  // rejection unhandled meanwhile (the append in progress hears of it and stops reading).
  written.catch(() => {});
  const append = (source: Readable | Buffer, member: ArchiveMember, size: number) =>
    new Promise<void>((resolve, reject) => {
      archive.once("error", reject);
      archive.append(source, {
        name: member.name,
        date: member.modifiedAt,
        ...(member.mode !== undefined ? { mode: member.mode } : {}),
        ...(Buffer.isBuffer(source) ? {} : { stats: { size } as never }),
      });
      const done = () => {
        archive.off("error", reject);
        resolve();
      };
      if (Buffer.isBuffer(source)) setImmediate(done);
      else source.once("end", done).once("close", done);
    });

  // A rewritten member's file is opened when it is handed to the writer, which may not
  // have read it yet when the copy fails: those are closed here, not left to the process's end.
  const opened = new Set<Readable>();
  const openRewritten = (path: string): Readable => {
    const stream = createReadStream(path);
    opened.add(stream);
    stream.once("close", () => opened.delete(stream));
    return stream;
  };

  const copied = readArchive(
    inputPath,
    {
      member(member) {
        if (member.isDirectory) {
          archive.append(
            null as never,
            { name: member.name, date: member.modifiedAt, type: "directory" } as never,
          );
          return undefined;
        }
        if (dropped.has(member.name)) {
          removed++;
          return undefined;
        }
        const replacement = rewritten.get(member.name);
        if (replacement) {
          return async (content) => {
            await pipeline(
              content,
              new Writable({ write: (_chunk, _encoding, callback) => callback() }),
            );
            await append(openRewritten(replacement.path), member, sizes.get(member.name) ?? 0);
          };
        }
        if (member.name === INDEX_MEMBER) {
          return async (content) => {
            const chunks: Buffer[] = [];
            for await (const chunk of content) chunks.push(chunk as Buffer);
            const index = rewriteIndex(Buffer.concat(chunks).toString("utf8"), dropped, sizes);
            await append(Buffer.from(index, "utf8"), member, index.length);
          };
        }
        return (content) => append(content, member, member.size);
      },
    },
    { limits, onProgress },
  );
  try {
    await copied;
  } catch (error) {
    // The writer stops here too; its own failure (if any) follows from this one.
    archive.destroy();
    for (const stream of opened) stream.destroy();
    await written.catch(() => {});
    throw error;
  }
  await archive.finalize();
  await written;
  return removed;
}

/**
 * Moodle's tgz packer lists every member in .ARCHIVE_INDEX with its size, and its
 * extractor trusts that list: it must describe the new archive exactly.
 */
function rewriteIndex(
  index: string,
  dropped: ReadonlySet<string>,
  sizes: ReadonlyMap<string, number>,
): string {
  const [header = "", ...lines] = index.split("\n");
  const kept: string[] = [];
  for (const line of lines) {
    if (line === "") continue;
    const fields = line.split("\t");
    const name = (fields[0] ?? "").replace(/^\.\//, "");
    if (dropped.has(name)) continue;
    const size = sizes.get(name);
    if (size !== undefined && fields.length >= 3) fields[2] = String(size);
    kept.push(fields.join("\t"));
  }
  const counted = header.replace(/Count: \d+/, `Count: ${kept.length}`);
  return `${[counted, ...kept].join("\n")}\n`;
}
