import type { RestoreDestination } from "@coursefed/moodle";
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { problem } from "../../http/problem.ts";
import { refusals } from "../../http/refusal-responses.ts";
import {
  type RestoreJobViewer,
  visibleRestoreJob,
  visibleRestoreJobs,
} from "../../restores/job-visibility.ts";
import type { RestoreJob } from "../../restores/restore-repository.ts";
import { requestRestore } from "../../restores/restore-service.ts";
import { RESTORE_JOB_STATES } from "../../vocabulary/restore-job-states.ts";
import type { ApiDependencies } from "../api-dependencies.ts";
import { type ApiEnv, auditActorOf, otherTargetMessage, type Principal } from "../auth.ts";
import { jsonBody } from "../json-request-body.ts";
import { RestoreProblem } from "../restore-problem.ts";
import { BackupDiff } from "./revision-changes.ts";

const Destination = z
  .union([
    z.object({
      kind: z.literal("new-course"),
      categoryId: z.number().int(),
      fullName: z.string().optional().openapi({ description: "As asked" }),
      shortName: z.string().optional().openapi({ description: "As asked" }),
    }),
    z.object({
      kind: z.literal("existing-course"),
      courseId: z.number().int(),
      mode: z.enum(["merge", "replace"]),
    }),
  ])
  .openapi("RestoreDestination");

const JobSummary = z.object({
  id: z.string(),
  object: z.string().url(),
  revision: z.number().int(),
  target: z.string(),
  destination: Destination,
  state: z.enum(RESTORE_JOB_STATES),
  requestedBy: z.string().openapi({ description: "The API token's name, or `rule N`" }),
  overriddenBy: z
    .string()
    .nullable()
    .openapi({ description: "Who had the compatibility check overridden" }),
  attempts: z.number().int(),
  problems: z.array(RestoreProblem).openapi({
    description:
      "refused: why the site cannot restore it faithfully; succeeded: the problems overridden and the activities Moodle did not restore",
  }),
  moodleCourseId: z.number().int().nullable(),
  courseUrl: z.string().nullable(),
  errorCode: z.string().nullable(),
  errorMessage: z
    .string()
    .nullable()
    .openapi({ description: "Why it failed or was refused; while queued, why it is retried" }),
  createdAt: z.string(),
  startedAt: z.string().nullable().openapi({ description: "Of the latest attempt" }),
  finishedAt: z.string().nullable(),
  durations: z.object({
    totalMs: z.number().int().nullable().openapi({ description: "From request to outcome" }),
    runMs: z.number().int().nullable().openapi({ description: "The last attempt" }),
    moodleMs: z.number().int().nullable().openapi({ description: "Spent in Moodle's restore" }),
  }),
});

const Job = JobSummary.extend({
  log: z.string().nullable().openapi({ description: "What Moodle printed" }),
  changes: z
    .object({
      from: z.number().int().openapi({ description: "The revision the Moodle course held" }),
      to: z.number().int().openapi({ description: "The revision restored over it" }),
      diff: BackupDiff.nullable().openapi({ description: "null when unavailable" }),
      unavailable: z
        .string()
        .nullable()
        .openapi({ description: "Why the changes could not be worked out" }),
    })
    .nullable()
    .openapi({
      description:
        "An update of a Moodle course restored from the same catalog course (by a person or an auto-restore rule): what it changed, worked out as the job ran; null for a new course or a course that held another one",
    }),
}).openapi("RestoreJob");

/** What POST /restores answers: the job, and whether it was asked for before. */
const RequestedJob = Job.extend({
  repeat: z.enum(["unchanged", "queued-again"]).nullable().openapi({
    description:
      "null: a new job. Jobs are idempotent (one per revision, target and destination, and for a new course per asker: a teacher, the admins, a Moodle site's user, the rules): unchanged, the same restore was asked for before and this is that job as it stands (queued, running or finished: see state); queued-again, that job had failed or been refused and is tried again",
  }),
}).openapi("RequestedRestoreJob");

const RestoreRequest = z
  .object({
    object: z.string().url().openapi({ description: "A catalog course's object id" }),
    revision: z
      .number()
      .int()
      .min(1)
      .optional()
      .openapi({ description: "The latest received by default" }),
    target: z.string().openapi({ description: "A Moodle target's name" }),
    categoryId: z.number().int().min(1).optional().openapi({
      description:
        "Restore as a new course in this category; the target's default category when neither this nor intoCourse is given",
    }),
    fullName: z.string().max(1000).optional().openapi({
      description:
        "A new course's full name, at most 254 characters; the catalog title when not given. Moodle makes it unique: Name copy 2",
    }),
    shortName: z.string().max(1000).optional().openapi({
      description:
        "A new course's short name, at most 100 characters; the full name's first 100 characters when not given. Moodle makes it unique: Name_2",
    }),
    intoCourse: z
      .number()
      .int()
      .min(1)
      .optional()
      .openapi({ description: "Restore into this existing course (needs mode)" }),
    mode: z.enum(["merge", "replace"]).optional().openapi({
      description:
        "With intoCourse: merge adds the contents; replace deletes the course's contents first, keeping its people",
    }),
    override: z.boolean().optional().openapi({
      description:
        "Restore even if the compatibility check refuses: the caller takes the risk (admin tokens only)",
    }),
    confirm: z.boolean().optional().openapi({
      description:
        "With intoCourse: true to confirm merging into or replacing that Moodle course; without it the request is refused with the course named",
    }),
  })
  .openapi("RestoreRequest");

const request = createRoute({
  method: "post",
  path: "/restores",
  summary: "Restore a catalog course into a Moodle target",
  description:
    "Queues a job (see GET /restores/{id}): the archive is fetched and verified, checked against what the site runs, and restored without user data. Asking again for the same revision, target and destination gives back the same job (a failed or refused one is queued again); a new course is each asker's own, so another teacher asking the same gets a job and a course of her own, and a job into an existing course is one for all who may restore into it (those who may not are refused before any job is looked up). A teacher's token restores new courses only into the categories an admin opened to teachers on the target, and into existing courses only those its teacher's restores created there or that an admin granted (PUT /moodle/targets/{name}/teachers); restoring into an existing course needs confirm: true; only an admin token may override. Every request is in the audit log.",
  request: {
    body: jsonBody(RestoreRequest),
  },
  responses: {
    202: {
      description: "Queued (or the job asked for before: see repeat)",
      content: { "application/json": { schema: RequestedJob } },
    },
    ...refusals({
      invalid_request: "Both a category and a course, or a course without mode",
      invalid_course_name: "A course name that cannot be used",
      not_in_catalog: "Not in the catalog",
      no_such_revision: "No such revision",
      target_not_found: "No such target",
      withdrawn: "Withdrawn by its publisher",
      confirmation_required:
        "Restoring into an existing course without confirm: true (the message names the course)",
      forbidden: "The token may not do this, or it is a Moodle site's asking for another target",
      restore_not_permitted:
        "A teacher's token, outside what admins let teachers do on this target",
      override_not_permitted: "A teacher's token asked to override",
    }),
  },
});

const list = createRoute({
  method: "get",
  path: "/restores",
  summary: "Restore jobs, newest first",
  description:
    "An admin token sees every job; a teacher's token the jobs its teacher asked for and those into the Moodle courses the teacher may restore into (made by their own restores, or granted by an admin); a Moodle site's token its own target's jobs.",
  request: {
    query: z.object({
      state: z.enum(RESTORE_JOB_STATES).optional(),
      limit: z.coerce.number().int().min(1).max(200).default(50),
      offset: z.coerce.number().int().min(0).default(0),
    }),
  },
  responses: {
    200: {
      description: "Jobs (without Moodle's log: see GET /restores/{id})",
      content: { "application/json": { schema: z.object({ items: z.array(JobSummary) }) } },
    },
    ...refusals(),
  },
});

const show = createRoute({
  method: "get",
  path: "/restores/{id}",
  summary: "One restore job: its state, outcome, problems, Moodle's log and durations",
  request: { params: z.object({ id: z.string() }) },
  responses: {
    200: { description: "The job", content: { "application/json": { schema: Job } } },
    ...refusals({
      restore_not_found: "No such job, or one this token may not see (see GET /restores)",
    }),
  },
});

export function restoreRoutes(
  app: OpenAPIHono<ApiEnv>,
  { services, audit }: ApiDependencies,
): void {
  app.openapi(request, async (c) => {
    const body = c.req.valid("json");
    const destination = destinationOf(body);
    if (typeof destination === "string") return problem(c, 400, "invalid_request", destination);
    const principal = c.get("principal");
    if (principal.site && body.target !== principal.site.targetName) {
      return problem(c, 403, "forbidden", otherTargetMessage(principal));
    }
    const job = await requestRestore(services, {
      objectUri: body.object,
      revision: body.revision,
      targetName: body.target,
      destination,
      names: { fullName: body.fullName, shortName: body.shortName },
      requestedBy: principal.token.name,
      override: body.override,
      confirmed: body.confirm,
      person: {
        actorId: principal.actor.id,
        admin: principal.token.role === "admin",
        auditActor: auditActorOf(principal),
        auditLog: audit,
      },
    });
    return c.json(
      { ...jobJson(job, await services.moodleTargets.namesById()), repeat: job.repeat },
      202,
    );
  });

  app.openapi(list, async (c) => {
    const { state, limit, offset } = c.req.valid("query");
    const jobs = await visibleRestoreJobs(services, viewerOf(c.get("principal")), {
      ...(state ? { states: [state] } : {}),
      limit,
      offset,
    });
    const names = await services.moodleTargets.namesById();
    return c.json({ items: jobs.map((job) => summaryJson(job, names)) }, 200);
  });

  app.openapi(show, async (c) => {
    const { id } = c.req.valid("param");
    const job = await visibleRestoreJob(services, viewerOf(c.get("principal")), id);
    if (!job) {
      return problem(c, 404, "restore_not_found", `There is no restore job ${id}.`);
    }
    return c.json(jobJson(job, await services.moodleTargets.namesById()), 200);
  });
}

/** A site's token sees its target's jobs; an admin's, every job; a teacher's, her own. */
function viewerOf(principal: Principal): RestoreJobViewer {
  if (principal.site) return { kind: "site", targetId: principal.site.targetId };
  return principal.token.role === "admin"
    ? { kind: "admin" }
    : { kind: "teacher", actorId: principal.actor.id };
}

/** Where the request asks the course to go, or why that cannot be understood. */
function destinationOf(
  body: z.infer<typeof RestoreRequest>,
): RestoreDestination | undefined | string {
  if (body.intoCourse !== undefined) {
    if (body.categoryId !== undefined)
      return "Give either categoryId (a new course) or intoCourse (an existing one), not both.";
    if (body.fullName !== undefined || body.shortName !== undefined)
      return "fullName and shortName name a new course; an existing course keeps its names.";
    if (!body.mode)
      return "Restoring into an existing course needs mode: merge (add the contents) or replace (delete the course's contents first).";
    return { kind: "existing-course", courseId: body.intoCourse, mode: body.mode };
  }
  if (body.mode) return "mode applies to intoCourse (restoring into an existing course).";
  return body.categoryId === undefined
    ? undefined
    : { kind: "new-course", categoryId: body.categoryId };
}

const iso = (time: number | null) => (time === null ? null : new Date(time).toISOString());

function summaryJson(job: RestoreJob, targetNames: ReadonlyMap<number, string>) {
  return {
    id: job.id,
    object: job.objectUri,
    revision: job.revision,
    // Removing a target removes its jobs: every job's target is there.
    target: targetNames.get(job.targetId) as string,
    destination: job.destination as unknown as z.infer<typeof Destination>,
    state: job.state,
    requestedBy: job.requestedBy,
    overriddenBy: job.overriddenBy,
    attempts: job.attempts,
    problems: job.problems as z.infer<typeof RestoreProblem>[],
    moodleCourseId: job.moodleCourseId,
    courseUrl: job.courseUrl,
    errorCode: job.errorCode,
    errorMessage: job.errorMessage,
    createdAt: new Date(job.createdAt).toISOString(),
    startedAt: iso(job.startedAt),
    finishedAt: iso(job.finishedAt),
    durations: {
      totalMs: job.finishedAt === null ? null : job.finishedAt - job.createdAt,
      runMs:
        job.finishedAt === null || job.startedAt === null ? null : job.finishedAt - job.startedAt,
      moodleMs: job.moodleMs,
    },
  };
}

function jobJson(job: RestoreJob, targetNames: ReadonlyMap<number, string>) {
  return {
    ...summaryJson(job, targetNames),
    log: job.log,
    changes: job.changes as z.infer<typeof Job>["changes"],
  };
}
