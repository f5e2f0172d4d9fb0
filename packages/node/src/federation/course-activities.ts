import type { Context } from "@fedify/fedify";
import { type Activity, Announce, Create, Delete, PUBLIC_COLLECTION, Update } from "@fedify/vocab";
import type { FederationServices } from "./context.ts";
import { COURSE_CONTEXT, type WireJson, withCourseContext } from "./course-object.ts";

/**
 * The activities that carry courses, with ids that resolve (http/course-object-routes.ts
 * answers each of them): one per revision published, one per edit of a course's details,
 * the institution's Announce of a teacher's course, the Delete of a withdrawn one.
 */
export const courseActivityIds = {
  published: (ctx: Context<FederationServices>, courseId: string, revision: number) =>
    new URL(`/courses/${courseId}/revisions/${revision}/activity`, ctx.origin),
  announced: (ctx: Context<FederationServices>, courseId: string) =>
    new URL(`/courses/${courseId}/announce`, ctx.origin),
  // The edit's time tells one edit from the next: receivers handle an activity id once.
  edited: (ctx: Context<FederationServices>, courseId: string, updatedAt: number) =>
    new URL(`/courses/${courseId}/edits/${updatedAt}`, ctx.origin),
  withdrawn: (ctx: Context<FederationServices>, courseId: string) =>
    new URL(`/courses/${courseId}/delete`, ctx.origin),
  // Made private: a Delete too, for those who received it, at the time it was hidden.
  hidden: (ctx: Context<FederationServices>, courseId: string, at: number) =>
    new URL(`/courses/${courseId}/delete/${at}`, ctx.origin),
};

/**
 * A Create or Update of a course by its author, addressed as the course is. `audience`
 * names the institution whose followers get it too (a teacher's course, which the
 * institution announced): coursefed peers that follow the institution alone take the
 * Update on that account (federation/inbox/courses.ts).
 */
export function authoredActivityJson(
  type: "Create" | "Update",
  id: URL,
  object: WireJson,
  options: {
    readonly audience?: URL | undefined;
    readonly published: string;
    /**
     * What a new revision changed, by language (course-object.ts revisionChanges): the
     * Update's summaryMap, and its summary in English for those that read only that.
     */
    readonly changes?: Readonly<Record<string, string>> | null;
  },
): WireJson {
  const changes = options.changes;
  const summary = changes ? (changes.en ?? Object.values(changes)[0]) : undefined;
  return withCourseContext({
    id: id.href,
    type,
    actor: object.attributedTo,
    object,
    to: object.to,
    ...(object.cc === undefined ? {} : { cc: object.cc }),
    ...(options.audience ? { audience: options.audience.href } : {}),
    ...(changes && summary !== undefined ? { summary, summaryMap: { ...changes } } : {}),
    published: options.published,
  });
}

/** The institution's Announce of a teacher's course, the course embedded. */
export function announceJson(
  ctx: Context<FederationServices>,
  object: WireJson,
  institution: string,
  options: { readonly public: boolean; readonly published: string },
): WireJson {
  const followers = ctx.getFollowersUri(institution).href;
  return withCourseContext({
    id: courseActivityIds.announced(ctx, String(object.id).split("/").at(-1) ?? "").href,
    type: "Announce",
    actor: ctx.getActorUri(institution).href,
    object,
    ...(options.public ? { to: [PUBLIC_COLLECTION.href], cc: [followers] } : { to: [followers] }),
    published: options.published,
  });
}

/** The Delete of a withdrawn course, its object a Tombstone (what its id answers since). */
export function withdrawalJson(
  ctx: Context<FederationServices>,
  id: URL,
  courseId: string,
  author: string,
  deleted: number,
): WireJson {
  return withCourseContext({
    id: id.href,
    type: "Delete",
    actor: ctx.getActorUri(author).href,
    object: tombstoneJson(ctx, courseId, deleted),
    to: [PUBLIC_COLLECTION.href],
  });
}

/** What a withdrawn course's id answers, with 410 Gone. */
export function tombstoneJson(
  ctx: Context<FederationServices>,
  courseId: string,
  deleted: number,
): WireJson {
  return {
    id: new URL(`/courses/${courseId}`, ctx.origin).href,
    type: "Tombstone",
    formerType: "Note",
    deleted: new Date(deleted).toISOString(),
  };
}

type JsonLdOptions = NonNullable<Parameters<Activity["toJsonLd"]>[0]>;

/**
 * The activity `json` describes, as the Fedify object that sendActivity and collections
 * take, which serializes as `json` itself. Fedify would otherwise compact its own model
 * of the activity, which has no place for FEP-1311's fields and writes the public
 * audience and the hashtags differently whether the course is fetched or delivered. The
 * integrity proof Fedify signs and adds is made over this same JSON (it asks the
 * activity for its JSON-LD, proofs aside, then adds them), so it verifies as sent.
 */
export async function wireActivity(
  ctx: Context<FederationServices>,
  json: WireJson,
): Promise<Activity> {
  // Made from its id, actor and audience alone, which is all Fedify reads of it before
  // asking for its JSON: parsing the JSON-LD took 5 ms an activity (20 an outbox page).
  const Type = ACTIVITY_TYPES[String(json.type) as keyof typeof ACTIVITY_TYPES];
  if (!Type) throw new TypeError(`wireActivity: not a course activity type: ${String(json.type)}`);
  const urls = (value: unknown) =>
    (Array.isArray(value) ? value : value === undefined ? [] : [value]).map(
      (each) => new URL(String(each)),
    );
  const activity = new Type({
    id: new URL(String(json.id)),
    actor: new URL(String(json.actor)),
    tos: urls(json.to),
    ccs: urls(json.cc),
  });
  return carrying(activity, json, ctx.contextLoader);
}

const ACTIVITY_TYPES = { Create, Update, Announce, Delete } as const;

function carrying<A extends Activity>(
  activity: A,
  json: WireJson,
  contextLoader: JsonLdOptions["contextLoader"],
): A {
  const ownJsonLd = activity.toJsonLd.bind(activity);
  const ownClone = activity.clone.bind(activity) as (...args: unknown[]) => A;
  // A clone (the signed copy, with its proof) is the same activity: it keeps the JSON.
  activity.clone = ((...args: unknown[]) =>
    carrying(ownClone(...args), json, contextLoader)) as A["clone"];
  activity.toJsonLd = async (options: JsonLdOptions = {}) => {
    if (options.format === "expand") return await ownJsonLd(options);
    const proofs: unknown[] = [];
    for await (const proof of activity.getProofs({ contextLoader })) {
      const { "@context": _context, ...rest } = (await proof.toJsonLd({
        format: "compact",
        context: COURSE_CONTEXT,
        contextLoader: options.contextLoader ?? contextLoader,
      })) as WireJson;
      proofs.push({ "@context": COURSE_CONTEXT, ...rest });
    }
    if (proofs.length === 0) return json;
    return { ...json, proof: proofs.length === 1 ? proofs[0] : proofs };
  };
  return activity;
}
