import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { BlobDigestError } from "../../blobs/blob-store.ts";
import { DownloadError } from "../../blobs/resumable-download.ts";
import { FetchError, fetchCatalogArchive } from "../../courses/fetch-service.ts";
import { serveBlob } from "../../http/serve-blob.ts";
import type { ApiDependencies } from "../api.ts";
import type { ApiEnv } from "../auth.ts";
import { ErrorSchema, errorResponses, problem } from "../problem.ts";

const CatalogEntry = z
  .object({
    object: z.string().url(),
    actor: z.string().url(),
    title: z.string(),
    summary: z.string().nullable().openapi({ description: "Sanitized HTML" }),
    tags: z.array(z.string()),
    revision: z.number().int(),
    sha256: z.string(),
    size: z.number().int(),
    archive: z.string().url(),
    moodleRelease: z.string().optional(),
    requiredPlugins: z.array(z.string()).optional(),
    publishedAt: z.string(),
  })
  .openapi("CatalogEntry");

const list = createRoute({
  method: "get",
  path: "/catalog",
  summary: "Courses received from the actors this node follows",
  request: {
    query: z.object({
      q: z
        .string()
        .max(200)
        .optional()
        .openapi({ description: "Words to find in title, summary or tags" }),
      actor: z.string().url().optional(),
      tag: z.string().optional(),
      limit: z.coerce.number().int().min(1).max(200).default(50),
      offset: z.coerce.number().int().min(0).default(0),
    }),
  },
  responses: {
    200: {
      description: "Matching courses, newest first",
      content: {
        "application/json": {
          schema: z.object({ total: z.number().int(), items: z.array(CatalogEntry) }),
        },
      },
    },
    ...errorResponses,
  },
});

const fetchArchive = createRoute({
  method: "post",
  path: "/catalog/fetch",
  summary: "Bring a catalog course's archive to this node, verified against its signed digest",
  description: "Resumes an earlier interrupted download. Then GET /archives/{sha256} serves it.",
  request: {
    body: {
      required: true,
      content: { "application/json": { schema: z.object({ object: z.string().url() }) } },
    },
  },
  responses: {
    200: {
      description: "Here, verified",
      content: {
        "application/json": { schema: z.object({ sha256: z.string(), size: z.number().int() }) },
      },
    },
    404: {
      description: "Not in the catalog, or withdrawn",
      content: { "application/json": { schema: ErrorSchema } },
    },
    409: {
      description: "Refused: archive elsewhere than its publisher, or server not federated",
      content: { "application/json": { schema: ErrorSchema } },
    },
    502: {
      description: "Download failed or digest mismatch",
      content: { "application/json": { schema: ErrorSchema } },
    },
    ...errorResponses,
  },
});

const downloadArchive = createRoute({
  method: "get",
  path: "/archives/{sha256}",
  summary: "Download an archive this node holds (Range, If-Range and ETag supported)",
  request: { params: z.object({ sha256: z.string().regex(/^[0-9a-f]{64}$/) }) },
  responses: {
    200: {
      description: "The archive",
      content: {
        "application/vnd.moodle.backup": {
          schema: z.any().openapi({ type: "string", format: "binary" }),
        },
      },
    },
    404: { description: "Not held here", content: { "application/json": { schema: ErrorSchema } } },
    ...errorResponses,
  },
});

export function catalogRoutes(
  app: OpenAPIHono<ApiEnv>,
  { services, context }: ApiDependencies,
): void {
  app.openapi(fetchArchive, async (c) => {
    try {
      const stored = await fetchCatalogArchive(context(c.req.raw), c.req.valid("json").object);
      return c.json(stored, 200);
    } catch (error) {
      return fetchRefusal(c, error);
    }
  });

  app.openapi(downloadArchive, async (c) => {
    const { sha256 } = c.req.valid("param");
    if (!(await services.blobs.has(sha256))) {
      return problem(
        c,
        404,
        "not_found",
        "This node holds no archive with that digest; fetch it first.",
      );
    }
    return (await serveBlob(c, services.blobs, sha256, "private")) as never;
  });

  app.openapi(list, (c) => {
    const query = c.req.valid("query");
    const { total, entries } = services.courses.searchCatalog(query);
    const items = entries.map((entry) => {
      const manifest = entry.manifest as {
        moodle?: { release?: string };
        requiredPlugins?: string[];
      };
      return {
        object: entry.objectUri,
        actor: entry.actorUri,
        title: entry.title,
        summary: entry.summary,
        tags: entry.tags,
        revision: entry.revision,
        sha256: entry.sha256,
        size: entry.size,
        archive: entry.archiveUrl,
        ...(manifest.moodle?.release ? { moodleRelease: manifest.moodle.release } : {}),
        ...(manifest.requiredPlugins ? { requiredPlugins: manifest.requiredPlugins } : {}),
        publishedAt: new Date(entry.publishedAt).toISOString(),
      };
    });
    return c.json({ total, items }, 200);
  });
}

function fetchRefusal(c: Context<ApiEnv>, error: unknown) {
  if (error instanceof FetchError) {
    const code = error.code.toLowerCase();
    if (error.code === "NOT_IN_CATALOG" || error.code === "WITHDRAWN")
      return problem(c, 404, code, error.message);
    return problem(c, 409, code, error.message);
  }
  if (error instanceof DownloadError || error instanceof BlobDigestError) {
    return problem(c, 502, "download_failed", error.message);
  }
  throw error;
}
