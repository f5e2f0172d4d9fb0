import type { z } from "@hono/zod-openapi";

/**
 * A route's required JSON body, described by `schema`: what the route validates it with
 * (`c.req.valid("json")`) and what the OpenAPI description shows. Every JSON body of the
 * API is required: a route that takes one has nothing to do without it.
 */
export function jsonBody<Schema extends z.ZodType>(schema: Schema) {
  return { required: true, content: { "application/json": { schema } } } as const;
}
