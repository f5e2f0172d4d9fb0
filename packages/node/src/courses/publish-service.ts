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
import type { FederationServices } from "../federation/context.ts";
import { courseObject } from "../federation/course-object.ts";
import { Temporal } from "../temporal.ts";
import type { Visibility } from "../vocabulary/visibility.ts";
import type { Course, CourseRevision } from "./course-repository.ts";
import { buildManifest, type CourseManifest, readOwnManifest, signManifest } from "./manifest.ts";

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
  "INVALID_BACKUP" | "PERSONAL_DATA" | "NOT_FOUND" | "NOT_YOURS" | "INVALID_METADATA"
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
    const described = describedAs(metadata, existing, report);
    const stored = await ctx.data.blobs.put(createReadStream(archive), report.sha256);
    const courseId = existing?.id ?? crypto.randomUUID();
    const revisionNumber = ((await ctx.data.courses.latestRevision(courseId))?.revision ?? 0) + 1;
    const publishedAt = new Date();
    const objectUri = new URL(`/courses/${courseId}`, ctx.origin).href;
    const manifest = buildManifest(report, {
      object: objectUri,
      revision: revisionNumber,
      license: described.license,
      derivedFrom: options.derivedFrom ?? null,
      publishedAt,
    });
    const signingKey = await signingKeyOf(ctx, actor);
    const jws = await signManifest(manifest, signingKey.privateKey, signingKey.keyId);
    const saved = await ctx.data.courses.publish(
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
  ctx: Context<FederationServices>,
  editor: { readonly actorId: number; readonly mayEditAny: boolean },
  courseId: string,
  changes: Partial<CourseMetadata>,
): Promise<Course> {
  const course = await ctx.data.courses.course(courseId);
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
  const author = await ctx.data.actors.byId(course.actorId);
  const revision = await ctx.data.courses.latestRevision(courseId);
  if (!author || !revision) throw new Error(`Course ${courseId} has no author or no revision.`);
  const manifest =
    metadata.license === course.license
      ? undefined
      : {
          revision: revision.revision,
          jws: await resignManifest(ctx, author, revision, metadata.license),
        };
  const edited = await ctx.data.courses.editMetadata(courseId, metadata, Date.now(), manifest);
  if (!edited) throw new PublishError("NOT_FOUND", `There is no course ${courseId} here.`);
  const current = manifest ? { ...revision, manifest: manifest.jws } : revision;
  if (edited.visibility !== "private") {
    const object = courseObject(ctx, edited, current, author.identifier);
    await ctx.sendActivity(
      { identifier: author.identifier },
      "followers",
      new Update({
        // Each edit its own id: receivers handle an activity id once.
        id: new URL(`/courses/${courseId}/edits/${crypto.randomUUID()}`, ctx.origin),
        actor: ctx.getActorUri(author.identifier),
        object,
        tos: object.toIds,
        ccs: object.ccIds,
      }),
      { preferSharedInbox: true },
    );
    if (author.type === "Person") await announceForInstitution(ctx, object, edited.visibility);
  } else if (course.visibility !== "private") {
    await sendWithdrawal(
      ctx,
      author,
      courseId,
      new URL(`/courses/${courseId}/edits/${crypto.randomUUID()}`, ctx.origin),
    );
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
  ctx: Context<FederationServices>,
  author: LocalActor,
  revision: CourseRevision,
  license: string | null,
): Promise<string> {
  const signingKey = await signingKeyOf(ctx, author);
  return await signManifest(
    { ...readOwnManifest(revision.manifest), license },
    signingKey.privateKey,
    signingKey.keyId,
  );
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
  await sendWithdrawal(ctx, actor, courseId, new URL(`/courses/${courseId}/delete`, ctx.origin));
}

/**
 * Tells everyone who received the course that it is gone: the author's followers, and
 * for a teacher's course the institution's too, which received it announced (they may
 * follow the institution alone). Receivers take a Delete from the publisher's own
 * server for its courses (federation/inbox/courses.ts).
 */
async function sendWithdrawal(
  ctx: Context<FederationServices>,
  author: LocalActor,
  courseId: string,
  activityId: URL,
): Promise<void> {
  const object = new Tombstone({
    id: new URL(`/courses/${courseId}`, ctx.origin),
    deleted: Temporal.Now.instant(),
  });
  const senders = [author];
  if (author.type === "Person") {
    const institution = await ctx.data.actors.byIdentifier("institution");
    if (institution) senders.push(institution);
  }
  for (const sender of senders) {
    await ctx.sendActivity(
      { identifier: sender.identifier },
      "followers",
      new Delete({
        // Each sender's Delete its own id: receivers handle an activity id once.
        id: sender === author ? activityId : new URL(`${activityId.href}/announcer`),
        actor: ctx.getActorUri(sender.identifier),
        object,
        tos: [PUBLIC_COLLECTION],
      }),
      { preferSharedInbox: true },
    );
  }
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
