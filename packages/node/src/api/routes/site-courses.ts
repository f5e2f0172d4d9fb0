import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { METADATA_LIMITS } from "../../courses/publish-service.ts";
import { domainServices } from "../../federation/domain-services.ts";
import { problem } from "../../http/problem.ts";
import { refusals } from "../../http/refusal-responses.ts";
import { originOf } from "../../restores/course-origin.ts";
import { SHARE_JOB_STATES, type ShareJob } from "../../restores/share-jobs.ts";
import {
  requestShare,
  type SiteSharer,
  sharingState,
  withdrawShare,
} from "../../restores/share-service.ts";
import { VISIBILITIES } from "../../vocabulary/visibility.ts";
import type { ApiDependencies } from "../api-dependencies.ts";
import type { ApiEnv, Principal } from "../auth.ts";
import { courseMetadataFields } from "../course-metadata-fields.ts";
import { jsonBody } from "../json-request-body.ts";
import { CourseOriginSchema, originJson } from "./site-imports.ts";

const MoodleCourse = z.object({
  moodleCourseId: z.coerce
    .number()
    .int()
    .min(1)
    .openapi({ description: "The course's id on the calling Moodle site" }),
});

const ShareRequest = z
  .object({
    title: z.string().trim().min(1).max(METADATA_LIMITS.title),
    ...courseMetadataFields,
    visibility: courseMetadataFields.visibility.openapi({ description: "public by default" }),
  })
  .openapi("ShareRequest");

const ShareJobSchema = z
  .object({
    id: z.string(),
    moodleCourseId: z.number().int(),
    state: z.enum(SHARE_JOB_STATES),
    message: z.string().nullable().openapi({ description: "Why it failed, for people" }),
    errorCode: z.string().nullable().openapi({
      description: "personal_data, moodle_unreachable, moodle_backup_failed, invalid_backup, ...",
    }),
    findings: z
      .array(
        z.object({
          category: z.string(),
          count: z.number().int(),
          sources: z.array(z.object({ source: z.string(), count: z.number().int() })),
        }),
      )
      .openapi({ description: "What the personal-data scan found, when it refused the backup" }),
    course: z
      .object({ id: z.string(), revision: z.number().int(), url: z.string().url() })
      .nullable()
      .openapi({ description: "The course published, once done" }),
    requestedBy: z.string(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi("ShareJob");

const SharingStateSchema = z
  .object({
    shared: z.boolean(),
    course: z
      .object({
        id: z.string(),
        title: z.string(),
        summary: z.string().nullable(),
        tags: z.array(z.string()),
        license: z.string().nullable(),
        visibility: z.enum(VISIBILITIES),
        revision: z.number().int(),
        publishedAt: z.string(),
        url: z.string().url(),
        author: z.string(),
      })
      .nullable()
      .openapi({ description: "The course as last published; also when withdrawn" }),
    withdrawnAt: z.string().nullable(),
    derivedFrom: z
      .object({ object: z.string().url(), revision: z.number().int() })
      .nullable()
      .openapi({ description: "The catalog course it was restored from, if any" }),
    job: ShareJobSchema.nullable().openapi({
      description: "The latest share of the course, under way or finished in the last month",
    }),
    origin: CourseOriginSchema.nullable().openapi({
      description:
        "Where the course came from, if a restore of this node made it, and whether an update is available (as GET /site/courses/{id}/origin)",
    }),
  })
  .openapi("SharingState");

/** What every route of a site's sharing refuses. */
const SITE_REFUSALS = {
  site_token_required: "Only a Moodle site's token may ask",
  moodle_user_required: "Sharing acts for a Moodle user (Coursefed-Moodle-User)",
  shared_by_someone_else: "Another teacher shared this course",
};

const showState = createRoute({
  method: "get",
  path: "/site/courses/{moodleCourseId}",
  summary: "Whether a course of the calling Moodle site is shared on the network, and how",
  request: { params: MoodleCourse },
  responses: {
    200: {
      description: "The course's sharing state",
      content: { "application/json": { schema: SharingStateSchema } },
    },
    ...refusals(SITE_REFUSALS),
  },
});

const share = createRoute({
  method: "post",
  path: "/site/courses/{moodleCourseId}/share",
  summary: "Share a course of the calling Moodle site (a new revision if it is shared already)",
  description:
    "Starts a job: the node asks the site for a backup without user data (through the target's driver), scans it for personal data and publishes it as the Moodle user the request is made for. Follow it with GET /site/share-jobs/{id}. While a share of the course is under way, the same job is given back. The site vouches for the user's right to back up the course (local/coursefed:share and moodle/backup:backupcourse); the node does not check it again.",
  request: {
    params: MoodleCourse,
    body: jsonBody(ShareRequest),
  },
  responses: {
    202: {
      description: "The job, queued (or the one already under way for this course)",
      content: { "application/json": { schema: z.object({ job: ShareJobSchema }) } },
    },
    ...refusals(SITE_REFUSALS),
  },
});

const showJob = createRoute({
  method: "get",
  path: "/site/share-jobs/{id}",
  summary: "How a share of the calling site's course is going",
  request: { params: z.object({ id: z.string() }) },
  responses: {
    200: {
      description: "The job",
      content: { "application/json": { schema: z.object({ job: ShareJobSchema }) } },
    },
    ...refusals({
      ...SITE_REFUSALS,
      share_job_not_found: "No such job of this site (jobs are kept a month)",
    }),
  },
});

const withdraw = createRoute({
  method: "delete",
  path: "/site/courses/{moodleCourseId}/share",
  summary: "Withdraw the course a course of the calling site was shared as",
  description:
    "Followers get a Delete; copies restored elsewhere stay. Sharing the course again later publishes it as a new course.",
  request: { params: MoodleCourse },
  responses: {
    204: { description: "Withdrawn" },
    ...refusals({
      ...SITE_REFUSALS,
      not_shared: "The course is not shared",
      share_under_way: "Wait for the share to finish",
    }),
  },
});

type Site = NonNullable<Principal["site"]>;

/** The calling site, or the refusal for a token that is not a site's. */
function siteOf(c: Context<ApiEnv>): Site | Response {
  const { site } = c.get("principal");
  if (site) return site;
  return problem(
    c,
    403,
    "site_token_required",
    "Only a Moodle site's token may do this: register the site (coursefed moodle register TARGET) and use the token its registration code holds.",
  );
}

/** The calling site as the teacher it acts for, or the refusal when it names no Moodle user. */
function sharerOf(c: Context<ApiEnv>): SiteSharer | Response {
  const site = siteOf(c);
  if (site instanceof Response) return site;
  const { moodleUser } = site;
  if (!moodleUser) {
    return problem(
      c,
      403,
      "moodle_user_required",
      "Sharing a course acts for a Moodle user: name them in the Coursefed-Moodle-User header.",
    );
  }
  return {
    targetId: site.targetId,
    targetName: site.targetName,
    actor: c.get("principal").actor,
    requestedBy: `${moodleUser.fullname || moodleUser.username} on ${site.targetName}`,
  };
}

function jobJson(job: ShareJob, origin: string) {
  return {
    id: job.id,
    moodleCourseId: job.moodleCourseId,
    state: job.state,
    message: job.message,
    errorCode: job.errorCode,
    findings: job.findings.map(({ category, count, sources }) => ({
      category,
      count,
      sources: sources.map(({ source, count: n }) => ({ source, count: n })),
    })),
    course: job.course
      ? { ...job.course, url: new URL(`/courses/${job.course.id}`, origin).href }
      : null,
    requestedBy: job.requestedBy,
    createdAt: new Date(job.createdAt).toISOString(),
    updatedAt: new Date(job.updatedAt).toISOString(),
  };
}

/** Sharing a Moodle site's courses from the site itself (the plugin's course page). */
export function siteCourseRoutes(app: OpenAPIHono<ApiEnv>, dependencies: ApiDependencies): void {
  app.openapi(showState, async (c) => {
    const site = siteOf(c);
    if (site instanceof Response) return site as never;
    const services = domainServices(dependencies.context(c.req.raw));
    const { moodleCourseId } = c.req.valid("param");
    const state = await sharingState(services, site.targetId, moodleCourseId);
    const origin = await originOf(services, site.targetId, moodleCourseId);
    return c.json(
      {
        ...state,
        origin: origin ? originJson(origin) : null,
        course: state.course ? { ...state.course, tags: [...state.course.tags] } : null,
        job: state.job ? jobJson(state.job, services.origin) : null,
      },
      200,
    );
  });

  app.openapi(share, async (c) => {
    const sharer = sharerOf(c);
    if (sharer instanceof Response) return sharer as never;
    const services = domainServices(dependencies.context(c.req.raw));
    const { moodleCourseId } = c.req.valid("param");
    const { job } = await requestShare(services, sharer, moodleCourseId, c.req.valid("json"));
    return c.json({ job: jobJson(job, services.origin) }, 202);
  });

  app.openapi(showJob, async (c) => {
    const site = siteOf(c);
    if (site instanceof Response) return site as never;
    const { services, context } = dependencies;
    const job = await services.shareJobs.job(c.req.valid("param").id);
    // Another site's job is as absent as one that never was.
    if (!job || job.targetId !== site.targetId) {
      return problem(c, 404, "share_job_not_found", "There is no such share job of this site.");
    }
    return c.json({ job: jobJson(job, context(c.req.raw).origin) }, 200);
  });

  app.openapi(withdraw, async (c) => {
    const sharer = sharerOf(c);
    if (sharer instanceof Response) return sharer as never;
    const services = domainServices(dependencies.context(c.req.raw));
    await withdrawShare(services, sharer, c.req.valid("param").moodleCourseId);
    return c.body(null, 204);
  });
}
