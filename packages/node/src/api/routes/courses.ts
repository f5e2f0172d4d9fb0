import type { Context as FederationContext } from "@fedify/fedify";
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { Course, CourseRevision } from "../../courses/course-repository.ts";
import { CAPABILITY_LIFETIME, issueDownloadCapability } from "../../courses/download-capability.ts";
import { editCourse, METADATA_LIMITS, withdrawCourse } from "../../courses/publish-service.ts";
import type { FederationServices } from "../../federation/context.ts";
import { domainServices } from "../../federation/domain-services.ts";
import { problem } from "../../http/problem.ts";
import { MOODLE_FAILED, refusals } from "../../http/refusal-responses.ts";
import { publishFromMoodle } from "../../restores/publish-from-moodle.ts";
import { publishUpload } from "../../uploads/publish-upload.ts";
import { VISIBILITIES } from "../../vocabulary/visibility.ts";
import type { ApiDependencies } from "../api-dependencies.ts";
import { type ApiEnv, requireAdmin } from "../auth.ts";
import { courseMetadataFields } from "../course-metadata-fields.ts";
import { jsonBody } from "../json-request-body.ts";

const metadataFields = {
  title: z.string().min(1).max(METADATA_LIMITS.title).optional().openapi({
    description:
      "Left out: a new revision keeps its course's title, a new course takes the backup's course name; so do a new revision's summary, tags, licence and visibility",
  }),
  ...courseMetadataFields,
};

const PublishRequest = z
  .object({
    uploadId: z.string().uuid().openapi({ description: "From POST /uploads" }),
    ...metadataFields,
    sanitize: z
      .boolean()
      .optional()
      .openapi({ description: "Remove personal data instead of refusing the backup" }),
    derivedFrom: z
      .object({
        object: z.url().max(2000),
        revision: z.number().int().min(1).optional(),
      })
      .optional()
      .openapi({
        description:
          "The course this one adapts: ours or in our catalog, its latest revision unless given. Every ancestor's licence is checked (no derivative of an ND course, share-alike keeps the same licence, NC is carried) and credited; a new revision keeps its course's source unless given",
      }),
  })
  .openapi("PublishRequest");

const Published = z
  .object({
    id: z.string(),
    object: z.string().url(),
    revision: z.number().int(),
    sha256: z.string(),
    size: z.number().int(),
  })
  .openapi("PublishedCourse");

const FromMoodleRequest = PublishRequest.omit({ uploadId: true, sanitize: true })
  .extend({
    target: z.string().openapi({ description: "The Moodle target's name" }),
    courseId: z.number().int().min(1).openapi({ description: "The course's id on that site" }),
  })
  .openapi("PublishFromMoodleRequest");

/** What publishing refuses, from an upload or from Moodle. */
const PUBLISH_REFUSALS = {
  course_not_found: "No such course (for a revision)",
  forbidden: "The token may not do this, or the course is another teacher's",
  personal_data: "Personal data found (details lists it)",
  invalid_backup: "Not a valid backup",
  invalid_metadata: "Metadata refused (an empty title, a tag of more than 64 characters...)",
  unknown_source: "A source not in our catalog",
  licence_refused: "A licence an ancestor's forbids (the message names the ancestor)",
};

const published = {
  description: "Published and announced to followers",
  content: { "application/json": { schema: Published } },
};

const publishResponses = {
  201: published,
  ...refusals({ ...PUBLISH_REFUSALS, upload_not_found: "No such upload of yours" }),
} as const;

const publish = createRoute({
  method: "post",
  path: "/courses",
  summary: "Publish an uploaded backup as a new course",
  request: {
    body: jsonBody(PublishRequest),
  },
  responses: publishResponses,
});

const revise = createRoute({
  method: "post",
  path: "/courses/{id}/revisions",
  summary: "Publish an uploaded backup as a new revision of a course (followers get an Update)",
  request: {
    params: z.object({ id: z.string() }),
    body: jsonBody(PublishRequest),
  },
  responses: publishResponses,
});

// Declared apart, like publishResponses: spread inline into createRoute, the refusals'
// statuses are lost from the handler's allowed return types.
const fromMoodleResponses = {
  201: published,
  ...refusals({
    ...PUBLISH_REFUSALS,
    target_not_found: "No such target",
    moodle_not_found: "No such course on the site",
    "moodle_*": MOODLE_FAILED,
  }),
} as const;

const publishFromMoodleRoute = createRoute({
  method: "post",
  path: "/courses/from-moodle",
  summary: "Publish a course of a Moodle target (its backup made without user data) (admin)",
  description:
    "The site makes the backup, which must come out clean of personal data. Publishing the same Moodle course again makes a new revision; a course restored from the catalog names its source (derivedFrom). Admin only: this node cannot tell which teacher a Moodle course belongs to, and a teacher must not publish a colleague's course as their own.",
  middleware: [requireAdmin] as const,
  request: {
    body: jsonBody(FromMoodleRequest),
  },
  responses: fromMoodleResponses,
});

const EditRequest = z
  .object(metadataFields)
  .refine((fields) => Object.values(fields).some((value) => value !== undefined), {
    message: "Give at least one of title, summary, tags, license and visibility.",
  })
  .openapi("CourseEdit", {
    description: "The fields to change; null clears a summary or licence",
  });

const EditedCourse = z
  .object({
    id: z.string(),
    object: z.string().url(),
    revision: z.number().int().openapi({ description: "Unchanged by an edit" }),
    title: z.string(),
    summary: z.string().nullable(),
    tags: z.array(z.string()),
    license: z.string().nullable(),
    visibility: z.enum(VISIBILITIES),
  })
  .openapi("EditedCourse");

const editResponses = {
  200: { description: "Changed", content: { "application/json": { schema: EditedCourse } } },
  ...refusals({
    course_not_found: "No such course",
    forbidden: "The token may not do this, or the course is another teacher's",
    invalid_metadata: "Metadata refused (an empty title, a tag of more than 64 characters...)",
  }),
} as const;

const edit = createRoute({
  method: "patch",
  path: "/courses/{id}",
  summary: "Change a course's title, summary, tags, licence or visibility, without a new revision",
  description:
    "The archive and the revision stay; followers get an Update of the course (a teacher's is announced again by the institution) and change their catalog entry. A new licence is signed into the current revision's manifest. Made private, the course is no longer served and followers get a Delete. The course's author may, and an admin token for any course.",
  request: {
    params: z.object({ id: z.string() }),
    body: jsonBody(EditRequest),
  },
  responses: editResponses,
});

const withdraw = createRoute({
  method: "delete",
  path: "/courses/{id}",
  summary: "Withdraw a course (followers get a Delete; copies restored elsewhere stay)",
  request: { params: z.object({ id: z.string() }) },
  responses: {
    204: { description: "Withdrawn" },
    ...refusals({
      course_not_found: "No such course",
      forbidden: "The token may not do this, or the course is another teacher's",
    }),
  },
});

const downloadLink = createRoute({
  method: "post",
  path: "/courses/{id}/download-links",
  summary: "A short-lived link to a revision's archive that needs no signature (author or admin)",
  description:
    "For handing a followers-only course to someone or something that cannot sign requests. The link works for that archive alone until it expires.",
  request: {
    params: z.object({ id: z.string() }),
    body: jsonBody(
      z.object({
        revision: z.number().int().min(1).optional().openapi({ description: "Latest by default" }),
        seconds: z
          .number()
          .int()
          .min(60)
          .max(CAPABILITY_LIFETIME.maxSeconds)
          .optional()
          .openapi({ description: "Lifetime in seconds; 900 (15 minutes) by default" }),
      }),
    ),
  },
  responses: {
    ...refusals({
      forbidden: "Not the course's author, nor an admin",
      course_not_found: "No such course",
      revision_not_found: "No such revision",
      private_course: "A private course: never served to anyone outside this node",
    }),
    201: {
      description: "The link",
      content: {
        "application/json": {
          schema: z.object({ url: z.string().url(), expiresAt: z.string() }),
        },
      },
    },
  },
});

export function courseRoutes(app: OpenAPIHono<ApiEnv>, dependencies: ApiDependencies): void {
  app.openapi(publish, (c) => publishFrom(c, dependencies, c.req.valid("json")));
  app.openapi(revise, (c) =>
    publishFrom(c, dependencies, c.req.valid("json"), c.req.valid("param").id),
  );
  app.openapi(publishFromMoodleRoute, async (c) => {
    const { target, courseId, ...metadata } = c.req.valid("json");
    const ctx = dependencies.context(c.req.raw);
    const published = await publishFromMoodle(
      domainServices(ctx),
      c.get("principal").actor,
      { targetName: target, moodleCourseId: courseId },
      metadata,
    );
    return c.json(publishedJson(ctx, published), 201);
  });

  app.openapi(downloadLink, async (c) => {
    const { services, context } = dependencies;
    const { token, actor } = c.get("principal");
    const course = await services.courses.course(c.req.valid("param").id);
    if (!course || course.deletedAt !== null) {
      return problem(c, 404, "course_not_found", "There is no such course here.");
    }
    if (course.actorId !== actor.id && token.role !== "admin") {
      return problem(c, 403, "forbidden", "Only the course's author or an admin may do this.");
    }
    if (course.visibility === "private") {
      return problem(
        c,
        409,
        "private_course",
        "This course is private: its archive is never served outside this node. Change its visibility first.",
      );
    }
    const { revision: number, seconds } = c.req.valid("json");
    const revision =
      number === undefined
        ? await services.courses.latestRevision(course.id)
        : await services.courses.revision(course.id, number);
    if (!revision) return problem(c, 404, "revision_not_found", `There is no revision ${number}.`);
    const link = await issueDownloadCapability(
      services,
      new URL(context(c.req.raw).canonicalOrigin),
      { sha256: revision.sha256, holder: `token:${token.name}`, ...(seconds ? { seconds } : {}) },
    );
    return c.json({ url: link.url.href, expiresAt: link.expiresAt.toISOString() }, 201);
  });

  app.openapi(edit, async (c) => {
    const { token, actor } = c.get("principal");
    const ctx = dependencies.context(c.req.raw);
    const course = await editCourse(
      domainServices(ctx),
      { actorId: actor.id, mayEditAny: token.role === "admin" },
      c.req.valid("param").id,
      c.req.valid("json"),
    );
    const revision = await dependencies.services.courses.latestRevision(course.id);
    return c.json(
      {
        id: course.id,
        object: new URL(`/courses/${course.id}`, ctx.origin).href,
        revision: revision?.revision ?? 0,
        title: course.title,
        summary: course.summary,
        tags: course.tags,
        license: course.license,
        visibility: course.visibility,
      },
      200,
    );
  });

  app.openapi(withdraw, async (c) => {
    await withdrawCourse(
      domainServices(dependencies.context(c.req.raw)),
      c.get("principal").actor,
      c.req.valid("param").id,
    );
    return c.body(null, 204);
  });
}

async function publishFrom(
  c: Context<ApiEnv>,
  { uploads, webUploads, context }: ApiDependencies,
  request: z.infer<typeof PublishRequest>,
  courseId?: string,
) {
  const { token, actor } = c.get("principal");
  const upload = await uploads.find(request.uploadId, token.id);
  if (!upload)
    return problem(c, 404, "upload_not_found", `There is no upload ${request.uploadId} of yours.`);
  const ctx = context(c.req.raw);
  const published = await publishUpload(
    domainServices(ctx),
    { uploads, webUploads },
    actor,
    { sha256: upload.sha256, forget: () => uploads.remove(upload.id) },
    request,
    {
      ...(courseId ? { courseId } : {}),
      sanitize: request.sanitize ?? false,
      ...(request.derivedFrom ? { derivedFrom: request.derivedFrom } : {}),
    },
  );
  return c.json(publishedJson(ctx, published), 201);
}

function publishedJson(
  ctx: FederationContext<FederationServices>,
  { course, revision }: { course: Course; revision: CourseRevision },
) {
  return {
    id: course.id,
    object: new URL(`/courses/${course.id}`, ctx.origin).href,
    revision: revision.revision,
    sha256: revision.sha256,
    size: revision.size,
  };
}
