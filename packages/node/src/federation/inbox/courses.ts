import type { Context } from "@fedify/fedify";
import {
  type Actor,
  type Announce,
  Create,
  type Delete,
  Document,
  Hashtag,
  isActor,
  Link,
  traverseCollection,
  type Update,
} from "@fedify/vocab";
import { MBZ_MEDIA_TYPE, verifyManifest } from "../../courses/manifest.ts";
import { describeRemoteActor } from "../../follows/remote-actor.ts";
import { applyRestoreRules } from "../../restores/auto-restore.ts";
import type { FederationServices } from "../context.ts";
import { JWS_MEDIA_TYPE } from "../course-object.ts";
import { federatesWith } from "../federation-policy.ts";
import { sanitizeRemoteHtml } from "../remote-html.ts";
import { institutionSigner } from "../signed-fetch.ts";

type FederationContext = Context<FederationServices>;

const MAX_MANIFEST_BYTES = 256 * 1024;
/** How many of a newly followed actor's past activities are read. */
const BACKFILL_LIMIT = 500;
/** How long a publisher's name and handle are kept before they are read again. */
const AUTHOR_REFRESH_MS = 24 * 3600 * 1000;

/** A course published or revised by an actor we follow. */
export async function onCourseCreateOrUpdate(
  ctx: FederationContext,
  activity: Create | Update,
): Promise<void> {
  const object = await activity.getObject(ctx);
  const actor = await activity.getActor(ctx);
  if (object instanceof Document && isActor(actor) && activity.actorId) {
    await receiveCourse(ctx, object, actor, { delivered: true });
  }
}

/**
 * A course boosted by an actor we follow (an institution announcing its teachers'
 * courses): fetched from its publisher and checked like a delivered one.
 */
export async function onCourseAnnounce(ctx: FederationContext, announce: Announce): Promise<void> {
  if (!announce.actorId) return;
  const announcer = announce.actorId.href;
  const followings = await Promise.all(
    (await ctx.data.actors.all()).map((local) => ctx.data.follows.following(local.id, announcer)),
  );
  if (!followings.some((following) => following?.state === "accepted")) return;
  // Fetched afresh and signed as our institution: the shared inbox's loader caches
  // documents for minutes, and a boost that follows an edit or a new revision must not
  // get the course as it was. A boost of something we may not read (a followers-only
  // course of someone we do not follow) is dropped, not retried: asking again would get
  // the same answer.
  const object = await announce
    .getObject({
      documentLoader: await ctx.getDocumentLoader({ identifier: "institution" }),
      contextLoader: ctx.contextLoader,
    })
    .catch(() => null);
  if (!(object instanceof Document)) return;
  const publisher = await object.getAttribution(ctx);
  if (
    isActor(publisher) &&
    publisher.id &&
    federatesWith(await ctx.data.settings.federationPolicy(), publisher.id)
  ) {
    await receiveCourse(ctx, object, publisher, { delivered: true, announcedBy: announcer });
  }
}

/** A course withdrawn by its publisher: dropped from the catalog (restored copies stay). */
export async function onCourseDelete(ctx: FederationContext, activity: Delete): Promise<void> {
  if (!activity.objectId || !activity.actorId) return;
  await ctx.data.courses.tombstone(activity.objectId.href, activity.actorId.href);
}

/**
 * Reads the outbox of an actor we have just been allowed to follow, so that its earlier
 * courses reach the catalog too. Each course is checked as if it had been delivered.
 */
export async function backfillFrom(ctx: FederationContext, actor: Actor): Promise<number> {
  const outbox = await actor.getOutbox(ctx);
  if (!outbox) return 0;
  let received = 0;
  let read = 0;
  for await (const item of traverseCollection(outbox, {
    documentLoader: ctx.documentLoader,
    contextLoader: ctx.contextLoader,
  })) {
    if (++read > BACKFILL_LIMIT) break;
    if (!(item instanceof Create) || item.actorId?.href !== actor.id?.href) continue;
    try {
      const object = await item.getObject(ctx);
      // Not `delivered`: auto-restore rules are for what arrives from now on, not the past.
      if (object instanceof Document && (await receiveCourse(ctx, object, actor))) received++;
    } catch {
      // One unreadable course must not stop the others.
    }
  }
  return received;
}

/**
 * Keeps a course in the catalog once it is shown to be the actor's: attributed to it,
 * with a manifest from the actor's own server that verifies with one of its keys and
 * names this object. A delivered new course or revision goes to the auto-restore rules.
 * Returns whether it was kept.
 */
async function receiveCourse(
  ctx: FederationContext,
  object: Document,
  actor: Actor,
  arrival: { readonly delivered?: boolean; readonly announcedBy?: string } = {},
): Promise<boolean> {
  if (!object.id || !actor.id || object.attributionId?.href !== actor.id.href) return false;
  // A publisher names only objects on its own server, so it cannot revise another's.
  if (object.id.origin !== actor.id.origin) return false;
  let archive: Link | undefined;
  let manifestLink: Link | undefined;
  for await (const attachment of object.getAttachments(ctx)) {
    if (!(attachment instanceof Link) || !attachment.href) continue;
    if (attachment.mediaType === MBZ_MEDIA_TYPE) archive = attachment;
    if (attachment.mediaType === JWS_MEDIA_TYPE) manifestLink = attachment;
  }
  if (!archive?.href || !manifestLink?.href) return false;
  // Fetch the manifest only from the publisher's own server: a peer cannot point us elsewhere.
  if (manifestLink.href.origin !== actor.id.origin) return false;
  const jws = await fetchManifest(manifestLink.href, await institutionSigner(ctx));
  const manifest = await verifyManifest(jws, async (keyId) => {
    for await (const method of actor.getAssertionMethods(ctx)) {
      if (method.id?.href === keyId && method.publicKey) return method.publicKey;
    }
    return undefined;
  });
  if (manifest.object !== object.id.href) return false;
  const tags: string[] = [];
  for await (const tag of object.getTags(ctx)) {
    if (tag instanceof Hashtag && tag.name) tags.push(tag.name.toString().replace(/^#/, ""));
  }
  const held = await ctx.data.courses.catalogEntry(object.id.href);
  const kept = await ctx.data.courses.receive({
    objectUri: object.id.href,
    actorUri: actor.id.href,
    title: object.name?.toString() ?? manifest.course.fullname,
    summary: object.summary ? sanitizeRemoteHtml(object.summary.toString()) : null,
    tags,
    archiveUrl: archive.href.href,
    manifest,
    manifestJws: jws,
  });
  if (kept) await rememberAuthor(ctx, actor);
  const arrivedNewer = !held || manifest.revision > held.revision;
  if (kept && arrivedNewer && arrival.delivered) {
    await applyRestoreRules(ctx.data, {
      objectUri: object.id.href,
      revision: manifest.revision,
      actorUri: actor.id.href,
      announcedBy: arrival.announcedBy,
      tags,
      isNew: !held,
    });
  }
  return kept;
}

/**
 * Keeps the publisher's name and handle (a teacher's courses often arrive announced by
 * their institution, which is the actor followed): the catalog shows them and filters
 * by teacher. Read again once a day at most, since the handle costs a WebFinger lookup.
 */
async function rememberAuthor(ctx: FederationContext, actor: Actor): Promise<void> {
  if (!actor.id || !actor.inboxId) return;
  const known = await ctx.data.follows.remoteActor(actor.id.href);
  if (known && known.fetchedAt > Date.now() - AUTHOR_REFRESH_MS) return;
  await ctx.data.follows.rememberActor(await describeRemoteActor(actor));
}

async function fetchManifest(
  url: URL,
  sign: (request: Request) => Promise<Request>,
): Promise<string> {
  // Signed: a followers-only course's manifest is only given to its followers.
  const response = await fetch(
    await sign(new Request(url, { headers: { accept: JWS_MEDIA_TYPE }, redirect: "error" })),
  );
  if (!response.ok) throw new Error(`The manifest at ${url.href} answered ${response.status}.`);
  const declared = Number(response.headers.get("content-length") ?? 0);
  if (declared > MAX_MANIFEST_BYTES) throw new Error(`The manifest at ${url.href} is too large.`);
  const text = await response.text();
  if (text.length > MAX_MANIFEST_BYTES)
    throw new Error(`The manifest at ${url.href} is too large.`);
  return text.trim();
}
