import type { Context } from "@fedify/fedify";
import { Activity, type Actor, Object as ASObject, isActor } from "@fedify/vocab";
import type { RequestSigner } from "../blobs/resumable-download.ts";
import { withdrawReceivedCourse } from "../catalog/catalog-service.ts";
import type { CatchUpCandidate } from "../follows/follow-repository.ts";
import { MBZ_MEDIA_TYPE } from "../manifests/course-manifest.ts";
import { checkAddressAllowed } from "./actor-lookup.ts";
import type { FederationServices } from "./context.ts";
import { sha256FromDigestMultibase } from "./digest-multibase.ts";
import { receiveOutboxItem } from "./inbox/courses.ts";
import { PeerDocumentError, readPeerDocument } from "./peer-document.ts";
import { actorSigner } from "./signed-fetch.ts";

type FederationContext = Context<FederationServices>;
type Json = Record<string, unknown>;

/** How much one catch-up run reads, so that no peer (or number of peers) holds it up. */
export interface CatchUpLimits {
  readonly actorsPerRun: number;
  /** Pages read of one outbox: this node's pages hold 20 courses each. */
  readonly pagesPerActor: number;
  /** A page listing more is refused: this node's list 20. */
  readonly itemsPerPage: number;
  /** The largest actor document or outbox page read, in bytes. */
  readonly documentBytes: number;
  /** Outboxes read at once. */
  readonly concurrency: number;
  /** No actor is started past this, and reads under way are cut at it (ms). */
  readonly budgetMs: number;
  /** One request's longest wait (ms). */
  readonly requestTimeoutMs: number;
  /** Courses no longer listed asked for, one request each, per actor and run. */
  readonly withdrawalChecks: number;
  /**
   * How often an outbox is read through (to its end or the page limit) rather than to the
   * first page already held: only then are the courses it no longer lists looked for.
   */
  readonly readThroughEveryMs: number;
}

export const CATCH_UP_LIMITS: CatchUpLimits = {
  actorsPerRun: 200,
  pagesPerActor: 50,
  itemsPerPage: 100,
  documentBytes: 2 * 1024 * 1024,
  concurrency: 4,
  budgetMs: 10 * 60_000,
  requestTimeoutMs: 30_000,
  withdrawalChecks: 50,
  readThroughEveryMs: 7 * 24 * 3600_000,
};

/** How reading one actor went. */
export interface CatchUpOutcome {
  readonly actorUri: string;
  /**
   * The outbox was read to its end or to a page already held, within the limits, and the
   * actor is no longer behind.
   */
  readonly caughtUp: boolean;
  /** It was read through (to its end or the page limit), not stopped at a held page. */
  readonly readThrough: boolean;
  readonly received: number;
  readonly withdrawn: number;
  /** Items refused: another server's or another actor's, or not a course activity. */
  readonly refused: number;
  /** Courses that could not be read or kept (their server failed): read again next run. */
  readonly failed: number;
  readonly pages: number;
  /** The line the follows listing shows. */
  readonly result: string;
}

/** Why an actor's catch-up stopped: logged in one line and kept for the listing. */
class CatchUpFailure extends Error {}

/**
 * Reads the outboxes of the actors we follow (with an accepted follow) to catch up on
 * what deliveries missed while this node or theirs was down: new courses and revisions
 * come in through the checks a delivery goes through (inbox/courses.ts
 * `receiveOutboxItem`, the back-fill's), and a course the outbox no longer lists whose id
 * now answers 410 (a Tombstone; or 404 for the actor's own course, made private) is
 * withdrawn as a Delete would. Our outbox lists each course where its latest revision was
 * published, newest first, so the reading stops at the first page whose courses are all
 * held at the revisions it names: what is past it is older still. Once every
 * `readThroughEveryMs` (and on the first catch-up of an actor) the outbox is read
 * through instead, to its end if the page limit allows, which alone tells which courses
 * it no longer lists. Only a course not held at the revision the outbox names is
 * fetched. One actor's failure is logged in one line and stops no other; it is read
 * again next run.
 */
export async function catchUp(
  ctx: FederationContext,
  options: {
    /** Only this actor (it must be followed), whatever its turn. */
    readonly actorUri?: string;
    /** Only the actors marked behind (an activity of theirs failed for good). */
    readonly behindOnly?: boolean;
    /** Every outbox read through, whether or not one is due (an admin asking now). */
    readonly readThrough?: boolean;
    readonly limits?: CatchUpLimits;
    readonly now?: () => number;
    readonly log?: (line: string) => void;
    /** Stops the run as its time limit would (the node is stopping). */
    readonly signal?: AbortSignal;
    /** Told how many actors the run reads, once they are listed. */
    readonly onListed?: (actors: number) => Promise<void>;
    /** Told of each actor read, once its outcome is recorded. */
    readonly onRead?: (outcome: CatchUpOutcome) => Promise<void>;
  } = {},
): Promise<CatchUpOutcome[]> {
  const limits = options.limits ?? CATCH_UP_LIMITS;
  const now = options.now ?? Date.now;
  const log = options.log ?? ((line: string) => console.error(line));
  const started = now();
  const budget = AbortSignal.any([
    AbortSignal.timeout(limits.budgetMs),
    ...(options.signal ? [options.signal] : []),
  ]);
  const candidates = (
    await ctx.data.follows.catchUpCandidates({
      ...(options.actorUri === undefined ? {} : { actorUri: options.actorUri }),
      ...(options.behindOnly ? { behindOnly: true } : {}),
    })
  )
    .filter((candidate) => candidate.notBefore === null || candidate.notBefore <= started)
    .slice(0, limits.actorsPerRun);
  await options.onListed?.(candidates.length);
  const outcomes: CatchUpOutcome[] = [];
  let next = 0;
  const worker = async () => {
    while (next < candidates.length && !budget.aborted) {
      const candidate = candidates[next++] as CatchUpCandidate;
      const startedAt = now();
      let outcome: CatchUpOutcome;
      let notBefore: number | null = null;
      try {
        outcome = await catchUpWith(ctx, candidate, limits, budget, {
          startedAt,
          readThrough: options.readThrough === true,
        });
      } catch (error) {
        const why = (error instanceof Error ? error.message : String(error)).replace(/\s+/g, " ");
        const retryAfter = error instanceof PeerDocumentError ? error.retryAfterMs : undefined;
        if (retryAfter !== undefined) notBefore = now() + retryAfter;
        log(`coursefed: catch-up: ${candidate.actorUri} failed: ${why}; read again next run`);
        outcome = {
          actorUri: candidate.actorUri,
          caughtUp: false,
          readThrough: false,
          received: 0,
          withdrawn: 0,
          refused: 0,
          failed: 0,
          pages: 0,
          result: `failed: ${why}`,
        };
      }
      if (outcome.failed > 0) {
        log(`coursefed: catch-up: ${candidate.actorUri}: ${outcome.result}; read again next run`);
      }
      outcomes.push(outcome);
      // An outbox longer than the limit was read as far as it ever will be: its actor is
      // not kept behind, to be read again every few minutes for nothing.
      const asFarAsItWill =
        outcome.pages >= limits.pagesPerActor && outcome.failed === 0 && notBefore === null;
      await ctx.data.follows.recordCatchUp(candidate.actorUri, {
        startedAt,
        result: outcome.result,
        caughtUp: outcome.caughtUp || asFarAsItWill,
        readThrough: outcome.readThrough,
        notBefore,
      });
      await options.onRead?.(outcome);
    }
  };
  await Promise.all(Array.from({ length: limits.concurrency }, worker));
  return outcomes;
}

/** Marks the sender of an activity dropped for good behind: catch-up reads it first. */
export async function markSenderBehind(ctx: FederationContext, activity: Activity): Promise<void> {
  if (activity.actorId) await ctx.data.follows.markBehind(activity.actorId.href, Date.now());
}

async function catchUpWith(
  ctx: FederationContext,
  candidate: CatchUpCandidate,
  limits: CatchUpLimits,
  budget: AbortSignal,
  run: { readonly startedAt: number; readonly readThrough: boolean },
): Promise<CatchUpOutcome> {
  const readThrough =
    run.readThrough ||
    candidate.readThroughAt === null ||
    run.startedAt - candidate.readThroughAt >= limits.readThroughEveryMs;
  const reader = await ctx.data.actors.byId(candidate.localActorId);
  if (!reader) throw new CatchUpFailure("the local actor that follows it is gone");
  const sign = await actorSigner(ctx, reader.identifier);
  const actorId = new URL(candidate.actorUri);
  // Every read is on the actor's own server: the one check a follow made, made again in
  // case its name now points inside our network.
  await checkAddressAllowed(actorId.hostname, ctx.data.allowPrivateAddresses).catch(
    (error: Error) => {
      throw new CatchUpFailure(error.message);
    },
  );
  const read = (url: URL) => readDocument(url, sign, limits, budget);
  const loaders = {
    documentLoader: await ctx.getDocumentLoader(reader),
    contextLoader: ctx.contextLoader,
  };
  const actorJson = await read(actorId);
  const actor = await ASObject.fromJsonLd(actorJson, loaders).catch(() => undefined);
  if (!isActor(actor) || actor.id?.href !== actorId.href) {
    throw new CatchUpFailure(`${actorId.href} is not that actor's document`);
  }
  if (!actor.outboxId) throw new CatchUpFailure("it names no outbox");
  const outbox = sameServer(actor.outboxId, actorId, "its outbox");
  const collection = await read(outbox);
  let page: Json = collection;
  const first = idOf(collection.first);
  if (first) {
    page =
      typeof collection.first === "object" && collection.first !== null
        ? (collection.first as Json)
        : await read(sameServer(first, actorId, "its outbox's first page"));
  }
  const seen = new Set<string>([outbox.href]);
  if (first) seen.add(first.href);
  const listed = new Set<string>();
  let received = 0;
  let refused = 0;
  let failed = 0;
  let firstFailure: string | undefined;
  let pages = 0;
  let announces = false;
  let complete = false;
  let held = false;
  for (;;) {
    pages++;
    const items = page.orderedItems ?? page.items ?? [];
    if (!Array.isArray(items)) throw new CatchUpFailure(`its outbox page ${pages} lists no items`);
    if (items.length > limits.itemsPerPage) {
      throw new CatchUpFailure(
        `its outbox page ${pages} lists ${items.length} items, more than the ${limits.itemsPerPage} read`,
      );
    }
    let known = 0;
    for (const item of items) {
      if (budget.aborted) throw new CatchUpFailure("the run's time was up");
      const taken = await takeItem(ctx, actor, item, page["@context"], candidate, reader);
      if (taken.kind === "known") known++;
      if (taken.objectUri) listed.add(taken.objectUri);
      if (taken.announce) announces = true;
      if (taken.kind === "received") received++;
      if (taken.kind === "refused") refused++;
      if (taken.kind === "failed") {
        failed++;
        firstFailure ??= `${taken.objectUri}: ${taken.why}`;
      }
    }
    const nextId = idOf(page.next);
    if (!nextId) {
      complete = true;
      break;
    }
    // Every course of this page held as it lists it: the pages past it list older ones.
    if (!readThrough && items.length > 0 && known === items.length) {
      held = true;
      break;
    }
    if (pages >= limits.pagesPerActor) break;
    const nextPage = sameServer(nextId, actorId, "its outbox's next page");
    if (seen.has(nextPage.href)) {
      throw new CatchUpFailure(`its outbox's pages loop back to ${nextPage.href}`);
    }
    seen.add(nextPage.href);
    page = await read(nextPage);
  }
  // Only an outbox read to its end tells what it no longer lists.
  const withdrawn = complete
    ? await withdrawUnlisted(ctx, actorId, listed, announces, sign, limits, budget)
    : 0;
  const parts = [`${received} received`, `${withdrawn} withdrawn`, `${pages} pages`];
  if (refused > 0) parts.push(`${refused} items refused`);
  if (failed > 0) parts.push(`${failed} courses could not be read (first ${firstFailure})`);
  if (held) parts.push(`stopped at page ${pages}, already held`);
  else if (!complete) parts.push(`stopped after ${limits.pagesPerActor} pages`);
  // A course that could not be read leaves the actor behind: it is read again next run.
  const caughtUp = (complete || held) && failed === 0;
  return {
    actorUri: candidate.actorUri,
    caughtUp,
    readThrough: !held,
    received,
    withdrawn,
    refused,
    failed,
    pages,
    result: `${caughtUp ? "ok" : "partly"}: ${parts.join(", ")}`,
  };
}

/**
 * One item of an outbox page: passed over when the catalog holds its course at the
 * revision the item names, else taken as the inbox takes the activity. An activity of
 * another server, or a Create of another server's object, is refused, as the inbox
 * refuses it.
 */
async function takeItem(
  ctx: FederationContext,
  actor: Actor,
  item: unknown,
  context: unknown,
  candidate: CatchUpCandidate,
  reader: { readonly identifier: string },
): Promise<{
  kind: "known" | "received" | "refused" | "passed" | "failed";
  objectUri?: string;
  announce?: boolean;
  why?: string;
}> {
  const actorId = actor.id as URL;
  if (typeof item !== "object" || item === null || Array.isArray(item)) return { kind: "refused" };
  const json = item as Json;
  const type = json.type;
  if (type !== "Create" && type !== "Update" && type !== "Announce") return { kind: "passed" };
  const id = idOf(json.id);
  const objectId = idOf(json.object);
  const announce = type === "Announce";
  if (!id || id.origin !== actorId.origin || idOf(json.actor)?.href !== actorId.href) {
    return { kind: "refused" };
  }
  if (!objectId || (!announce && objectId.origin !== actorId.origin)) return { kind: "refused" };
  // A Create or Update brings the actor's own course only; an embedded object that says
  // otherwise is refused before anything is fetched for it.
  const attributed = idOf((json.object as Json | null)?.attributedTo);
  if (!announce && attributed && attributed.href !== actorId.href) return { kind: "refused" };
  const objectUri = objectId.href;
  const entry = await ctx.data.catalog.catalogEntry(objectUri);
  const sha256 = archiveSha256(json.object);
  if (entry && entry.deletedAt === null && sha256 !== undefined && entry.sha256 === sha256) {
    return { kind: "known", objectUri, announce };
  }
  const activity = await Activity.fromJsonLd(
    { "@context": context, ...json },
    { documentLoader: await ctx.getDocumentLoader(reader), contextLoader: ctx.contextLoader },
  ).catch(() => undefined);
  if (!activity) return { kind: "refused", objectUri, announce };
  // What reached us after our follow was accepted would have been delivered: the
  // auto-restore rules hear of it as they would have then.
  const published = typeof json.published === "string" ? Date.parse(json.published) : Number.NaN;
  const delivered = candidate.followedSince !== null && published > candidate.followedSince;
  try {
    const kept = await receiveOutboxItem(ctx, actor, activity, reader, { delivered });
    return { kind: kept ? "received" : "passed", objectUri, announce };
  } catch (error) {
    // One unreadable course must not stop the others; the next run tries it again.
    const why = (error instanceof Error ? error.message : String(error)).replace(/\s+/g, " ");
    return { kind: "failed", objectUri, announce, why };
  }
}

/**
 * Withdraws the courses the actor's outbox no longer lists whose ids say they are gone:
 * 410 (this node's answer for a withdrawn course, with a Tombstone) or a Tombstone, and
 * for the actor's own course 404 too (a course made private is no one's to read, and its
 * publisher sent a Delete for it). A server that fails (5xx, a timeout) withdraws nothing.
 */
async function withdrawUnlisted(
  ctx: FederationContext,
  actorId: URL,
  listed: ReadonlySet<string>,
  announces: boolean,
  sign: RequestSigner,
  limits: CatchUpLimits,
  budget: AbortSignal,
): Promise<number> {
  const held = await ctx.data.catalog.liveCoursesFrom(actorId.href, {
    sameServer: announces,
    limit: 10_000,
  });
  let withdrawn = 0;
  let checked = 0;
  for (const course of held) {
    if (listed.has(course.objectUri)) continue;
    if (++checked > limits.withdrawalChecks || budget.aborted) break;
    const gone = await answersGone(new URL(course.objectUri), sign, limits, budget).catch(
      () => false,
    );
    const own = course.actorUri === actorId.href;
    if (gone === "gone" || (gone === "not-found" && own)) {
      await withdrawReceivedCourse(ctx.data, course.objectUri, actorId.href);
      withdrawn++;
    }
  }
  return withdrawn;
}

async function answersGone(
  url: URL,
  sign: RequestSigner,
  limits: CatchUpLimits,
  budget: AbortSignal,
): Promise<"gone" | "not-found" | false> {
  try {
    return (await readDocument(url, sign, limits, budget)).type === "Tombstone" ? "gone" : false;
  } catch (error) {
    if (!(error instanceof PeerDocumentError)) throw error;
    if (error.status === 410) return "gone";
    if (error.status === 404) return "not-found";
    return false;
  }
}

const ACTIVITY_JSON =
  'application/activity+json, application/ld+json; profile="https://www.w3.org/ns/activitystreams"';

/** A peer's JSON document, signed as the reader, within the run's bounds. */
async function readDocument(
  url: URL,
  sign: RequestSigner,
  limits: CatchUpLimits,
  budget: AbortSignal,
): Promise<Json> {
  return await readPeerDocument(url, {
    sign,
    accept: ACTIVITY_JSON,
    maxBytes: limits.documentBytes,
    signal: AbortSignal.any([budget, AbortSignal.timeout(limits.requestTimeoutMs)]),
  });
}

/** A link, or an embedded object's id, as a URL; undefined for anything else. */
function idOf(value: unknown): URL | undefined {
  const href =
    typeof value === "string"
      ? value
      : typeof value === "object" && value !== null && typeof (value as Json).id === "string"
        ? ((value as Json).id as string)
        : undefined;
  if (href === undefined || !URL.canParse(href)) return undefined;
  const url = new URL(href);
  return url.protocol === "https:" || url.protocol === "http:" ? url : undefined;
}

/** A page or document the outbox names, refused when it is on another server than the actor. */
function sameServer(url: URL, actorId: URL, what: string): URL {
  if (url.origin !== actorId.origin) {
    throw new CatchUpFailure(`${what} is on another server (${url.origin})`);
  }
  return url;
}

/** The sha256 an embedded course object's archive link names (FEP-1311), if any. */
function archiveSha256(object: unknown): string | undefined {
  if (typeof object !== "object" || object === null) return undefined;
  const attachments = (object as Json).attachment;
  for (const link of Array.isArray(attachments) ? attachments : [attachments]) {
    if (typeof link !== "object" || link === null) continue;
    const { mediaType, digestMultibase } = link as Json;
    if (mediaType === MBZ_MEDIA_TYPE && typeof digestMultibase === "string") {
      return sha256FromDigestMultibase(digestMultibase);
    }
  }
  return undefined;
}
