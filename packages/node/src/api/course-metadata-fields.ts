import { z } from "@hono/zod-openapi";
import { METADATA_LIMITS } from "../courses/publish-service.ts";
import { VISIBILITIES } from "../vocabulary/visibility.ts";

/**
 * A course's details as every route that publishes takes them, checked against the same
 * limits as the publishing service's: a route adds what it needs on top (a required
 * title, a default said in words).
 */
export const courseMetadataFields = {
  summary: z.string().max(METADATA_LIMITS.summary).nullish(),
  tags: z
    .array(z.string().regex(METADATA_LIMITS.tag))
    .max(METADATA_LIMITS.tags)
    .optional()
    .openapi({ description: 'Words, or words separated by single spaces: "web programming"' }),
  license: z.string().max(METADATA_LIMITS.license).nullish(),
  visibility: z.enum(VISIBILITIES).optional(),
};
