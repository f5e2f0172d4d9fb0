import { createHash } from "node:crypto";
import { type Context, Hono } from "hono";
import { mayRead } from "../courses/access.ts";
import type { Course } from "../courses/course-repository.ts";
import {
  issueDownloadCapability,
  verifyDownloadCapability,
} from "../courses/download-capability.ts";
import type { FederationServices } from "../federation/context.ts";
import { archiveLinkRoutes } from "./archive-link-routes.ts";
import { serveBlob } from "./serve-blob.ts";

/** The actor whose HTTP signature a request carries, verified; undefined if unsigned. */
export type RequesterOf = (request: Request) => Promise<string | undefined>;

/**
 * Downloads: course archives by digest (with ETag, HEAD and single ranges, so clients can
 * resume) and each revision's signed manifest, to whoever may read the course, and
 * short-lived download links for those who may.
 */
export function downloadRoutes(
  services: FederationServices,
  origin: URL,
  requesterOf: RequesterOf,
): Hono {
  const routes = new Hono();

  const mayReadAny = async (courses: readonly Course[], requester: string | undefined) => {
    for (const course of courses) {
      if (await mayRead(services, course, requester)) return true;
    }
    return false;
  };

  /** Checks access; a signature is only looked at when the course is not public. */
  const allowed = async (request: Request, courses: readonly Course[]) => {
    if (await mayReadAny(courses, undefined)) return true;
    const requester = await requesterOf(request);
    return requester !== undefined && (await mayReadAny(courses, requester));
  };

  /**
   * The revision a path names, if its course is still published to peers; "withdrawn"
   * for a revision of a withdrawn course (410 Gone: it will not come back).
   */
  const servedRevision = async (c: Context) => {
    const course = await services.courses.course(c.req.param("id") ?? "");
    const revision =
      course && (await services.courses.revision(course.id, Number(c.req.param("revision"))));
    if (course && revision && course.deletedAt !== null) return "withdrawn";
    if (!course || !revision || course.visibility === "private") return undefined;
    return { course, revision };
  };

  routes.get("/courses/:id/revisions/:revision/manifest", async (c) => {
    const served = await servedRevision(c);
    if (served === "withdrawn") return problem(c, 410, "gone", "This course was withdrawn.");
    if (!served) return problem(c, 404, "not_found", "No such course revision.");
    const { course, revision } = served;
    if (!(await allowed(c.req.raw, [course]))) {
      return problem(
        c,
        403,
        "forbidden",
        "This course is for its author's followers: sign the request as one.",
      );
    }
    // A licence edit signs the manifest again at the same address: caches ask each time,
    // and its digest as ETag makes asking cheap.
    const headers = {
      "content-type": "application/jose",
      "cache-control": `${course.visibility === "public" ? "public" : "private"}, no-cache`,
      etag: `"${createHash("sha256").update(revision.manifest).digest("hex")}"`,
    };
    if (c.req.header("if-none-match") === headers.etag) return c.body(null, 304, headers);
    return c.body(revision.manifest, 200, headers);
  });

  routes.post("/courses/:id/revisions/:revision/download-link", async (c) => {
    const served = await servedRevision(c);
    if (served === "withdrawn") return problem(c, 410, "gone", "This course was withdrawn.");
    if (!served) return problem(c, 404, "not_found", "No such course revision.");
    const { course, revision } = served;
    const requester = await requesterOf(c.req.raw);
    if (!(await mayRead(services, course, requester))) {
      return problem(
        c,
        403,
        "forbidden",
        "Download links are for the course's readers: sign the request as an accepted follower.",
      );
    }
    const link = await issueDownloadCapability(services, origin, {
      sha256: revision.sha256,
      holder: requester ?? "anyone",
    });
    return c.json({ url: link.url.href, expiresAt: link.expiresAt.toISOString() });
  });

  routes.on(["GET", "HEAD"], "/blobs/:sha256", async (c) => {
    const sha256 = c.req.param("sha256");
    if (!/^[0-9a-f]{64}$/.test(sha256))
      return problem(c, 404, "not_found", "Archives are named by their sha256.");
    const courses = (await services.courses.revisionsWithArchive(sha256))
      .map(({ course }) => course)
      .filter((course) => course.visibility !== "private");
    // Private courses are never served to peers: to them the archive does not exist.
    if (courses.length === 0) {
      return (await services.courses.archiveOfWithdrawn(sha256))
        ? problem(c, 410, "gone", "The course of this archive was withdrawn.")
        : problem(c, 404, "not_found", "No course archive has this digest here.");
    }
    const token = c.req.query("access_token");
    const permitted = token
      ? await verifyDownloadCapability(services, origin, token, sha256)
      : await allowed(c.req.raw, courses);
    if (!permitted) {
      return problem(
        c,
        403,
        "forbidden",
        token
          ? "This download link has expired or is not for this archive; ask for a new one."
          : "This archive is for its author's followers: sign the request as one, or use a download link.",
      );
    }
    const isPublic = courses.some((course) => course.visibility === "public");
    return await serveBlob(c, services.blobs, sha256, isPublic ? "public" : "private", {
      toSocket: true,
    });
  });

  routes.route("/", archiveLinkRoutes(services.archiveLinks, services.blobs));

  return routes;
}

function problem(c: Context, status: 403 | 404 | 410, code: string, message: string) {
  return c.json({ error: { code, message } }, status);
}
