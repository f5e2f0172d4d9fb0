import { createReadStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type BackupReport,
  inspectBackup,
  MbzError,
  type PersonalDataFinding,
  sanitizeBackup,
} from "@coursefed/mbz";
import type { Context } from "@fedify/fedify";
import {
  Announce,
  Create,
  Delete,
  type Document,
  PUBLIC_COLLECTION,
  Tombstone,
  Update,
} from "@fedify/vocab";
import type { LocalActor } from "../actors/local-actors.ts";
import { CodedError } from "../coded-error.ts";
import type { Visibility } from "../db/schema.ts";
import type { FederationServices } from "../federation/context.ts";
import { courseObject } from "../federation/course-object.ts";
import { Temporal } from "../temporal.ts";
import type { Course, CourseRevision } from "./course-repository.ts";
import { buildManifest, type CourseManifest, signManifest } from "./manifest.ts";

export interface CourseMetadata {
  readonly title: string;
  readonly summary?: string | null;
  readonly tags?: readonly string[];
  readonly license?: string | null;
  readonly visibility?: Visibility;
}

export class PublishError extends CodedError<
  "INVALID_BACKUP" | "PERSONAL_DATA" | "NOT_FOUND" | "NOT_YOURS"
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
 * Publishes a backup as a course (or, with `courseId`, as a new revision of one): it is
 * inspected, refused if it holds personal data (unless `sanitize`), stored by digest,
 * described by a signed manifest, and announced to the actor's followers.
 */
export async function publishCourse(
  ctx: Context<FederationServices>,
  actor: LocalActor,
  file: string,
  metadata: CourseMetadata,
  options: {
    readonly courseId?: string;
    readonly sanitize?: boolean;
    /** The catalog course this one was restored from and amended: its lineage. */
    readonly derivedFrom?: CourseManifest["derivedFrom"];
  } = {},
): Promise<{ course: Course; revision: CourseRevision; report: BackupReport }> {
  const existing = options.courseId ? await ctx.data.courses.course(options.courseId) : undefined;
  if (options.courseId && !existing)
    throw new PublishError("NOT_FOUND", `There is no course ${options.courseId} here.`);
  if (existing && existing.actorId !== actor.id) {
    throw new PublishError("NOT_YOURS", `Course ${existing.id} was published by someone else.`);
  }
  const workDir = await mkdtemp(join(tmpdir(), "coursefed-publish-"));
  try {
    let archive = file;
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
    const stored = await ctx.data.blobs.put(createReadStream(archive), report.sha256);
    const courseId = existing?.id ?? crypto.randomUUID();
    const revisionNumber = ((await ctx.data.courses.latestRevision(courseId))?.revision ?? 0) + 1;
    const publishedAt = new Date();
    const objectUri = new URL(`/courses/${courseId}`, ctx.origin).href;
    const manifest = buildManifest(report, {
      object: objectUri,
      revision: revisionNumber,
      license: metadata.license ?? null,
      derivedFrom: options.derivedFrom ?? null,
      publishedAt,
    });
    const signingKey = await signingKeyOf(ctx, actor);
    const jws = await signManifest(manifest, signingKey.privateKey, signingKey.keyId);
    const saved = await ctx.data.courses.publish(
      {
        id: courseId,
        actorId: actor.id,
        title: metadata.title,
        summary: metadata.summary ?? null,
        tags: [...(metadata.tags ?? [])],
        license: metadata.license ?? null,
        visibility: metadata.visibility ?? "public",
      },
      {
        revision: revisionNumber,
        sha256: stored.sha256,
        size: stored.size,
        manifest: jws,
        publishedAt: publishedAt.getTime(),
      },
    );
    // Private courses stay on this node; the others go to followers.
    if (saved.course.visibility !== "private") {
      const object = courseObject(ctx, saved.course, saved.revision, actor.identifier);
      const Activity = revisionNumber === 1 ? Create : Update;
      await ctx.sendActivity(
        { identifier: actor.identifier },
        "followers",
        new Activity({
          id: new URL(`/courses/${courseId}/revisions/${revisionNumber}/activity`, ctx.origin),
          actor: ctx.getActorUri(actor.identifier),
          object,
          tos: object.toIds,
          ccs: object.ccIds,
        }),
        { preferSharedInbox: true },
      );
      if (actor.type === "Person")
        await announceForInstitution(ctx, object, saved.course.visibility);
    }
    return { ...saved, report };
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

/** Withdraws a course: it stops answering, and followers drop it from their catalogs. */
export async function withdrawCourse(
  ctx: Context<FederationServices>,
  actor: LocalActor,
  courseId: string,
): Promise<void> {
  const course = await ctx.data.courses.course(courseId);
  if (!course || course.deletedAt !== null)
    throw new PublishError("NOT_FOUND", `There is no course ${courseId} here.`);
  if (course.actorId !== actor.id)
    throw new PublishError("NOT_YOURS", `Course ${courseId} was published by someone else.`);
  await ctx.data.courses.withdraw(courseId);
  const id = new URL(`/courses/${courseId}`, ctx.origin);
  await ctx.sendActivity(
    { identifier: actor.identifier },
    "followers",
    new Delete({
      id: new URL(`/courses/${courseId}/delete`, ctx.origin),
      actor: ctx.getActorUri(actor.identifier),
      object: new Tombstone({ id, deleted: Temporal.Now.instant() }),
      tos: [PUBLIC_COLLECTION],
    }),
    { preferSharedInbox: true },
  );
}

/**
 * The institution boosts its teachers' courses, so that following the institution is
 * enough to receive every course its people publish.
 */
async function announceForInstitution(
  ctx: Context<FederationServices>,
  object: Document,
  visibility: Visibility,
): Promise<void> {
  const institution = await ctx.data.actors.byIdentifier("institution");
  if (!institution || !object.id) return;
  await ctx.sendActivity(
    { identifier: institution.identifier },
    "followers",
    new Announce({
      id: new URL(`${object.id.href}/announces/${crypto.randomUUID()}`),
      actor: ctx.getActorUri(institution.identifier),
      object: object.id,
      ...(visibility === "public"
        ? { tos: [PUBLIC_COLLECTION], ccs: [ctx.getFollowersUri(institution.identifier)] }
        : { tos: [ctx.getFollowersUri(institution.identifier)] }),
    }),
    { preferSharedInbox: true },
  );
}

async function inspect(file: string): Promise<BackupReport> {
  try {
    return await inspectBackup(file);
  } catch (error) {
    if (error instanceof MbzError) throw new PublishError("INVALID_BACKUP", error.message);
    throw error;
  }
}

/** The actor's Ed25519 key and the id under which peers find its public half. */
async function signingKeyOf(ctx: Context<FederationServices>, actor: LocalActor) {
  // Both lists come from the same key pairs, in the same order.
  const pairs = await ctx.data.actors.keyPairs(actor);
  const published = await ctx.getActorKeyPairs(actor.identifier);
  const index = pairs.findIndex((pair) => pair.privateKey.algorithm.name === "Ed25519");
  const keyId = published[index]?.multikey.id;
  const pair = pairs[index];
  if (!pair || !keyId) throw new Error(`Actor ${actor.identifier} has no Ed25519 key.`);
  return { privateKey: pair.privateKey, keyId: keyId.href };
}
