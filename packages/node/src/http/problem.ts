import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";

/** Every API error has this shape: a stable code for programs, a message for people. */
export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: "personal_data" }),
      message: z.string(),
      details: z.unknown().optional(),
    }),
  })
  .openapi("Error");

export function problem<Status extends ContentfulStatusCode>(
  c: Context,
  status: Status,
  code: string,
  message: string,
  details?: unknown,
) {
  return c.json(
    { error: { code, message, ...(details === undefined ? {} : { details }) } },
    status,
  );
}

export const errorResponses = {
  401: { description: "No valid token", content: { "application/json": { schema: ErrorSchema } } },
  403: {
    description: "The token may not do this",
    content: { "application/json": { schema: ErrorSchema } },
  },
} as const;

export const moodleFailureResponse = {
  description:
    "Moodle failed or could not be reached: the code is moodle_ + the driver's reason (moodle_unreachable, moodle_misconfigured, ...), details.log what Moodle printed",
  content: { "application/json": { schema: ErrorSchema } },
} as const;
