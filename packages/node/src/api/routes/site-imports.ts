import type { RestoreDestination } from "@coursefed/moodle";
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { problem } from "../../http/problem.ts";
import { refusals } from "../../http/refusal-responses.ts";
import { originOf } from "../../restores/course-origin.ts";
import type { RestoreJob } from "../../restores/restore-repository.ts";
import { requestRestore } from "../../restores/restore-service.ts";
import { RESTORE_JOB_STATES } from "../../vocabulary/restore-job-states.ts";
import type { ApiDependencies } from "../api-dependencies.ts";
import { type ApiEnv, auditActorOf, type Principal } from "../auth.ts";
import { jsonBody } from "../json-request-body.ts";
import { RestoreProblem } from "../restore-problem.ts";

const ImportDestination = z
  .union([
    z.object({
      kind: z.literal("new-course"),
      categoryId: z.number().int().min(1),
      fullName: z.string().trim().min(1).max(254).optional(),
      shortName: z.string().trim().min(1).max(100).optional(),
    }),
    z.object({
      kind: z.literal("existing-course"),
      courseId: z.number().int().min(1),
      mode: z.enum(["merge", "replace"]),
    }),
  ])
  .openapi("SiteImportDestination");

const ImportJob = z
  .object({
    id: z.string(),
    object: z.string().url(),
    revision: z.number().int(),
    destination: z.record(z.string(), z.union([z.string(), z.number()])),
    state: z.enum(RESTORE_JOB_STATES),
    problems: z.array(RestoreProblem),
    moodleCourseId: z.number().int().nullable(),
    courseUrl: z.string().nullable(),
    errorCode: z.string().nullable(),
    errorMessage: z.string().nullable(),
    createdAt: z.string(),
    finishedAt: z.string().nullable(),
  })
  .openapi("SiteImportJob");

const Publisher = z.object({
  actor: z.string().nullable(),
  name: z.string().nullable(),
  handle: z.string().nullable(),
});

/** Where a course of a site came from on the network (GET /site/courses/{id} tells it too). */
export const CourseOriginSchema = z
  .object({
    object: z.string().url(),
    title: z.string(),
    institution: Publisher.extend({ host: z.string() }),
    teacher: Publisher.nullable(),
    revision: z.number().int().openapi({ description: "The revision the course holds" }),
    restoredAt: z.string(),
    latestRevision: z.number().int(),
    updateAvailable: z.boolean(),
    withdrawn: z.boolean(),
    changes: z
      .object({
        title: z.object({ before: z.string(), after: z.string() }).nullable(),
        sections: z.object({ before: z.number().int(), after: z.number().int() }).nullable(),
        activities: z.array(
          z.object({ module: z.string(), before: z.number().int(), after: z.number().int() }),
        ),
        size: z.object({ before: z.number().int(), after: z.number().int() }),
        summary: z.string().nullable(),
      })
      .nullable()
      .openapi({
        description:
          "From the restored revision to the latest, as their signed manifests tell; null without a newer one",
      }),
  })
  .openapi("CourseOrigin");

/** What every route of a site's imports refuses. */
const SITE_REFUSALS = {
  site_token_required: "Only a Moodle site's token may ask",
  moodle_user_required: "An import acts for a Moodle user (Coursefed-Moodle-User)",
  restore_not_permitted: "The node's rules refuse it",
};

const requestImport = createRoute({
  method: "post",
  path: "/site/imports",
  summary: "Import a catalog course into the calling Moodle site",
  description:
    "For a site token acting for a Moodle user: queues a restore job into the site's own target (as POST /restores does), into a category (a new course) or an existing course (merge or replace, with confirm: true). The site checked the user's Moodle capabilities on the destination: the node's teacher grants are not asked for.",
  request: {
    body: jsonBody(
      z.object({
        catalogCourse: z.string().url().openapi({ description: "A catalog course's object id" }),
        revision: z.number().int().min(1).optional().openapi({
          description: "The latest received by default",
        }),
        destination: ImportDestination,
        confirm: z.boolean().optional().openapi({
          description:
            "Into an existing course: true once the person confirmed merging into or replacing it",
        }),
      }),
    ),
  },
  responses: {
    202: {
      description: "Queued, or the same import asked for before (see repeat)",
      content: {
        "application/json": {
          schema: z.object({
            job: ImportJob,
            repeat: z.enum(["unchanged", "queued-again"]).nullable(),
          }),
        },
      },
    },
    ...refusals({
      ...SITE_REFUSALS,
      not_in_catalog: "Not in the catalog",
      no_such_revision: "No such revision",
      withdrawn: "Withdrawn by its publisher",
      confirmation_required: "Into an existing course without confirm: true",
    }),
  },
});

const showImport = createRoute({
  method: "get",
  path: "/site/imports/{id}",
  summary: "One import into the calling Moodle site: its state and outcome",
  request: { params: z.object({ id: z.string() }) },
  responses: {
    200: { description: "The job", content: { "application/json": { schema: ImportJob } } },
    ...refusals({
      ...SITE_REFUSALS,
      import_not_found: "No such job on this site",
    }),
  },
});

const showOrigin = createRoute({
  method: "get",
  path: "/site/courses/{moodleCourseId}/origin",
  summary: "Where a course of the calling Moodle site came from on the network",
  request: { params: z.object({ moodleCourseId: z.coerce.number().int().min(1) }) },
  responses: {
    200: {
      description: "origin: null for a course this node never restored",
      content: {
        "application/json": { schema: z.object({ origin: CourseOriginSchema.nullable() }) },
      },
    },
    ...refusals(SITE_REFUSALS),
  },
});

type SiteOfPrincipal = NonNullable<Principal["site"]>;

/** The site the caller's token speaks for, or the refusal to answer. */
function siteOf(c: Context<ApiEnv>): SiteOfPrincipal | Response {
  const { site } = c.get("principal");
  if (!site) {
    return problem(
      c,
      403,
      "site_token_required",
      "Only a Moodle site's token may do this: register the site (coursefed moodle register TARGET) and use the token its registration code holds.",
    );
  }
  return site;
}

export function siteImportRoutes(
  app: OpenAPIHono<ApiEnv>,
  { services, audit }: ApiDependencies,
): void {
  app.openapi(requestImport, async (c) => {
    const site = siteOf(c);
    if (site instanceof Response) return site as never;
    const { moodleUser } = site;
    if (!moodleUser) {
      return problem(
        c,
        403,
        "moodle_user_required",
        "An import is made for a Moodle user: send the Coursefed-Moodle-User header naming them.",
      );
    }
    const body = c.req.valid("json");
    const principal = c.get("principal");
    const job = await requestRestore(services, {
      objectUri: body.catalogCourse,
      revision: body.revision,
      targetName: site.targetName,
      destination: body.destination as RestoreDestination,
      requestedBy: `${principal.token.name} for ${moodleUser.username}`,
      confirmed: body.confirm,
      person: {
        actorId: principal.actor.id,
        admin: false,
        vouchedBySite: true,
        auditActor: auditActorOf(principal),
        auditLog: audit,
      },
    });
    return c.json({ job: importJson(job), repeat: job.repeat }, 202);
  });

  app.openapi(showImport, async (c) => {
    const site = siteOf(c);
    if (site instanceof Response) return site as never;
    const { id } = c.req.valid("param");
    const job = await services.restores.job(id);
    // Another site's job is as absent as one that never was.
    if (!job || job.targetId !== site.targetId) {
      return problem(c, 404, "import_not_found", `This site has no import ${id}.`);
    }
    return c.json(importJson(job), 200);
  });

  app.openapi(showOrigin, async (c) => {
    const site = siteOf(c);
    if (site instanceof Response) return site as never;
    const { moodleCourseId } = c.req.valid("param");
    const origin = await originOf(services, site.targetId, moodleCourseId);
    return c.json({ origin: origin ? originJson(origin) : null }, 200);
  });
}

const iso = (time: number | null) => (time === null ? null : new Date(time).toISOString());

function importJson(job: RestoreJob) {
  return {
    id: job.id,
    object: job.objectUri,
    revision: job.revision,
    destination: job.destination,
    state: job.state,
    problems: job.problems as z.infer<typeof RestoreProblem>[],
    moodleCourseId: job.moodleCourseId,
    courseUrl: job.courseUrl,
    errorCode: job.errorCode,
    errorMessage: job.errorMessage,
    createdAt: new Date(job.createdAt).toISOString(),
    finishedAt: iso(job.finishedAt),
  };
}

/** A course's origin as the API tells it (share's GET /site/courses/{id} embeds it too). */
export function originJson(origin: NonNullable<Awaited<ReturnType<typeof originOf>>>) {
  const { changes } = origin;
  return {
    ...origin,
    restoredAt: new Date(origin.restoredAt).toISOString(),
    changes: changes ? { ...changes, activities: [...changes.activities] } : null,
  };
}
