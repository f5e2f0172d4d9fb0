import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import type { ApiDependencies } from "../api.ts";
import type { ApiEnv } from "../auth.ts";
import { errorResponses } from "../problem.ts";

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

export function catalogRoutes(app: OpenAPIHono<ApiEnv>, { services }: ApiDependencies): void {
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
