import { z } from "@hono/zod-openapi";

/**
 * Raw bytes (a backup, an image) as the OpenAPI description shows them. No schema checks
 * them: each route reads them as a stream and checks what it got itself.
 */
export const binarySchema = z.any().openapi({ type: "string", format: "binary" });

/** A route's required body of raw bytes, sent as they are (application/octet-stream). */
export const binaryBody = {
  required: true,
  content: { "application/octet-stream": { schema: binarySchema } },
} as const;
