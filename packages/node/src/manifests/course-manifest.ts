import type { webcrypto } from "node:crypto";
import type { BackupReport } from "@coursefed/mbz";
import { countActivities } from "@coursefed/moodle";
import { CompactSign, compactVerify, decodeProtectedHeader } from "jose";
import { z } from "zod";

export const MBZ_MEDIA_TYPE = "application/vnd.moodle.backup";
export const MANIFEST_MEDIA_TYPE = "application/json";
const MANIFEST_TYPE = "application/vnd.coursefed.manifest+json";

/**
 * What a publishing node vouches for about one revision of a course: signed, so a
 * receiver can trust it (and the archive digest in it) whichever server relayed it.
 */
export interface CourseManifest {
  readonly object: string;
  readonly revision: number;
  readonly archive: {
    readonly sha256: string;
    readonly size: number;
    readonly format: "zip" | "tar.gz";
  };
  readonly moodle: {
    readonly version: string;
    readonly release: string;
    readonly backupRelease: string;
  };
  readonly course: {
    readonly fullname: string;
    readonly shortname: string;
    readonly format: string | null;
  };
  readonly type: BackupReport["type"];
  readonly sections: number;
  readonly activities: Readonly<Record<string, number>>;
  readonly questionTypes: Readonly<Record<string, number>>;
  readonly languages: readonly string[];
  readonly requiredPlugins: readonly string[];
  /**
   * The version of each plugin the backup was written with, where the backup says (its
   * activities' and blocks'), so receivers can tell a site whose plugin is too old.
   * Absent from manifests signed before it was added.
   */
  readonly pluginVersions?: Readonly<Record<string, number>>;
  readonly license: string | null;
  readonly personalData: "clean";
  readonly derivedFrom: { readonly object: string; readonly revision: number } | null;
  /**
   * Every ancestor along `derivedFrom`, the source first, as the publishing node knew them
   * when it checked their licences: a receiver that holds none of them still reads the
   * chain, vouched for by this signature. Absent from manifests signed before it was added.
   */
  readonly credits?: readonly LineageCredit[];
  readonly publishedAt: string;
}

/** One ancestor of a derived course, credited: what it was, by whom, under what licence. */
export interface LineageCredit {
  readonly object: string;
  readonly revision: number;
  /** Null when the ancestor could not be read (not in the catalog, its node unreachable). */
  readonly title: string | null;
  readonly authors: readonly string[];
  readonly institution: string | null;
  readonly license: string | null;
  /** Where people read about it: its course page. */
  readonly url: string;
}

export function buildManifest(
  report: BackupReport,
  publication: {
    readonly object: string;
    readonly revision: number;
    readonly license: string | null;
    readonly derivedFrom?: CourseManifest["derivedFrom"];
    readonly credits?: readonly LineageCredit[];
    readonly publishedAt: Date;
  },
): CourseManifest {
  return {
    object: publication.object,
    revision: publication.revision,
    archive: { sha256: report.sha256, size: report.size, format: report.format },
    moodle: {
      version: report.moodleVersion,
      release: report.moodleRelease,
      backupRelease: report.backupRelease,
    },
    course: {
      fullname: report.course.fullname,
      shortname: report.course.shortname,
      format: report.course.format,
    },
    type: report.type,
    sections: report.sections.length,
    activities: countActivities(report.activities),
    questionTypes: report.questionBank.byQtype,
    languages: report.languages,
    requiredPlugins: report.requiredPlugins,
    pluginVersions: report.pluginVersions,
    license: publication.license,
    personalData: "clean",
    derivedFrom: publication.derivedFrom ?? null,
    ...(publication.credits?.length ? { credits: publication.credits } : {}),
    publishedAt: publication.publishedAt.toISOString(),
  };
}

/** Signs the manifest as a compact JWS with the actor's Ed25519 key. */
export async function signManifest(
  manifest: CourseManifest,
  privateKey: webcrypto.CryptoKey,
  keyId: string,
): Promise<string> {
  return await new CompactSign(new TextEncoder().encode(JSON.stringify(manifest)))
    .setProtectedHeader({ alg: "EdDSA", kid: keyId, typ: MANIFEST_TYPE })
    .sign(privateKey);
}

/** A manifest this node signed, read without verifying: it comes from its own database. */
export function readOwnManifest(jws: string): CourseManifest {
  const payload = jws.split(".")[1] ?? "";
  return JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as CourseManifest;
}

/**
 * The fields a receiver relies on. A peer's signature says who wrote a manifest, not that
 * it is well formed; unknown fields are kept, for manifests from newer nodes.
 */
const ReceivedManifest = z.looseObject({
  object: z.url(),
  revision: z.int().min(1),
  archive: z.looseObject({
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    size: z.int().min(0),
    format: z.enum(["zip", "tar.gz"]),
  }),
  moodle: z.looseObject({ version: z.string(), release: z.string(), backupRelease: z.string() }),
  course: z.looseObject({
    fullname: z.string(),
    shortname: z.string(),
    format: z.string().nullable(),
  }),
  activities: z.record(z.string(), z.int().min(0)),
  languages: z.array(z.string()),
  requiredPlugins: z.array(z.string()),
  pluginVersions: z.record(z.string(), z.number()).optional(),
  license: z.string().nullable(),
  derivedFrom: z.object({ object: z.url(), revision: z.int().min(1) }).nullable(),
  credits: z
    .array(
      z.looseObject({
        object: z.url(),
        revision: z.int().min(1),
        title: z.string().max(300).nullable(),
        authors: z.array(z.string().max(300)).max(20),
        institution: z.string().max(300).nullable(),
        license: z.string().max(100).nullable(),
        url: z.url(),
      }),
    )
    .max(50)
    .optional(),
  publishedAt: z.iso.datetime({ offset: true }),
});

export class ManifestError extends Error {
  override readonly name = "ManifestError";
}

/**
 * Checks a manifest's signature with the key its header names, which `resolveKey` must
 * only find among the keys of the actor that published the course.
 */
export async function verifyManifest(
  jws: string,
  resolveKey: (keyId: string) => Promise<webcrypto.CryptoKey | undefined>,
): Promise<CourseManifest> {
  let keyId: string | undefined;
  try {
    keyId = decodeProtectedHeader(jws).kid;
  } catch {
    throw new ManifestError("The manifest is not a JWS.");
  }
  if (!keyId) throw new ManifestError("The manifest's signature names no key.");
  const key = await resolveKey(keyId);
  if (!key)
    throw new ManifestError(
      `The manifest is signed with ${keyId}, which is not a key of the publishing actor.`,
    );
  let payload: Uint8Array;
  try {
    ({ payload } = await compactVerify(jws, key, { algorithms: ["EdDSA", "Ed25519"] }));
  } catch (error) {
    throw new ManifestError(
      `The manifest's signature does not verify: ${(error as Error).message}`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(payload));
  } catch {
    throw new ManifestError("The manifest is signed but is not JSON.");
  }
  const checked = ReceivedManifest.safeParse(parsed);
  if (!checked.success) {
    const issue = checked.error.issues[0];
    throw new ManifestError(
      `The manifest is malformed at ${issue?.path.join(".") || "its top"}: ${issue?.message}.`,
    );
  }
  return checked.data as unknown as CourseManifest;
}
