import type { Context } from "@fedify/fedify";
import {
  type Actor,
  Announce,
  Create,
  type Delete,
  Document,
  Hashtag,
  isActor,
  Link,
  traverseCollection,
  type Update,
} from "@fedify/vocab";
import { keepReceivedCourse, withdrawReceivedCourse } from "../../catalog/catalog-service.ts";
import { MBZ_MEDIA_TYPE, verifyManifest } from "../../manifests/course-manifest.ts";
import { federatesWith } from "../../settings/federation-policy.ts";
import type { FederationServices } from "../context.ts";
import { JWS_MEDIA_TYPE } from "../course-object.ts";
import { describeRemoteActor } from "../remote-actor.ts";
import { sanitizeRemoteHtml } from "../remote-html.ts";
import { institutionSigner } from "../signed-fetch.ts";

type FederationContext = Context<FederationServices>;

const MAX_MANIFEST_BYTES = 256 * 1024;
/** How many of a newly followed actor's past activities are read. */
const BACKFILL_LIMIT = 500;

/**
 * Whether courses from `publisher`, or announced by `announcer`, may enter the catalog:
 * only when one of them is followed by a local actor with an accepted follow, whatever
 * signature or proof carried the activity and whoever forwarded it. Every way a course
 * arrives (Create, Update, Announce, back-fill) asks this and nothing else.
 */
export async function takesCoursesFrom(
  ctx: FederationContext,
  publisher: URL,
  announcer?: URL,
): Promise<boolean> {
  if (await ctx.data.follows.followedByAnyLocalActor(publisher.href)) return true;
  return (
    announcer !== undefined && (await ctx.data.follows.followedByAnyLocalActor(announcer.href))
  );
}

/**
 * A course published or revised by an actor we follow. Its object must be the actor's
 * own, on the actor's own server: nothing is fetched from a third server on a sender's
 * say-so (an embedded object whose id names another host would otherwise be fetched from
 * there, once per retry).
 */
export async function onCourseCreateOrUpdate(
  ctx: FederationContext,
  activity: Create | Update,
): Promise<void> {
  const sender = activity.actorId;
  const objectId = activity.objectId;
  if (!sender || !objectId || !(await takesCoursesFrom(ctx, sender))) return;
  if (objectId.origin !== sender.origin) return;
  if (activity.id && activity.id.origin !== sender.origin) return;
  const object = await activity.getObject(ctx);
  if (!(object instanceof Document)) return;
  // Another actor's course cannot come in under a followed actor's Create: only an
  // Announce brings someone else's course, and then it is fetched from its publisher.
  if (object.attributionId?.href !== sender.href) return;
  const actor = await activity.getActor(ctx);
  if (isActor(actor) && actor.id?.href === sender.href) {
    await receiveCourse(ctx, object, actor, { delivered: true });
  }
}

/**
 * A course boosted by an actor we follow (an institution announcing its teachers'
 * courses): fetched from its publisher and checked like a delivered one.
 */
export async function onCourseAnnounce(ctx: FederationContext, announce: Announce): Promise<void> {
  await receiveAnnounced(ctx, announce, { delivered: true });
}

/**
 * Receives the course an Announce names. The announced object is the one request an
 * Announce may cause to another server than the announcer's, and only for an announcer
 * we follow, never to a server the federation policy excludes; its publisher must be on
 * the object's own server. Returns whether the course was kept.
 */
async function receiveAnnounced(
  ctx: FederationContext,
  announce: Announce,
  arrival: { readonly delivered: boolean },
): Promise<boolean> {
  const announcer = announce.actorId;
  if (!announcer || !announce.objectId || !(await takesCoursesFrom(ctx, announcer))) return false;
  const policy = await ctx.data.settings.federationPolicy();
  // Nothing is fetched from a server the policy excludes, boosted or not.
  if (!federatesWith(policy, announce.objectId)) return false;
  // Fetched afresh and signed as our institution: the shared inbox's loader caches
  // documents for minutes, and a boost that follows an edit or a new revision must not
  // get the course as it was. A boost of something we may not read (a followers-only
  // course of someone we do not follow, a course withdrawn since: 404 or 410) is dropped,
  // not retried: asking again would get the same answer.
  const object = await announce
    .getObject({
      documentLoader: await ctx.getDocumentLoader({ identifier: "institution" }),
      contextLoader: ctx.contextLoader,
    })
    .catch(() => null);
  if (!(object instanceof Document) || !object.id) return false;
  if (object.attributionId?.origin !== object.id.origin) return false;
  const publisher = await object.getAttribution(ctx);
  if (!isActor(publisher) || !publisher.id || !federatesWith(policy, publisher.id)) return false;
  return await receiveCourse(ctx, object, publisher, { ...arrival, announcedBy: announcer });
}

/**
 * A course withdrawn: dropped from the catalog (restored copies stay), if its sender is
 * heard on it (catalog/catalog-service.ts says who is).
 */
export async function onCourseDelete(ctx: FederationContext, activity: Delete): Promise<void> {
  if (!activity.objectId || !activity.actorId) return;
  await withdrawReceivedCourse(ctx.data, activity.objectId.href, activity.actorId.href);
}

/**
 * Reads the outbox of an actor we have just been allowed to follow, so that its earlier
 * courses reach the catalog too: its own, each checked as if its Create had been
 * delivered, and those it announced (an institution's teachers' courses), each as if its
 * Announce had been. The outbox is read signed as `reader`, the local actor whose follow
 * was accepted, so that it lists the followers-only courses its follower may read. At
 * most BACKFILL_LIMIT activities are read; reading it again stores nothing twice.
 */
export async function backfillFrom(
  ctx: FederationContext,
  actor: Actor,
  reader: { readonly identifier: string } = { identifier: "institution" },
): Promise<number> {
  if (!actor.id) return 0;
  const loaders = {
    documentLoader: await ctx.getDocumentLoader(reader),
    contextLoader: ctx.contextLoader,
  };
  const outbox = await actor.getOutbox(loaders);
  if (!outbox) return 0;
  let received = 0;
  let read = 0;
  for await (const item of traverseCollection(outbox, loaders)) {
    if (++read > BACKFILL_LIMIT) break;
    if (!(item instanceof Announce || item instanceof Create)) continue;
    // Only the actor's own activities: an outbox cannot speak for anyone else.
    if (item.actorId?.href !== actor.id.href) continue;
    try {
      if (item instanceof Announce) {
        // Not `delivered`: auto-restore rules are for what arrives from now on, not the past.
        if (await receiveAnnounced(ctx, item, { delivered: false })) received++;
        continue;
      }
      // As for a delivered Create: the actor's own objects only, fetched from nowhere else.
      if (item.objectId?.origin !== actor.id.origin) continue;
      const object = await item.getObject(loaders);
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
 * names this object; the catalog service keeps it (catalog/catalog-service.ts). Returns
 * whether it was kept.
 */
export async function receiveCourse(
  ctx: FederationContext,
  object: Document,
  actor: Actor,
  arrival: { readonly delivered?: boolean; readonly announcedBy?: URL } = {},
): Promise<boolean> {
  if (!object.id || !actor.id || object.attributionId?.href !== actor.id.href) return false;
  if (!(await takesCoursesFrom(ctx, actor.id, arrival.announcedBy))) return false;
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
  // The manifest and the archive only from the publisher's own server: a peer cannot point
  // us elsewhere (a third server, or an address inside our own network when someone
  // fetches or restores the course later).
  if (manifestLink.href.origin !== actor.id.origin) return false;
  if (archive.href.origin !== actor.id.origin) return false;
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
  return await keepReceivedCourse(
    ctx.data,
    {
      objectUri: object.id.href,
      actorUri: actor.id.href,
      title: object.name?.toString() ?? manifest.course.fullname,
      summary: object.summary ? sanitizeRemoteHtml(object.summary.toString()) : null,
      tags,
      archiveUrl: archive.href.href,
      manifest,
      manifestJws: jws,
    },
    {
      delivered: arrival.delivered,
      announcedBy: arrival.announcedBy?.href,
      describeAuthor: async () => (actor.inboxId ? await describeRemoteActor(actor) : undefined),
    },
  );
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
  const tooLarge = () =>
    new Error(`The manifest at ${url.href} is larger than ${MAX_MANIFEST_BYTES} bytes.`);
  const declared = Number(response.headers.get("content-length") ?? 0);
  if (declared > MAX_MANIFEST_BYTES) {
    await response.body?.cancel();
    throw tooLarge();
  }
  // Counted as it arrives: a peer that sends without a length (or more than it said)
  // must not make us hold more than a manifest's worth.
  const chunks: Uint8Array[] = [];
  let received = 0;
  const reader = response.body?.getReader();
  while (reader) {
    const { done, value } = await reader.read();
    if (done) break;
    received += value.byteLength;
    if (received > MAX_MANIFEST_BYTES) {
      await reader.cancel();
      throw tooLarge();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8").trim();
}
