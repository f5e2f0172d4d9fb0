import { stat } from "node:fs/promises";
import { Readable } from "node:stream";
import { type Context, Hono } from "hono";
import type { FederationServices } from "../federation/context.ts";

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
    const path = services.blobs.pathOf(sha256);
    const { size } = await stat(path);
    const etag = `"${sha256}"`;
    const headers: Record<string, string> = {
      "content-type": "application/vnd.moodle.backup",
      "accept-ranges": "bytes",
      etag,
      "cache-control": "public, max-age=31536000, immutable",
      "content-disposition": `attachment; filename="${sha256}.mbz"`,
    };
    if (c.req.header("if-none-match") === etag) return c.body(null, 304, headers);
    const range = parseRange(c.req.header("range"), size, c.req.header("if-range"), etag);
    if (range === "unsatisfiable") {
      return c.body(null, 416, { ...headers, "content-range": `bytes */${size}` });
    }
    const { start, end } = range ?? { start: 0, end: size - 1 };
    const length = size === 0 ? 0 : end - start + 1;
    Object.assign(headers, { "content-length": String(length) });
    if (range) headers["content-range"] = `bytes ${start}-${end}/${size}`;
    const status = range ? 206 : 200;
    if (c.req.method === "HEAD" || length === 0) return c.body(null, status, headers);
    const body = Readable.toWeb(services.blobs.read(sha256, { start, end })) as ReadableStream;
    return c.body(body, status, headers);
  });

  return routes;
}

/** A single "bytes=a-b" range; several ranges, or an If-Range that no longer matches, get the whole file. */
function parseRange(
  header: string | undefined,
  size: number,
  ifRange: string | undefined,
  etag: string,
): { start: number; end: number } | "unsatisfiable" | undefined {
  if (!header || (ifRange !== undefined && ifRange !== etag)) return undefined;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match || (match[1] === "" && match[2] === "")) return undefined;
  let start: number;
  let end: number;
  if (match[1] === "") {
    start = Math.max(0, size - Number(match[2]));
    end = size - 1;
  } else {
    start = Number(match[1]);
    end = match[2] === "" ? size - 1 : Math.min(Number(match[2]), size - 1);
  }
  if (start >= size || start > end) return "unsatisfiable";
  return { start, end };
}

function problem(c: Context, status: 403 | 404, code: string, message: string) {
  return c.json({ error: { code, message } }, status);
}
