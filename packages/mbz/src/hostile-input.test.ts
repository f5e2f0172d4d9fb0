import { describe, expect, it } from "vitest";
import { buildTarGz, buildZip, moodleBackupXml } from "../../../test/support/archive-builder.ts";
import { scratchDirectory } from "../../../test/support/scratch-directory.ts";
import { MbzError, type MbzErrorCode } from "./errors.ts";
import { inspectBackup } from "./inspect.ts";
import type { ArchiveLimits } from "./limits.ts";

const { write } = scratchDirectory("coursefed-hostile-");

async function refusal(path: string, limits?: Partial<ArchiveLimits>): Promise<MbzError> {
  const error = await inspectBackup(path, limits ? { limits } : {}).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(MbzError);
  const refused = error as MbzError;
  // One line, naming the problem: never a stack trace or a raw library message alone.
  expect(refused.message).not.toContain("\n");
  return refused;
}

async function expectRefused(
  path: string,
  code: MbzErrorCode,
  mentions: string,
  limits?: Partial<ArchiveLimits>,
) {
  const error = await refusal(path, limits);
  expect(error.code).toBe(code);
  expect(error.message).toContain(mentions);
}

const backupXml = moodleBackupXml({});

describe("containers", () => {
  it("refuses a file that is not an archive", async () => {
    await expectRefused(
      await write("notes.mbz", "just some text"),
      "NOT_AN_ARCHIVE",
      "neither a zip nor",
    );
  });

  it("refuses an empty file", async () => {
    await expectRefused(await write("empty.mbz", ""), "NOT_AN_ARCHIVE", "empty");
  });

  it("decides by content, not by name", async () => {
    const zipNamedTgz = await write(
      "backup.tar.gz",
      buildZip([{ name: "moodle_backup.xml", data: backupXml }]),
    );
    expect((await inspectBackup(zipNamedTgz)).format).toBe("zip");
    const tgzNamedZip = await write(
      "backup.zip",
      await buildTarGz([{ name: "moodle_backup.xml", data: backupXml }]),
    );
    expect((await inspectBackup(tgzNamedZip)).format).toBe("tar.gz");
  });

  it("reads tar members written with a leading ./", async () => {
    const path = await write(
      "dot.mbz",
      await buildTarGz([{ name: "./moodle_backup.xml", data: backupXml }]),
    );
    expect((await inspectBackup(path)).course.shortname).toBe("GEN");
  });

  it("refuses a truncated tar.gz", async () => {
    const whole = await buildTarGz([
      { name: "moodle_backup.xml", data: backupXml },
      { name: "files/ab/abcdef", data: Buffer.alloc(200_000, 7) },
    ]);
    await expectRefused(
      await write("cut.mbz", whole.subarray(0, Math.floor(whole.length * 0.6))),
      "TRUNCATED",
      "truncated",
    );
  });

  it("refuses a truncated zip", async () => {
    const whole = buildZip([{ name: "moodle_backup.xml", data: backupXml, deflate: true }]);
    await expectRefused(
      await write("cut.zip", whole.subarray(0, whole.length - 30)),
      "TRUNCATED",
      "truncated",
    );
  });

  it("refuses gzip data that is not a tar", async () => {
    const { gzipSync } = await import("node:zlib");
    await expectRefused(
      await write("plain.gz", gzipSync(Buffer.alloc(4096, 65))),
      "CORRUPT",
      "damaged",
    );
  });
});

describe("member names and types", () => {
  for (const name of ["../evil.xml", "course/../../evil.xml", "/etc/passwd"]) {
    it(`refuses the zip member ${name}`, async () => {
      const path = await write(
        "traversal.zip",
        buildZip([{ name: "moodle_backup.xml", data: backupXml }, { name }]),
      );
      await expectRefused(
        path,
        "UNSAFE_MEMBER_NAME",
        name.replace(/^\//, "").length > 0 ? "outside" : "",
      );
    });
    it(`refuses the tar member ${name}`, async () => {
      const path = await write(
        "traversal.mbz",
        await buildTarGz([
          { name: "moodle_backup.xml", data: backupXml },
          { name, data: "x" },
        ]),
      );
      await expectRefused(path, "UNSAFE_MEMBER_NAME", name);
    });
  }

  it("refuses a symlink in a tar", async () => {
    const path = await write(
      "link.mbz",
      await buildTarGz([
        { name: "moodle_backup.xml", data: backupXml },
        { name: "files/aa/link", type: "symlink", linkname: "/etc/shadow" },
      ]),
    );
    await expectRefused(path, "LINK_MEMBER", "symbolic link");
  });

  it("refuses a hard link in a tar", async () => {
    const path = await write(
      "hardlink.mbz",
      await buildTarGz([
        { name: "moodle_backup.xml", data: backupXml },
        { name: "users.xml", type: "link", linkname: "moodle_backup.xml" },
      ]),
    );
    await expectRefused(path, "LINK_MEMBER", "hard link");
  });

  it("refuses a symlink in a zip", async () => {
    const path = await write(
      "link.zip",
      buildZip([
        { name: "moodle_backup.xml", data: backupXml },
        { name: "files.xml", data: "/etc/passwd", unixMode: 0o120777 },
      ]),
    );
    await expectRefused(path, "LINK_MEMBER", "files.xml");
  });

  it("refuses a member that appears twice", async () => {
    const path = await write(
      "twice.mbz",
      await buildTarGz([
        { name: "moodle_backup.xml", data: backupXml },
        { name: "./moodle_backup.xml", data: backupXml },
      ]),
    );
    await expectRefused(path, "DUPLICATE_MEMBER", "appears twice");
  });
});

describe("bombs", () => {
  it("refuses a zip whose declared sizes exceed the limit, before inflating", async () => {
    const path = await write(
      "declared.zip",
      buildZip([
        { name: "moodle_backup.xml", data: backupXml },
        { name: "files/00/big", data: "x", deflate: true, declaredSize: 4_000_000_000 },
      ]),
    );
    await expectRefused(path, "TOO_LARGE", "files/00/big", { maxUncompressedBytes: 1024 ** 3 });
  });

  it("refuses a highly compressed zip member", async () => {
    const path = await write(
      "ratio.zip",
      buildZip([
        { name: "moodle_backup.xml", data: backupXml },
        { name: "files/00/zeros", data: Buffer.alloc(8 * 1024 ** 2), deflate: true },
      ]),
    );
    await expectRefused(path, "COMPRESSION_RATIO", "files/00/zeros", {
      ratioGraceBytes: 1024 ** 2,
    });
  });

  it("refuses a tar.gz that inflates past the ratio limit, while streaming", async () => {
    const path = await write(
      "ratio.mbz",
      await buildTarGz([
        { name: "moodle_backup.xml", data: backupXml },
        { name: "files/00/zeros", data: Buffer.alloc(32 * 1024 ** 2) },
      ]),
    );
    await expectRefused(path, "COMPRESSION_RATIO", "expands", { ratioGraceBytes: 4 * 1024 ** 2 });
  });

  it("refuses a tar.gz that inflates past the size limit", async () => {
    const path = await write(
      "size.mbz",
      await buildTarGz([
        { name: "moodle_backup.xml", data: backupXml },
        {
          name: "files/00/random",
          data: Buffer.from(Array.from({ length: 3 * 1024 ** 2 }, (_, i) => (i * 7919) % 251)),
        },
      ]),
    );
    await expectRefused(path, "TOO_LARGE", "inflates to more than", {
      maxUncompressedBytes: 2 * 1024 ** 2,
    });
  });
});

describe("XML", () => {
  const laughs = `<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<moodle_backup>&lol2;</moodle_backup>`;
  const xxe = `<?xml version="1.0"?>
<!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<moodle_backup><information><name>&xxe;</name></information></moodle_backup>`;

  it("refuses entity expansion (billion laughs)", async () => {
    const path = await write(
      "laughs.mbz",
      await buildTarGz([{ name: "moodle_backup.xml", data: laughs }]),
    );
    await expectRefused(path, "XML_DOCTYPE", "moodle_backup.xml");
  });

  it("refuses external entities (XXE) in any member", async () => {
    const path = await write(
      "xxe.zip",
      buildZip([
        { name: "moodle_backup.xml", data: backupXml },
        { name: "course/course.xml", data: xxe },
      ]),
    );
    await expectRefused(path, "XML_DOCTYPE", "course/course.xml");
  });

  it("refuses undeclared entities", async () => {
    const path = await write(
      "entity.mbz",
      await buildTarGz([
        { name: "moodle_backup.xml", data: backupXml.replace("GEN", "&undefined;") },
      ]),
    );
    await expectRefused(path, "XML_MALFORMED", "moodle_backup.xml");
  });

  it("refuses a malformed moodle_backup.xml", async () => {
    const path = await write(
      "broken.mbz",
      await buildTarGz([{ name: "moodle_backup.xml", data: backupXml.slice(0, 900) }]),
    );
    await expectRefused(path, "XML_MALFORMED", "never closed");
  });

  it("refuses XML that is not UTF-8", async () => {
    const bytes = Buffer.concat([
      Buffer.from(backupXml.slice(0, 400)),
      Buffer.from([0xc3, 0x28]),
      Buffer.from(backupXml.slice(400)),
    ]);
    const path = await write(
      "latin.mbz",
      await buildTarGz([{ name: "moodle_backup.xml", data: bytes }]),
    );
    await expectRefused(path, "XML_MALFORMED", "UTF-8");
  });

  it("refuses an archive without moodle_backup.xml", async () => {
    const path = await write(
      "nobackup.zip",
      buildZip([{ name: "course/course.xml", data: "<course/>" }]),
    );
    await expectRefused(path, "NOT_A_MOODLE_BACKUP", "no moodle_backup.xml");
  });

  it("refuses a moodle_backup.xml without a Moodle version", async () => {
    const path = await write(
      "noversion.mbz",
      await buildTarGz([
        {
          name: "moodle_backup.xml",
          data: backupXml.replace(/<moodle_version>[^<]*<\/moodle_version>/, ""),
        },
      ]),
    );
    await expectRefused(path, "NOT_A_MOODLE_BACKUP", "<moodle_version>");
  });

  it("refuses a gigantic XML member with bounded memory", async () => {
    // 64 MiB of one text node: the parser flushes text, the cap stops the read.
    const huge = Buffer.alloc(64 * 1024 ** 2, 0x61);
    const data = Buffer.concat([
      Buffer.from("<questions><question><name>"),
      huge,
      Buffer.from("</name></question></questions>"),
    ]);
    const path = await write(
      "huge.mbz",
      await buildTarGz([
        { name: "moodle_backup.xml", data: backupXml },
        { name: "questions.xml", data },
      ]),
    );
    const before = process.memoryUsage().rss;
    await expectRefused(path, "XML_MEMBER_TOO_LARGE", "questions.xml", {
      maxXmlMemberBytes: 16 * 1024 ** 2,
      maxCompressionRatio: 10_000,
    });
    expect(process.memoryUsage().rss - before).toBeLessThan(200 * 1024 ** 2);
  });

  it("refuses a gigantic zip XML member from its declared size", async () => {
    const path = await write(
      "huge.zip",
      buildZip([
        { name: "moodle_backup.xml", data: backupXml },
        { name: "questions.xml", data: "x", deflate: true, declaredSize: 2 * 1024 ** 3 },
      ]),
    );
    await expectRefused(path, "XML_MEMBER_TOO_LARGE", "questions.xml", {
      maxCompressionRatio: 1e12,
    });
  });
});
