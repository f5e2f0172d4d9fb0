import type { webcrypto } from "node:crypto";
import { createReadStream } from "node:fs";
import { join } from "node:path";
import {
  type BackupReport,
  inspectBackup,
  MbzError,
  type PersonalDataFinding,
  sanitizeBackup,
} from "@coursefed/mbz";
import type { LocalActor, LocalActorRepository } from "../actors/local-actors.ts";
import type { Outbound } from "../actors/outbound.ts";
import type { BlobStore } from "../blobs/blob-store.ts";
import type { CatalogRepository } from "../catalog/catalog-repository.ts";
import { CodedError } from "../coded-error.ts";
import {
  buildManifest,
  type CourseManifest,
  readOwnManifest,
  signManifest,
} from "../manifests/course-manifest.ts";
import { withStagingDirectory } from "../staging-directories.ts";
import type { Visibility } from "../vocabulary/visibility.ts";
import type { Course, CourseRepository, CourseRevision } from "./course-repository.ts";
import {
  creditOf,
  derivativeRefusal,
  type LineageAncestor,
  lineageOf,
  summaryWithCredits,
} from "./licence-lineage.ts";
import { changesSincePrevious } from "./revision-changes.ts";

export interface CourseMetadata {
  /** Left out: a new revision keeps its course's, a new course takes the backup's name. */
  readonly title?: string;
  readonly summary?: string | null;
  readonly tags?: readonly string[];
  readonly license?: string | null;
  readonly visibility?: Visibility;
}

/**
 * How long a course's metadata may be, for the API's schemas and the edit of a published
 * course alike. `tag` is the API's stricter rule (words of letters, digits, _ and -, one
 * space between them, as in "web programming": the web's forms and the CLI separate tags
 * by commas); the web form's tags are taken as typed, so only their length is checked here.
 */
export const METADATA_LIMITS = {
  title: 300,
  summary: 20_000,
  license: 100,
  tags: 30,
  tagLength: 64,
  tag: /^[\p{L}\p{N}_-]+(?: [\p{L}\p{N}_-]+)*$/u,
} as const;

export class PublishError extends CodedError<
  | "INVALID_BACKUP"
  | "PERSONAL_DATA"
  | "NOT_FOUND"
  | "NOT_YOURS"
  | "INVALID_METADATA"
  /** Publishing from Moodle: no target of that name. */
  | "NO_SUCH_TARGET"
  /** An ancestor's licence forbids this derivative, or asks for another licence. */
  | "LICENCE_REFUSED"
  /** The course named as the source is neither ours nor in our catalog. */
  | "UNKNOWN_SOURCE"
> {
  override readonly name = "PublishError";
  readonly findings: readonly PersonalDataFinding[];

  constructor(
    code: PublishError["code"],
    message: string,
    findings: readonly PersonalDataFinding[] = [],
  ) {
    super(code, message);
    this.findings = findings;
  }
}

/**
 * An actor's Ed25519 key, and the id under which peers find its public half: the key
 * signs its manifests. federation/ knows the id, which is part of the actor's document.
 */
export interface ActorSigningKeys {
  ed25519(actor: LocalActor): Promise<{ privateKey: webcrypto.CryptoKey; keyId: string }>;
}

/** What publishing, editing and withdrawing use; the outbound bridge tells the followers. */
export interface PublishStores {
  readonly actors: LocalActorRepository;
  readonly courses: CourseRepository;
  readonly blobs: BlobStore;
  /** The node's public origin, which its courses' URIs start with. */
  readonly origin: string;
  readonly signingKeys: ActorSigningKeys;
  readonly outbound: Outbound;
  /** Where the ancestors of a derived course are read, to check and credit their licences. */
  readonly catalog: CatalogRepository;
}

/**
 * Publishes a backup as a course (or, with `courseId`, as a new revision of one): it is
 * inspected, refused if it holds personal data (unless `sanitize`), stored by digest,
 * described by a signed manifest, and announced to the actor's followers.
 */
export async function publishCourse(
  services: PublishStores,
  actor: LocalActor,
  file: string,
  metadata: CourseMetadata,
  options: {
    readonly courseId?: string;
    readonly sanitize?: boolean;
    /** The catalog course this one was restored from and amended: its lineage. */
    readonly derivedFrom?: CourseManifest["derivedFrom"];
    /** Told when the scan starts, and when the backup passed it and is being published. */
    readonly onProgress?: (step: "scanning" | "publishing") => Promise<void>;
  } = {},
): Promise<{ course: Course; revision: CourseRevision; report: BackupReport }> {
  const existing = options.courseId ? await services.courses.course(options.courseId) : undefined;
  if (options.courseId && !existing)
    throw new PublishError("NOT_FOUND", `There is no course ${options.courseId} here.`);
  if (existing && existing.actorId !== actor.id) {
    throw new PublishError("NOT_YOURS", `Course ${existing.id} was published by someone else.`);
  }
  // A new revision keeps its course's lineage unless it names another source.
  const derivedFrom =
    options.derivedFrom ??
    (existing ? await previousDerivation(services, existing.id) : null) ??
    null;
  // Checked before the scan, so that a refused licence costs no reading of the backup.
  const lineage = await lineageOf(services, derivedFrom);
  checkLineage(lineage, metadataWithLineage(metadata, existing, lineage).license ?? null);
  return await withStagingDirectory("publish", async (workDir) => {
    let archive = file;
    await options.onProgress?.("scanning");
    let report = await inspect(file);
    if (report.personalData.verdict !== "clean") {
      if (!options.sanitize) {
        const list = report.personalData.findings
          .map((finding) => `${finding.count} ${finding.category}`)
          .join(", ");
        throw new PublishError(
          "PERSONAL_DATA",
          `The backup holds personal data (${list}); publish a backup made without users, or ask to sanitize it.`,
          report.personalData.findings,
        );
      }
      archive = join(workDir, "sanitized.mbz");
      report = (await sanitizeBackup(file, archive)).after;
    }
    await options.onProgress?.("publishing");
    const described = describedAs(
      metadataWithLineage(metadata, existing, lineage),
      existing,
      report,
    );
    const stored = await services.blobs.put(createReadStream(archive), report.sha256);
    const courseId = existing?.id ?? crypto.randomUUID();
    const previous = await services.courses.latestRevision(courseId);
    const revisionNumber = (previous?.revision ?? 0) + 1;
    const publishedAt = new Date();
    const objectUri = new URL(`/courses/${courseId}`, services.origin).href;
    const manifest = buildManifest(report, {
      object: objectUri,
      revision: revisionNumber,
      license: described.license,
      derivedFrom,
      credits: lineage.filter((ancestor) => ancestor.known !== "unknown").map(creditOf),
      publishedAt,
    });
    const signingKey = await services.signingKeys.ed25519(actor);
    const jws = await signManifest(manifest, signingKey.privateKey, signingKey.keyId);
    const changes = await changesSincePrevious(services.blobs, previous, stored.sha256);
    const saved = await services.courses.publish(
      {
        id: courseId,
        actorId: actor.id,
        ...described,
        tags: [...described.tags],
      },
      {
        revision: revisionNumber,
        sha256: stored.sha256,
        size: stored.size,
        manifest: jws,
        publishedAt: publishedAt.getTime(),
        // English alone for peers that read `summary` only; every language for summaryMap.
        changes: changes?.en ?? null,
        changesByLanguage: changes,
      },
    );
    // Private courses stay on this node; the others go to followers.
    if (saved.course.visibility !== "private") {
      await services.outbound.deliver({
        type: "course-published",
        actor,
        course: saved.course,
        revision: saved.revision,
      });
    }
    return { ...saved, report };
  });
}

/** The source the course's latest revision was derived from, if any. */
async function previousDerivation(
  services: PublishStores,
  courseId: string,
): Promise<CourseManifest["derivedFrom"]> {
  const latest = await services.courses.latestRevision(courseId);
  return latest ? readOwnManifest(latest.manifest).derivedFrom : null;
}

/**
 * A derived course's metadata: a new one without a licence (none given, or an empty one)
 * takes its source's where it is known, and its summary credits every ancestor.
 */
function metadataWithLineage(
  metadata: CourseMetadata,
  existing: Course | undefined,
  lineage: readonly LineageAncestor[],
): CourseMetadata {
  if (lineage.length === 0) return metadata;
  // A new derivative left without a licence (a form's empty field) takes its source's.
  const license = existing
    ? metadata.license === undefined
      ? existing.license
      : metadata.license
    : metadata.license?.trim() || (lineage[0]?.license ?? null);
  const summary = metadata.summary === undefined ? (existing?.summary ?? null) : metadata.summary;
  return {
    ...metadata,
    license,
    summary: summaryWithCredits(summary?.trim() || null, lineage),
  };
}

/** Refuses a licence an ancestor's forbids, naming the ancestor and what to do. */
function checkLineage(lineage: readonly LineageAncestor[], license: string | null): void {
  const refusal = derivativeRefusal(lineage, license?.trim() || null);
  if (refusal) throw new PublishError("LICENCE_REFUSED", refusal.message);
}

/**
 * The metadata a publication is stored with. What is left out is kept from the course's
 * previous revision, so that a teacher publishing a new backup does not lose its licence
 * or tags (null clears a summary or licence); a new course without a title takes the
 * course's full name in the backup, as the web's publish form does.
 */
function describedAs(
  metadata: CourseMetadata,
  existing: Course | undefined,
  report: BackupReport,
): Required<CourseMetadata> {
  const title = metadata.title?.trim() || existing?.title || report.course.fullname.trim();
  if (!title) {
    throw new PublishError(
      "INVALID_METADATA",
      "The backup names no course, so the course needs a title: give one.",
    );
  }
  return checkedMetadata({
    title,
    summary: metadata.summary === undefined ? (existing?.summary ?? null) : metadata.summary,
    tags: metadata.tags ?? existing?.tags ?? [],
    license: metadata.license === undefined ? (existing?.license ?? null) : metadata.license,
    visibility: metadata.visibility ?? existing?.visibility ?? "public",
  });
}

/**
 * Changes a published course's title, summary, tags, licence or visibility without a
 * new revision: the archive stays, and so does the revision number. Its author may, and
 * an admin (`mayEditAny`); the course's own actor tells its followers with an Update (the
 * institution announces a teacher's course again), and a licence goes into the current
 * revision's manifest, signed again. A course made private is no longer served: its
 * followers get a Delete, as on withdrawal, and an Update when it is shared again.
 */
export async function editCourse(
  services: PublishStores,
  editor: { readonly actorId: number; readonly mayEditAny: boolean },
  courseId: string,
  changes: Partial<CourseMetadata>,
): Promise<Course> {
  const course = await services.courses.course(courseId);
  if (!course || course.deletedAt !== null)
    throw new PublishError("NOT_FOUND", `There is no course ${courseId} here.`);
  if (course.actorId !== editor.actorId && !editor.mayEditAny)
    throw new PublishError("NOT_YOURS", `Course ${courseId} was published by someone else.`);
  const metadata = checkedMetadata({
    title: changes.title ?? course.title,
    summary: changes.summary === undefined ? course.summary : changes.summary,
    tags: [...(changes.tags ?? course.tags)],
    license: changes.license === undefined ? course.license : changes.license,
    visibility: changes.visibility ?? course.visibility,
  });
  const author = await services.actors.byId(course.actorId);
  const revision = await services.courses.latestRevision(courseId);
  if (!author || !revision) throw new Error(`Course ${courseId} has no author or no revision.`);
  const manifest =
    metadata.license === course.license
      ? undefined
      : {
          revision: revision.revision,
          jws: await resignManifest(services, author, revision, metadata.license),
        };
  const edited = await services.courses.editMetadata(courseId, metadata, Date.now(), manifest);
  if (!edited) throw new PublishError("NOT_FOUND", `There is no course ${courseId} here.`);
  const current = manifest ? { ...revision, manifest: manifest.jws } : revision;
  if (edited.visibility !== "private") {
    await services.outbound.deliver({
      type: "course-edited",
      author,
      course: edited,
      revision: current,
    });
  } else if (course.visibility !== "private") {
    await services.outbound.deliver({
      type: "course-withdrawn",
      author,
      courseId,
      cause: "made-private",
    });
  }
  return edited;
}

/** The metadata, trimmed, or why it cannot be a course's. */
function checkedMetadata(metadata: Required<CourseMetadata>): Required<CourseMetadata> {
  const title = metadata.title.trim();
  const summary = metadata.summary?.trim() || null;
  const license = metadata.license?.trim() || null;
  const refuse = (message: string) => new PublishError("INVALID_METADATA", message);
  if (!title || title.length > METADATA_LIMITS.title)
    throw refuse(`Give the course a title of at most ${METADATA_LIMITS.title} characters.`);
  if (summary && summary.length > METADATA_LIMITS.summary)
    throw refuse(`The summary is longer than ${METADATA_LIMITS.summary} characters.`);
  if (license && license.length > METADATA_LIMITS.license)
    throw refuse(`The licence is longer than ${METADATA_LIMITS.license} characters.`);
  if (metadata.tags.length > METADATA_LIMITS.tags)
    throw refuse(`A course has at most ${METADATA_LIMITS.tags} tags.`);
  const tags = [...new Set(metadata.tags.map((tag) => tag.trim().replace(/^#/, "")))];
  const badTag = tags.find((tag) => tag === "" || tag.length > METADATA_LIMITS.tagLength);
  if (badTag !== undefined)
    throw refuse(`A tag is from 1 to ${METADATA_LIMITS.tagLength} characters: "${badTag}".`);
  return { ...metadata, title, summary, tags, license };
}

/** The revision's manifest with another licence, signed again by the course's actor. */
async function resignManifest(
  services: PublishStores,
  author: LocalActor,
  revision: CourseRevision,
  license: string | null,
): Promise<string> {
  const signingKey = await services.signingKeys.ed25519(author);
  return await signManifest(
    { ...readOwnManifest(revision.manifest), license },
    signingKey.privateKey,
    signingKey.keyId,
  );
}

/** Withdraws a course: it stops answering, and followers drop it from their catalogs. */
export async function withdrawCourse(
  services: PublishStores,
  actor: LocalActor,
  courseId: string,
): Promise<void> {
  const course = await services.courses.course(courseId);
  if (!course || course.deletedAt !== null)
    throw new PublishError("NOT_FOUND", `There is no course ${courseId} here.`);
  if (course.actorId !== actor.id)
    throw new PublishError("NOT_YOURS", `Course ${courseId} was published by someone else.`);
  await services.courses.withdraw(courseId);
  await services.outbound.deliver({
    type: "course-withdrawn",
    author: actor,
    courseId,
    cause: "withdrawn",
  });
}

async function inspect(file: string): Promise<BackupReport> {
  try {
    return await inspectBackup(file);
  } catch (error) {
    if (error instanceof MbzError) throw new PublishError("INVALID_BACKUP", error.message);
    throw error;
  }
}
