import { existsSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  buildTarGz,
  buildTarGzBomb,
  buildZip,
  moodleBackupXml,
  noise,
} from "../../../test/support/archive-builder.ts";
import { fixture, fixtureDirectory, haveFixtures } from "../../../test/support/shared-fixtures.ts";
import { MbzError } from "./errors.ts";
import { inspectBackup } from "./inspect.ts";
import type { ArchiveLimits } from "./limits.ts";
import { sanitizeBackup } from "./sanitize.ts";

/**
 * Hostile and damaged archives, with the damage at every place a reader changes hands:
 * each 64 KiB boundary (gunzip's output chunks), each 1 MiB boundary (the file's read
 * buffers, two in flight), the headers and the zip's central directory. Each case must
 * end in an MbzError or a clean report, and nothing may reach the process: a stray
 * rejection or exception there takes a node down with every request it serves.
 */

const KiB = 1024;
const MiB = 1024 ** 2;
const GiB = 1024 ** 3;
/** A case that has not settled by then is a reader that lost its caller's promise. */
const CASE_DEADLINE_MS = 20_000;

interface Escape {
  readonly kind: "unhandledRejection" | "uncaughtException";
  readonly error: unknown;
}
const escapes: Escape[] = [];
const onRejection = (error: unknown) => escapes.push({ kind: "unhandledRejection", error });
const onException = (error: unknown) => escapes.push({ kind: "uncaughtException", error });

let directory: string;
let cases = 0;
let started = 0;
beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), "coursefed-fuzz-"));
  process.on("unhandledRejection", onRejection);
  process.on("uncaughtException", onException);
  started = performance.now();
});
afterAll(async () => {
  process.off("unhandledRejection", onRejection);
  process.off("uncaughtException", onException);
  await rm(directory, { recursive: true, force: true });
  console.log(
    `archive fuzz: ${cases} cases in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
});

/** Lets late rejections and stream errors of a finished case surface before judging it. */
async function settle(): Promise<void> {
  for (let turn = 0; turn < 2; turn++) await new Promise((resolve) => setImmediate(resolve));
}

/**
 * This process's descriptors still open on a file of the test's folder: a reader that
 * left one (a read parked forever behind a failed stream) holds it until the collector
 * happens by, and a node reading thousands of uploads runs out. Linux's /proc tells.
 */
function descriptorsLeftOpen(): string[] {
  const fds = "/proc/self/fd";
  if (!existsSync(fds)) return [];
  return readdirSync(fds)
    .map((fd) => {
      try {
        return readlinkSync(join(fds, fd));
      } catch {
        return "";
      }
    })
    .filter((target) => target.startsWith(directory));
}

/** Closing is asynchronous: a reader has this long after its answer to let go of its files. */
const CLOSE_GRACE_MS = 2000;

type Outcome = { readonly kind: "report" } | { readonly kind: "refused"; readonly error: MbzError };

let written = 0;
async function outcomeOf(
  bytes: Buffer,
  limits?: Partial<ArchiveLimits>,
  read: (path: string) => Promise<unknown> = (path) =>
    inspectBackup(path, limits ? { limits } : {}),
): Promise<Outcome> {
  cases++;
  const path = join(directory, `case-${written++}.mbz`);
  await writeFile(path, bytes);
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error("the reader never settled")), CASE_DEADLINE_MS);
  });
  let outcome: Outcome;
  try {
    await Promise.race([read(path), deadline]);
    outcome = { kind: "report" };
  } catch (error) {
    if (!(error instanceof MbzError)) throw error;
    // One line naming the problem, never a raw library message alone.
    expect(error.message).not.toContain("\n");
    outcome = { kind: "refused", error };
  } finally {
    clearTimeout(timer);
    await rm(path, { force: true });
  }
  await settle();
  expect(escapes.splice(0), "nothing may escape to the process").toEqual([]);
  for (const started = Date.now(); descriptorsLeftOpen().length > 0; ) {
    if (Date.now() - started > CLOSE_GRACE_MS) {
      expect(descriptorsLeftOpen(), "every file the reader opened is closed").toEqual([]);
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return outcome;
}

/** Offsets where damage tests a hand-over: boundaries, headers, the end of the file. */
function offsetsOf(length: number): number[] {
  const offsets = new Set<number>([1, 3, 10, 100, 512, 4096]);
  for (let boundary = 64 * KiB; boundary < length; boundary += 64 * KiB) offsets.add(boundary);
  for (const boundary of [MiB, 2 * MiB]) {
    for (const offset of [boundary - 1, boundary + 1]) offsets.add(offset);
  }
  // The zip's end record (22 bytes) and central directory, the tar's closing blocks.
  for (const back of [1, 22, 100, 1024]) offsets.add(length - back);
  offsets.add(Math.floor(length / 2));
  return [...offsets].filter((offset) => offset > 0 && offset < length).sort((a, b) => a - b);
}

function truncated(bytes: Buffer, offset: number): Buffer {
  return bytes.subarray(0, offset);
}

/** 16 bytes overwritten from `offset`: headers, lengths, deflate blocks and data alike. */
function corrupted(bytes: Buffer, offset: number): Buffer {
  const copy = Buffer.from(bytes);
  for (let i = offset; i < Math.min(offset + 16, copy.length); i++) {
    copy[i] = (copy[i] as number) ^ (0x5a + i);
  }
  return copy;
}

/** A generated backup big enough to span several read buffers, XML members throughout. */
async function generatedArchives(): Promise<Array<{ name: string; bytes: Buffer }>> {
  const xml = (seed: number) =>
    `<questions>${Array.from(
      { length: 1500 },
      (_, i) => `<question id="${i}"><name>q${(i * seed) % 9973}</name></question>`,
    ).join("")}</questions>`;
  const members = [
    { name: "moodle_backup.xml", data: moodleBackupXml({}) },
    { name: "files/0a/0a00000000000000000000000000000000000000", data: noise(1000 * KiB, 3) },
    { name: "questions.xml", data: xml(7) },
    { name: "files/0b/0b00000000000000000000000000000000000000", data: noise(1000 * KiB, 5) },
    { name: "course/course.xml", data: xml(13) },
    { name: "files/0c/0c00000000000000000000000000000000000000", data: noise(100 * KiB, 9) },
    { name: "files.xml", data: xml(17) },
  ];
  return [
    { name: "generated.tar.gz", bytes: await buildTarGz(members) },
    {
      name: "generated.zip",
      bytes: buildZip(members.map((member) => ({ ...member, deflate: true }))),
    },
  ];
}

const fixtures = haveFixtures()
  ? readdirSync(fixtureDirectory)
      .filter((name) => name.endsWith(".mbz"))
      .map((name) => ({ name, bytes: readFileSync(fixture(name)) }))
  : [];

describe("archive readers under damage", () => {
  it("end every truncated or corrupted generated archive in a refusal or a report", async () => {
    for (const { name, bytes } of await generatedArchives()) {
      expect(bytes.length, name).toBeGreaterThan(2 * MiB);
      expect((await outcomeOf(bytes)).kind, `${name} whole`).toBe("report");
      for (const offset of offsetsOf(bytes.length)) {
        const cut = await outcomeOf(truncated(bytes, offset));
        // A zip without its end record or a tar.gz without its end is never whole.
        expect(cut.kind, `${name} cut at ${offset}`).toBe("refused");
        await outcomeOf(corrupted(bytes, offset));
      }
    }
  });

  it.skipIf(fixtures.length === 0)(
    "end every truncated or corrupted real backup in a refusal or a report",
    async () => {
      for (const { name, bytes } of fixtures) {
        expect((await outcomeOf(bytes)).kind, `${name} whole`).toBe("report");
        const offsets = offsetsOf(bytes.length);
        for (const offset of offsets) {
          expect((await outcomeOf(truncated(bytes, offset))).kind, `${name} cut at ${offset}`).toBe(
            "refused",
          );
        }
        // A corrupted zip is read whole (its damage may lie in a member never inflated),
        // which takes seconds on the largest: a spread of at most eight offsets each.
        const step = Math.ceil(offsets.length / 8);
        for (const offset of offsets.filter((_, index) => index % step === 0)) {
          await outcomeOf(corrupted(bytes, offset));
        }
      }
    },
  );
});

describe("archive readers under bombs", () => {
  async function expectBomb(bytes: Buffer, limits?: Partial<ArchiveLimits>): Promise<MbzError> {
    const outcome = await outcomeOf(bytes, limits);
    if (outcome.kind !== "refused") throw new Error("the bomb was read as a backup");
    expect(["COMPRESSION_RATIO", "TOO_LARGE"]).toContain(outcome.error.code);
    return outcome.error;
  }

  it("refuses zip and tar.gz bombs: GiB of zeros after 0 to 2 MiB of data, one stream or many, declared or lying sizes", async () => {
    // A bomb after n MiB of genuine data may inflate to 200 times that: 2 MiB is enough
    // to put both read buffers in flight when the guard fires.
    for (const prefix of [0, MiB + 1, 2 * MiB + 1]) {
      const bomb = buildTarGzBomb(3 * GiB, noise(prefix, prefix + 1));
      const began = performance.now();
      const error = await expectBomb(bomb);
      expect(error.code).toBe("COMPRESSION_RATIO");
      // The guard fires within the first few MiB read, not after inflating GiB.
      expect(performance.now() - began).toBeLessThan(10_000);
    }
    // One deflate stream, as gzip writes it, rather than the builder's many members.
    const oneStream = await buildTarGz([{ name: "files/00/zeros", data: Buffer.alloc(128 * MiB) }]);
    expect(oneStream.length).toBeLessThan(MiB);
    await expectBomb(oneStream);
    // Zip: a member's declared ratio, the archive's declared total, a member that lies.
    const backup = { name: "moodle_backup.xml", data: moodleBackupXml({}) };
    await expectBomb(
      buildZip([backup, { name: "files/00/zeros", data: Buffer.alloc(128 * MiB), deflate: true }]),
    );
    await expectBomb(
      buildZip([
        backup,
        ...Array.from({ length: 40 }, (_, i) => ({
          name: `files/00/zeros${i}`,
          data: Buffer.alloc(2 * MiB),
          deflate: true,
        })),
      ]),
      { ratioGraceBytes: 16 * MiB },
    );
    // Declares 1000 bytes and inflates to 64 MiB: yauzl stops it at the declared size.
    const liar = await outcomeOf(
      buildZip([
        backup,
        {
          name: "questions.xml",
          data: Buffer.alloc(64 * MiB, 0x61),
          deflate: true,
          declaredSize: 1000,
        },
      ]),
    );
    expect(liar.kind).toBe("refused");
  });

  it("refuses a tar.gz bomb wherever its guard fires, by ratio or by size, within or across the read buffers", async () => {
    // A grace small enough to fire inside the first 64 KiB chunk, or after several
    // chunks and buffers, at offsets that are not aligned to anything; a ratio low
    // enough for 64 MiB of zeros after 2 MiB of noise to be a bomb.
    for (const grace of [1, 64 * KiB - 1, 64 * KiB, 300 * KiB, MiB, 3 * MiB + 7]) {
      for (const prefix of [0, 64 * KiB + 3, MiB - 1, MiB + 1, 2 * MiB]) {
        await expectBomb(buildTarGzBomb(64 * MiB, noise(prefix, grace)), {
          ratioGraceBytes: grace,
          maxCompressionRatio: 10,
        });
      }
    }
    for (const limit of [1, 64 * KiB, 64 * KiB + 1, MiB, 5 * MiB + 3]) {
      const error = await expectBomb(buildTarGzBomb(16 * MiB, noise(2 * MiB, 7)), {
        maxUncompressedBytes: limit,
        maxCompressionRatio: 1e9,
      });
      expect(error.code).toBe("TOO_LARGE");
    }
  });

  it("ends a sanitize whose input is cut between its passes in a refusal", async () => {
    // The zip's members are read by random access and may all be in hand before the cut:
    // it must not crash; the tar.gz is read in order and must be refused.
    const { truncateSync } = await import("node:fs");
    const [tarGz, zip] = await generatedArchives();
    for (const archive of [tarGz, zip]) {
      if (!archive) continue;
      const input = join(directory, `changing-${archive.name}`);
      for (const at of [1, MiB - 1, MiB, MiB + 1]) {
        const outcome = await outcomeOf(archive.bytes, undefined, async () => {
          await writeFile(input, archive.bytes);
          let cut = false;
          await sanitizeBackup(input, join(directory, "sanitized.mbz"), {
            onProgress: (phase, read) => {
              // The file changes under the writer: its second pass fails mid-way.
              if (phase === "write" && read >= Math.min(at, archive.bytes.length) && !cut) {
                cut = true;
                truncateSync(input, Math.floor(archive.bytes.length / 2));
              }
            },
          });
        });
        if (archive === tarGz) expect(outcome.kind, `${archive.name} cut at ${at}`).toBe("refused");
      }
    }
  });
});
