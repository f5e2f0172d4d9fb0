import type { InboxContext } from "@fedify/fedify";
import {
  type Create,
  type Delete,
  Document,
  Hashtag,
  isActor,
  Link,
  type Update,
} from "@fedify/vocab";
import { MBZ_MEDIA_TYPE, verifyManifest } from "../../courses/manifest.ts";
import type { FederationServices } from "../context.ts";
import { JWS_MEDIA_TYPE } from "../course-object.ts";
import { sanitizeRemoteHtml } from "../remote-html.ts";

type Context = InboxContext<FederationServices>;

const MAX_MANIFEST_BYTES = 256 * 1024;

/** A course published or revised by an actor we follow: kept once its manifest verifies. */
export async function onCourseCreateOrUpdate(
  ctx: Context,
  activity: Create | Update,
): Promise<void> {
  const object = await activity.getObject(ctx);
  if (!(object instanceof Document) || !object.id || !activity.actorId) return;
  // Only the actor a course is attributed to may publish or change it.
  if (object.attributionId?.href !== activity.actorId.href) return;
  let archive: Link | undefined;
  let manifestLink: Link | undefined;
  for await (const attachment of object.getAttachments(ctx)) {
    if (!(attachment instanceof Link) || !attachment.href) continue;
    if (attachment.mediaType === MBZ_MEDIA_TYPE) archive = attachment;
    if (attachment.mediaType === JWS_MEDIA_TYPE) manifestLink = attachment;
  }
  if (!archive?.href || !manifestLink?.href) return;
  // Fetch the manifest only from the publisher's own server: a peer cannot point us elsewhere.
  if (manifestLink.href.origin !== activity.actorId.origin) return;
  const actor = await activity.getActor(ctx);
  if (!isActor(actor)) return;
  const jws = await fetchManifest(manifestLink.href);
  const manifest = await verifyManifest(jws, async (keyId) => {
    for await (const method of actor.getAssertionMethods(ctx)) {
      if (method.id?.href === keyId && method.publicKey) return method.publicKey;
    }
    return undefined;
  });
  if (manifest.object !== object.id.href) return;
  const tags: string[] = [];
  for await (const tag of object.getTags(ctx)) {
    if (tag instanceof Hashtag && tag.name) tags.push(tag.name.toString().replace(/^#/, ""));
  }
  ctx.data.courses.receive({
    objectUri: object.id.href,
    actorUri: activity.actorId.href,
    title: object.name?.toString() ?? manifest.course.fullname,
    summary: object.summary ? sanitizeRemoteHtml(object.summary.toString()) : null,
    tags,
    revision: manifest.revision,
    sha256: manifest.archive.sha256,
    size: manifest.archive.size,
    archiveUrl: archive.href.href,
    manifest: manifest as unknown as Record<string, unknown>,
    manifestJws: jws,
    publishedAt: Date.parse(manifest.publishedAt),
  });
}

/** A course withdrawn by its publisher: dropped from the catalog (restored copies stay). */
export async function onCourseDelete(ctx: Context, activity: Delete): Promise<void> {
  if (!activity.objectId || !activity.actorId) return;
  ctx.data.courses.tombstone(activity.objectId.href, activity.actorId.href);
}

async function fetchManifest(url: URL): Promise<string> {
  const response = await fetch(url, { headers: { accept: JWS_MEDIA_TYPE }, redirect: "error" });
  if (!response.ok) throw new Error(`The manifest at ${url.href} answered ${response.status}.`);
  const declared = Number(response.headers.get("content-length") ?? 0);
  if (declared > MAX_MANIFEST_BYTES) throw new Error(`The manifest at ${url.href} is too large.`);
  const text = await response.text();
  if (text.length > MAX_MANIFEST_BYTES)
    throw new Error(`The manifest at ${url.href} is too large.`);
  return text.trim();
}
