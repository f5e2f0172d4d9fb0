import { type Context, Hono } from "hono";
import type { FederationServices } from "../federation/context.ts";
import { serveBlob } from "./serve-blob.ts";

/**
 * Downloads: course archives by digest (with ETag, HEAD and single ranges, so clients can
 * resume) and each revision's signed manifest. Only public courses are served here.
 */
export function courseRoutes(services: FederationServices): Hono {
  const routes = new Hono();

  routes.get("/courses/:id/revisions/:revision/manifest", (c) => {
    const course = services.courses.course(c.req.param("id"));
    const revision =
      course && services.courses.revision(course.id, Number(c.req.param("revision")));
    if (!course || !revision || course.deletedAt !== null)
      return problem(c, 404, "not_found", "No such course revision.");
    if (course.visibility !== "public")
      return problem(c, 403, "forbidden", "This course is not public.");
    return c.body(revision.manifest, 200, {
      "content-type": "application/jose",
      "cache-control": "public, max-age=31536000, immutable",
    });
  });

  routes.on(["GET", "HEAD"], "/blobs/:sha256", async (c) => {
    const sha256 = c.req.param("sha256");
    if (!/^[0-9a-f]{64}$/.test(sha256))
      return problem(c, 404, "not_found", "Archives are named by their sha256.");
    const owners = services.courses.revisionsWithArchive(sha256);
    if (owners.length === 0)
      return problem(c, 404, "not_found", "No course archive has this digest here.");
    if (!owners.some(({ course }) => course.visibility === "public")) {
      return problem(c, 403, "forbidden", "This archive belongs to a course that is not public.");
    }
    return await serveBlob(c, services.blobs, sha256, "public");
  });

  return routes;
}

function problem(c: Context, status: 403 | 404, code: string, message: string) {
  return c.json({ error: { code, message } }, status);
}
