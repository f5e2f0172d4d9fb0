import { z } from "@hono/zod-openapi";

/** A compatibility problem (see @coursefed/moodle checkCompatibility) or missing activities. */
export const RestoreProblem = z
  .object({
    kind: z.string().openapi({
      description: "newer-backup, missing-plugins, outdated-plugins, too-large, missing-activities",
    }),
    message: z.string().optional(),
  })
  .catchall(z.unknown())
  .openapi("RestoreProblem");
