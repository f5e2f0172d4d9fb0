import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { refusals } from "../../http/refusal-responses.ts";
import { ReceiveBackupError, receiveBackup } from "../../uploads/receive-backup.ts";
import type { ApiDependencies } from "../api-dependencies.ts";
import type { ApiEnv } from "../auth.ts";
import { binaryBody } from "../binary-body.ts";

export const UploadSchema = z
  .object({
    id: z.string().uuid(),
    sha256: z.string(),
    size: z.number().int(),
    backup: z.object({
      format: z.enum(["zip", "tar.gz"]),
      moodleRelease: z.string(),
      type: z.string(),
      course: z.object({
        fullname: z.string(),
        shortname: z.string(),
        format: z.string().nullable(),
      }),
      requiredPlugins: z.array(z.string()),
      personalData: z.object({
        verdict: z.enum(["clean", "contains-personal-data"]),
        findings: z.array(z.object({ category: z.string(), count: z.number().int() })),
      }),
    }),
  })
  .openapi("Upload");

const upload = createRoute({
  method: "post",
  path: "/uploads",
  summary: "Upload a Moodle backup (.mbz) to publish it next",
  description:
    "Send the file as the raw request body. The backup is inspected at once: the answer says what it is and whether it holds personal data, before anything is published.",
  request: {
    body: binaryBody,
  },
  responses: {
    201: {
      description: "Stored and inspected",
      content: { "application/json": { schema: UploadSchema } },
    },
    ...refusals({
      incomplete_upload: "The upload stopped before the end of the file",
      too_large: "Larger than the node accepts",
      empty_upload: "An empty file",
      invalid_backup: "Not a valid Moodle backup",
    }),
  },
});

export function uploadRoutes(
  app: OpenAPIHono<ApiEnv>,
  { services, uploads, maxUploadBytes }: ApiDependencies,
): void {
  app.openapi(upload, async (c) => {
    let received: Awaited<ReturnType<typeof receiveBackup>>;
    try {
      received = await receiveBackup(services.blobs, c.req.raw.body, maxUploadBytes);
    } catch (error) {
      // The rest of the body is never read: the connection cannot carry another request.
      if (error instanceof ReceiveBackupError && error.code === "TOO_LARGE") {
        c.header("connection", "close");
      }
      throw error;
    }
    const { report, ...stored } = received;
    const record = await uploads.add(c.get("principal").token.id, stored.sha256, stored.size);
    return c.json(
      {
        id: record.id,
        sha256: stored.sha256,
        size: stored.size,
        backup: {
          format: report.format,
          moodleRelease: report.moodleRelease,
          type: report.type,
          course: {
            fullname: report.course.fullname,
            shortname: report.course.shortname,
            format: report.course.format,
          },
          requiredPlugins: [...report.requiredPlugins],
          personalData: {
            verdict: report.personalData.verdict,
            findings: report.personalData.findings.map(({ category, count }) => ({
              category,
              count,
            })),
          },
        },
      },
      201,
    );
  });
}
