import type { Context } from "@fedify/fedify";
import {
  type Actor,
  Announce,
  Object as ASObject,
  Create,
  type Delete,
  type Document,
  Hashtag,
  isActor,
  Link,
  type Note,
  traverseCollection,
  Update,
} from "@fedify/vocab";
import { keepReceivedCourse, withdrawReceivedCourse } from "../../catalog/catalog-service.ts";
import { MBZ_MEDIA_TYPE, verifyManifest } from "../../manifests/course-manifest.ts";
import { federatesWith } from "../../settings/federation-policy.ts";
import { boundedText } from "../bounded-response.ts";
import type { FederationServices } from "../context.ts";
import { isCourseObject, JWS_MEDIA_TYPE } from "../course-object.ts";
import { sha256FromDigestMultibase } from "../digest-multibase.ts";
import { describeRemoteActor } from "../remote-actor.ts";
import { sanitizeRemoteHtml } from "../remote-html.ts";
import { institutionSigner } from "../signed-fetch.ts";

type FederationContext = Context<FederationServices>;
/** A course as received: a Note, or a Document from an older node. */
type CourseObject = Note | Document;
/** An object's JSON as its sender wrote it, for what Fedify's model of it leaves out. */
type ReceivedJson = Record<string, unknown>;

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
 * there, once per retry). A teacher's Update also reaches the followers of the
 * institution that announced the course, naming it as its `audience`: it is taken as if
 * that institution had announced it again, when we follow the institution and it is an
 * actor of the teacher's own server (which speaks for both); an audience on any other
 * server counts for nothing, and a Create is never taken on an audience's account.
 */
export async function onCourseCreateOrUpdate(
  ctx: FederationContext,
  activity: Create | Update,
): Promise<void> {
  const sender = activity.actorId;
  const objectId = activity.objectId;
  if (!sender || !objectId) return;
  const announcer =
    activity instanceof Update
      ? activity.audienceIds.find((audience) => audience.origin === sender.origin)
      : undefined;
  if (!(await takesCoursesFrom(ctx, sender, announcer))) return;
  if (objectId.origin !== sender.origin) return;
  if (activity.id && activity.id.origin !== sender.origin) return;
  const object = await activity.getObject(ctx);
  if (!isCourseObject(object)) return;
  // Another actor's course cannot come in under a followed actor's Create: only an
  // Announce brings someone else's course, and then it is fetched from its publisher.
  if (object.attributionId?.href !== sender.href) return;
  const actor = await activity.getActor(ctx);
  if (isActor(actor) && actor.id?.href === sender.href) {
    const received = await embeddedJson(await asReceived(ctx, activity), object);
    await receiveCourse(
      ctx,
      object,
      actor,
      {
        delivered: true,
        ...(announcer ? { announcedBy: announcer } : {}),
        ...(activity instanceof Update ? { changes: changesSaid(activity) } : {}),
      },
      received,
    );
  }
}

/**
 * The activity as its sender wrote it. Fedify hands listeners its reading of a payload
 * that carries a Linked Data signature (as every Fedify sender's does), compacted with
 * its own context: the archive link's FEP-1311 `digestMultibase` and `size` are gone
 * from it, and so from the activity's public toJsonLd(). Fedify keeps the payload itself
 * on the inbox context (to forward it unchanged), as `activity`, which its public types
 * do not declare: read here, its id checked against the activity's. Should a Fedify
 * version drop it, the activity's own JSON is taken, without those two fields: the
 * checks against the signed manifest are then skipped, not failed, and
 * test/federation/course-objects.test.ts (a delivered Update whose digest or size
 * disagrees with its manifest is refused) fails, which says so.
 */
async function asReceived(ctx: FederationContext, activity: Create | Update): Promise<unknown> {
  const payload = (ctx as { readonly activity?: unknown }).activity;
  if (
    typeof payload === "object" &&
    payload !== null &&
    (payload as ReceivedJson).id === activity.id?.href
  ) {
    return payload;
  }
  return await activity.toJsonLd();
}

/**
 * The JSON an activity's sender wrote for its object, with the activity's context; or,
 * for an object that was not embedded (fetched instead), the fetched document.
 */
async function embeddedJson(activity: unknown, object: CourseObject): Promise<unknown> {
  const embedded = (activity as ReceivedJson | null)?.object;
  if (typeof embedded === "object" && embedded !== null && !Array.isArray(embedded)) {
    const json = embedded as ReceivedJson;
    if (json.id === object.id?.href) {
      return { "@context": (activity as ReceivedJson)["@context"], ...json };
    }
  }
  // A fetched object keeps the document it was read from.
  return await object.toJsonLd();
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
  // Fetched by its id even when the Announce embeds it: what the announcer says the
  // course is counts for nothing.
  const fetched = await fetchCourse(ctx, announce.objectId).catch(() => undefined);
  if (!fetched) return false;
  const { object, json } = fetched;
  if (object.attributionId?.origin !== announce.objectId.origin) return false;
  const publisher = await object.getAttribution(ctx);
  if (!isActor(publisher) || !publisher.id || !federatesWith(policy, publisher.id)) return false;
  // A publisher an admin blocked from a report stays out, whoever announces its courses.
  if (await ctx.data.blockedActors.has(publisher.id.href)) return false;
  return await receiveCourse(ctx, object, publisher, { ...arrival, announcedBy: announcer }, json);
}

/**
 * A course fetched from its id, signed as `reader` (our institution unless given: the
 * local actor whose follow lets it read a followers-only course), and the JSON it was
 * read from; undefined for anything but a course at that id.
 */
export async function fetchCourse(
  ctx: FederationContext,
  id: URL,
  reader: { readonly identifier: string } = { identifier: "institution" },
): Promise<{ object: CourseObject; json: ReceivedJson } | undefined> {
  const documentLoader = await ctx.getDocumentLoader(reader);
  const { document } = await documentLoader(id.href);
  if (typeof document !== "object" || document === null || Array.isArray(document)) return;
  const object = await ASObject.fromJsonLd(document, {
    documentLoader,
    contextLoader: ctx.contextLoader,
  });
  if (!isCourseObject(object) || object.id?.href !== id.href) return undefined;
  return { object, json: document as ReceivedJson };
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
 * courses reach the catalog too: its own, each checked as if its Create (or Update, for
 * a revised one) had been delivered, and those it announced (an institution's teachers' courses), each as if its
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
    try {
      // Not `delivered`: auto-restore rules are for what arrives from now on, not the past.
      if (await receiveOutboxItem(ctx, actor, item, reader, { delivered: false })) received++;
    } catch {
      // One unreadable course must not stop the others.
    }
  }
  return received;
}

/**
 * One activity of `actor`'s outbox, read as `reader`: its own Create or Update (the
 * outbox lists a revised course by its Update, which brings a course we do not hold yet
 * as a Create would), checked as if it had been delivered, or its Announce, as if that
 * had been; anything else, or anyone else's, is passed over. Back-fill and catch-up (catch-up.ts) both read outboxes
 * through this, so that neither trusts an outbox more than the inbox. Returns whether a
 * course was kept.
 */
export async function receiveOutboxItem(
  ctx: FederationContext,
  actor: Actor,
  item: unknown,
  reader: { readonly identifier: string },
  arrival: { readonly delivered: boolean },
): Promise<boolean> {
  if (
    !actor.id ||
    !(item instanceof Announce || item instanceof Create || item instanceof Update)
  ) {
    return false;
  }
  // Only the actor's own activities: an outbox cannot speak for anyone else.
  if (item.actorId?.href !== actor.id.href) return false;
  if (item instanceof Announce) return await receiveAnnounced(ctx, item, arrival);
  // As for a delivered Create or Update (never on an audience's account: this is the
  // actor's own outbox): the actor's own objects only, fetched from nowhere else
  // (and fetched: an outbox page's copy is Fedify's reading of it, not what was sent).
  if (!item.objectId || item.objectId.origin !== actor.id.origin) return false;
  const fetched = await fetchCourse(ctx, item.objectId, reader);
  return (
    fetched !== undefined &&
    (await receiveCourse(
      ctx,
      fetched.object,
      actor,
      { ...arrival, ...(item instanceof Update ? { changes: changesSaid(item) } : {}) },
      fetched.json,
    ))
  );
}

/**
 * Keeps a course in the catalog once it is shown to be the actor's: attributed to it,
 * with a manifest from the actor's own server that verifies with one of its keys and
 * names this object, and an archive that the object and the manifest describe alike
 * (FEP-1311's digest and size, when the object gives them); the catalog service keeps it
 * (catalog/catalog-service.ts). `json` is the object as its sender wrote it (for what
 * Fedify's model leaves out: the digest, the size, the title and summary on the archive
 * link); without it, what the object gives back. Returns whether it was kept.
 */
export async function receiveCourse(
  ctx: FederationContext,
  object: CourseObject,
  actor: Actor,
  arrival: {
    readonly delivered?: boolean;
    readonly announcedBy?: URL;
    /** What the Update said the revision changed, by language (changesSaid). */
    readonly changes?: Record<string, string> | null;
  } = {},
  json?: unknown,
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
  const facts = archiveFacts(await (json ?? object.toJsonLd()), archive.href);
  if ("refusal" in facts) return refused(object.id, facts.refusal);
  const jws = await fetchManifest(manifestLink.href, await institutionSigner(ctx));
  const manifest = await verifyManifest(jws, async (keyId) => {
    for await (const method of actor.getAssertionMethods(ctx)) {
      if (method.id?.href === keyId && method.publicKey) return method.publicKey;
    }
    return undefined;
  });
  if (manifest.object !== object.id.href) return false;
  if (facts.sha256 !== undefined && facts.sha256 !== manifest.archive.sha256) {
    return refused(
      object.id,
      `its archive link's digestMultibase names sha256 ${facts.sha256}, its signed manifest ${manifest.archive.sha256}.`,
    );
  }
  if (facts.size !== undefined && facts.size !== manifest.archive.size) {
    return refused(
      object.id,
      `its archive link says ${facts.size} bytes, its signed manifest ${manifest.archive.size}.`,
    );
  }
  const tags: string[] = [];
  for await (const tag of object.getTags(ctx)) {
    if (tag instanceof Hashtag && tag.name) tags.push(tag.name.toString().replace(/^#/, ""));
  }
  // Older nodes sent a Page with the title and summary on it, and a link name of their own.
  const summary = object.summary?.toString() ?? facts.summary;
  return await keepReceivedCourse(
    ctx.data,
    {
      objectUri: object.id.href,
      actorUri: actor.id.href,
      title: object.name?.toString() ?? facts.title ?? manifest.course.fullname,
      summary: summary ? sanitizeRemoteHtml(summary) : null,
      tags,
      archiveUrl: archive.href.href,
      manifest,
      manifestJws: jws,
      changes: arrival.changes ?? null,
    },
    {
      delivered: arrival.delivered,
      announcedBy: arrival.announcedBy?.href,
      describeAuthor: async () => (actor.inboxId ? await describeRemoteActor(actor) : undefined),
    },
  );
}

/** The most of an Update's sentence on what changed that is kept, per language. */
const MAX_CHANGES_CHARS = 1000;
/** Languages of that sentence kept at most. */
const MAX_CHANGES_LANGUAGES = 8;

/**
 * What an Update says its revision changed: its summaryMap by language (coursefed nodes
 * send English and French), or its summary alone under "und" (undetermined); null when it
 * says nothing. Plain text, cut to MAX_CHANGES_CHARS: the course page shows it escaped.
 */
export function changesSaid(update: Update): Record<string, string> | null {
  const tagged: [string, string][] = [];
  let untagged: string | undefined;
  for (const summary of update.summaries) {
    const text = summary.toString().trim().slice(0, MAX_CHANGES_CHARS);
    if (text === "") continue;
    if (typeof summary === "string") untagged ??= text;
    else tagged.push([summary.locale.baseName, text]);
  }
  const byLanguage = Object.fromEntries(tagged.slice(0, MAX_CHANGES_LANGUAGES));
  if (tagged.length > 0) return byLanguage;
  return untagged === undefined ? null : { und: untagged };
}

/** What the archive link of a received course says of it, read as plain JSON. */
interface ArchiveFacts {
  /** The course's title and summary (HTML), as this node's peers write them. */
  readonly title?: string;
  readonly summary?: string;
  /** FEP-1311: the archive's sha256 (hex, from its digestMultibase) and size in bytes. */
  readonly sha256?: string;
  readonly size?: number;
}

/**
 * Reads the archive link at `href` in `json`: courses from older nodes have none of
 * these fields, and are taken as before; fields that are there must be well formed.
 */
function archiveFacts(json: unknown, href: URL): ArchiveFacts | { refusal: string } {
  const attachments = (json as ReceivedJson | null)?.attachment;
  const link = (Array.isArray(attachments) ? attachments : [attachments]).find(
    (each): each is ReceivedJson =>
      typeof each === "object" && each !== null && (each as ReceivedJson).href === href.href,
  );
  if (!link) return {};
  const text = (value: unknown) => (typeof value === "string" && value !== "" ? value : undefined);
  const digest = link.digestMultibase;
  const sha256 = typeof digest === "string" ? sha256FromDigestMultibase(digest) : undefined;
  if (digest !== undefined && sha256 === undefined) {
    return {
      refusal: `its archive link's digestMultibase ${JSON.stringify(digest)} is not a base58btc sha-256 multihash (FEP-1311).`,
    };
  }
  const size = link.size;
  if (size !== undefined && !(Number.isSafeInteger(size) && (size as number) >= 0)) {
    return {
      refusal: `its archive link's size ${JSON.stringify(size)} is not a number of bytes (FEP-1311).`,
    };
  }
  return {
    ...(text(link.name) ? { title: text(link.name) } : {}),
    ...(text(link.summary) ? { summary: text(link.summary) } : {}),
    ...(sha256 ? { sha256 } : {}),
    ...(typeof size === "number" ? { size } : {}),
  };
}

/** A course turned away, on the log for the node's admin; always false. */
function refused(objectId: URL, why: string): false {
  console.warn(`coursefed: inbox: the course ${objectId.href} is refused: ${why}`);
  return false;
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
  const text = await boundedText(
    response,
    MAX_MANIFEST_BYTES,
    () => new Error(`The manifest at ${url.href} is larger than ${MAX_MANIFEST_BYTES} bytes.`),
  );
  return text.trim();
}
