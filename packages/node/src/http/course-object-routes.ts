import type { Context as FederationContext } from "@fedify/fedify";
import { type Context, Hono } from "hono";
import { mayRead } from "../courses/access.ts";
import type { Course } from "../courses/course-repository.ts";
import type { FederationServices } from "../federation/context.ts";
import {
  announceJson,
  authoredActivityJson,
  courseActivityIds,
  tombstoneJson,
  withdrawalJson,
} from "../federation/course-activities.ts";
import {
  courseJson,
  tagUrl,
  type WireJson,
  withCourseContext,
} from "../federation/course-object.ts";
import { answerId, answerIdParts, followDigest } from "../federation/follow-activities.ts";
import type { RequesterOf } from "./download-routes.ts";

/** How many of a tag's courses its collection lists, newest first. */
const TAGGED_LISTED = 100;

/**
 * What ActivityPub readers get where Fedify has nothing to say: a withdrawn course's id
 * answers 410 Gone with a Tombstone, and the ids of the activities that carried courses
 * (course-activities.ts), of tags, and of local actors' Follows and Accepts resolve.
 * Browsers are passed on to the web pages.
 */
export function courseObjectRoutes(
  services: FederationServices,
  contextOf: (request: Request) => FederationContext<FederationServices>,
  requesterOf: RequesterOf,
): Hono {
  const routes = new Hono();

  const activity = (c: Context, json: WireJson, status: 200 | 410 = 200) =>
    c.body(JSON.stringify(json), status, {
      "content-type": "application/activity+json",
      vary: "Accept",
    });

  /** The course a path names, if its reader may have it; or the answer instead. */
  const readable = async (c: Context): Promise<Course | Response> => {
    const course = await services.courses.course(c.req.param("id") ?? "");
    if (!course) return c.notFound();
    if (course.deletedAt !== null) {
      return activity(
        c,
        withCourseContext(tombstoneJson(contextOf(c.req.raw), course.id, course.deletedAt)),
        410,
      );
    }
    if (await mayRead(services, course, undefined)) return course;
    if (
      course.visibility !== "private" &&
      (await mayRead(services, course, await requesterOf(c.req.raw)))
    ) {
      return course;
    }
    return c.notFound();
  };

  routes.get("/courses/:id", async (c, next) => {
    if (!asksForActivityPub(c)) return await next();
    // Fedify answered for the courses it serves: this is what it did not.
    const course = await services.courses.course(c.req.param("id") ?? "");
    if (course?.deletedAt == null) return await next();
    return activity(
      c,
      withCourseContext(tombstoneJson(contextOf(c.req.raw), course.id, course.deletedAt)),
      410,
    );
  });

  routes.get("/courses/:id/revisions/:revision/activity", async (c, next) => {
    if (!asksForActivityPub(c)) return await next();
    const found = await readable(c);
    if (found instanceof Response) return found;
    const number = Number(c.req.param("revision"));
    const json = await authored(c, found, number === 1 ? "Create" : "Update", (ctx) =>
      courseActivityIds.published(ctx, found.id, number),
    );
    return json ? activity(c, json) : c.notFound();
  });

  routes.get("/courses/:id/edits/:at", async (c, next) => {
    if (!asksForActivityPub(c)) return await next();
    const found = await readable(c);
    if (found instanceof Response) return found;
    const at = Number(c.req.param("at"));
    if (!Number.isSafeInteger(at)) return c.notFound();
    const json = await authored(c, found, "Update", (ctx) =>
      courseActivityIds.edited(ctx, found.id, at),
    );
    return json ? activity(c, json) : c.notFound();
  });

  routes.get("/courses/:id/announce", async (c, next) => {
    if (!asksForActivityPub(c)) return await next();
    const found = await readable(c);
    if (found instanceof Response) return found;
    const ctx = contextOf(c.req.raw);
    const [revision, author] = await Promise.all([
      services.courses.latestRevision(found.id),
      services.actors.byId(found.actorId),
    ]);
    if (!revision || author?.type !== "Person") return c.notFound();
    const object = courseJson(ctx, found, revision, author.identifier);
    return activity(
      c,
      announceJson(ctx, object, "institution", {
        public: found.visibility === "public",
        published: String(object.updated),
      }),
    );
  });

  // A withdrawn course's Delete, and the Delete of a course made private since.
  routes.get("/courses/:id/delete/:at?", async (c, next) => {
    if (!asksForActivityPub(c)) return await next();
    const course = await services.courses.course(c.req.param("id") ?? "");
    const at = c.req.param("at");
    const gone = at === undefined ? course?.deletedAt != null : course?.visibility === "private";
    const author = course && (await services.actors.byId(course.actorId));
    if (!course || !gone || !author) return c.notFound();
    const ctx = contextOf(c.req.raw);
    const deleted = at === undefined ? (course.deletedAt ?? 0) : Number(at);
    if (!Number.isSafeInteger(deleted)) return c.notFound();
    const id =
      at === undefined
        ? courseActivityIds.withdrawn(ctx, course.id)
        : courseActivityIds.hidden(ctx, course.id, deleted);
    return activity(c, withdrawalJson(ctx, id, course.id, author.identifier, deleted));
  });

  // A tag's page for browsers (web/), the collection of its public courses for the rest.
  routes.get("/tags/:tag", async (c, next) => {
    if (!asksForActivityPub(c)) return await next();
    const tag = c.req.param("tag");
    const ctx = contextOf(c.req.raw);
    const courses = await services.courses.publicCoursesTagged(tag, TAGGED_LISTED);
    return activity(
      c,
      withCourseContext({
        id: tagUrl(ctx, tag).href,
        type: "OrderedCollection",
        totalItems: courses.length,
        orderedItems: courses.map((course) => new URL(`/courses/${course.id}`, ctx.origin).href),
      }),
    );
  });

  // A local actor's Follow, while it stands (pending or accepted).
  routes.get("/actors/:identifier/follows/:follow", async (c, next) => {
    if (!asksForActivityPub(c)) return await next();
    const local = await services.actors.byIdentifier(c.req.param("identifier"));
    if (!local) return c.notFound();
    const ctx = contextOf(c.req.raw);
    const id = new URL(c.req.path, ctx.origin).href;
    const following = (await services.follows.followings(local.id)).find(
      (each) => each.followId === id,
    );
    if (!following || following.state === "rejected") return c.notFound();
    return activity(
      c,
      withCourseContext({
        id,
        type: "Follow",
        actor: ctx.getActorUri(local.identifier).href,
        object: following.actorUri,
      }),
    );
  });

  // A local actor's Accept of a follower, while the follow stands.
  routes.get("/actors/:identifier/answers/:answer", async (c, next) => {
    if (!asksForActivityPub(c)) return await next();
    const local = await services.actors.byIdentifier(c.req.param("identifier"));
    const parts = answerIdParts(c.req.param("answer"));
    if (!local || !parts) return c.notFound();
    const follower = await services.follows.follower(local.id, parts.followerUri);
    if (follower?.state !== "accepted" || followDigest(follower.followId) !== parts.followDigest) {
      return c.notFound();
    }
    const ctx = contextOf(c.req.raw);
    const actor = ctx.getActorUri(local.identifier).href;
    return activity(
      c,
      withCourseContext({
        id: answerId(ctx, local.identifier, follower.actorUri, follower.followId).href,
        type: "Accept",
        actor,
        object: { id: follower.followId, type: "Follow", actor: follower.actorUri, object: actor },
      }),
    );
  });

  /** The author's Create or Update of `course` as it is now; undefined if it is not whole. */
  async function authored(
    c: Context,
    course: Course,
    type: "Create" | "Update",
    idOf: (ctx: FederationContext<FederationServices>) => URL,
  ): Promise<WireJson | undefined> {
    const ctx = contextOf(c.req.raw);
    const [revision, author] = await Promise.all([
      services.courses.latestRevision(course.id),
      services.actors.byId(course.actorId),
    ]);
    if (!revision || !author) return undefined;
    const object = courseJson(ctx, course, revision, author.identifier);
    return authoredActivityJson(type, idOf(ctx), object, { published: String(object.updated) });
  }

  return routes;
}

/** Whether a request asks for ActivityPub; the rest (browsers) go on to the web pages. */
function asksForActivityPub(c: Context): boolean {
  return /application\/(activity\+json|ld\+json)/.test(c.req.header("accept") ?? "");
}
