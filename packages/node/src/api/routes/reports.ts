import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { domainServices } from "../../federation/domain-services.ts";
import { problem } from "../../http/problem.ts";
import { refusals } from "../../http/refusal-responses.ts";
import type { Report } from "../../reports/report-repository.ts";
import {
  answerReport,
  REPORT_LIMITS,
  REPORT_RESOLUTIONS,
  reportCourse,
  resolveReport,
} from "../../reports/report-service.ts";
import { REPORT_DIRECTIONS, REPORT_REASONS, REPORT_STATES } from "../../vocabulary/report-kinds.ts";
import type { ApiDependencies } from "../api-dependencies.ts";
import { type ApiEnv, auditActorOf, requireAdmin } from "../auth.ts";
import { jsonBody } from "../json-request-body.ts";

const ReportSchema = z
  .object({
    id: z.string(),
    direction: z.enum(REPORT_DIRECTIONS),
    object: z.string().openapi({ description: "The reported course's object IRI" }),
    publisher: z.string(),
    title: z.string(),
    reason: z.enum(REPORT_REASONS),
    comment: z.string(),
    reporter: z.string().openapi({
      description:
        "Sent: our account or token that reported (never told to the publisher). Received: the Flag's actor, the reporting node's institution",
    }),
    reporterServer: z.string(),
    state: z.enum(REPORT_STATES),
    answer: z.string().nullable(),
    answeredAt: z.string().nullable(),
    resolution: z.string().nullable(),
    resolvedBy: z.string().nullable(),
    resolvedAt: z.string().nullable(),
    createdAt: z.string(),
  })
  .openapi("Report");

const iso = (time: number | null) => (time === null ? null : new Date(time).toISOString());

function reportJson(report: Report): z.infer<typeof ReportSchema> {
  return {
    id: report.id,
    direction: report.direction,
    object: report.objectUri,
    publisher: report.publisherUri,
    title: report.title,
    reason: report.reason,
    comment: report.comment,
    reporter: report.reporter,
    reporterServer: report.reporterServer,
    state: report.state,
    answer: report.answer,
    answeredAt: iso(report.answeredAt),
    resolution: report.resolution,
    resolvedBy: report.resolvedBy,
    resolvedAt: iso(report.resolvedAt),
    createdAt: new Date(report.createdAt).toISOString(),
  };
}

const one = { content: { "application/json": { schema: ReportSchema } } };
const noSuchReport = { report_not_found: "No such report" };

const send = createRoute({
  method: "post",
  path: "/reports",
  summary: "Report a course of the catalog to this node's admins and its publisher's node",
  description: `The publisher's node receives a Flag from this node's institution actor (not from the person, who only this node's admins see), with the reason as its summary and the comment as its content. At most ${REPORT_LIMITS.perAccountPerHour} reports per account or token an hour (429 past it); a comment of at most ${REPORT_LIMITS.comment} characters, without control characters other than line breaks.`,
  request: {
    body: jsonBody(
      z.object({
        object: z.string().max(2000).openapi({ description: "The course's object IRI" }),
        reason: z.enum(REPORT_REASONS),
        comment: z.string().max(REPORT_LIMITS.comment).default(""),
      }),
    ),
  },
  responses: {
    201: { description: "Kept and sent", ...one },
    ...refusals({
      not_in_catalog: "Not a course of our catalog",
      invalid_report: "No reason, or a comment too long or with control characters",
      too_many_reports: "Too many reports from this account this hour",
      publisher_unknown: "Its publisher's actor could not be read",
    }),
  },
});

const list = createRoute({
  method: "get",
  path: "/reports",
  summary: "Reports received about our courses and sent about others', newest first (admin)",
  middleware: [requireAdmin] as const,
  request: { query: z.object({ direction: z.enum(REPORT_DIRECTIONS).optional() }) },
  responses: {
    200: {
      description: "Reports",
      content: { "application/json": { schema: z.object({ items: z.array(ReportSchema) }) } },
    },
    ...refusals(),
  },
});

const show = createRoute({
  method: "get",
  path: "/reports/{id}",
  summary: "One report (admin)",
  middleware: [requireAdmin] as const,
  request: { params: z.object({ id: z.string() }) },
  responses: { 200: { description: "The report", ...one }, ...refusals(noSuchReport) },
});

const answer = createRoute({
  method: "post",
  path: "/reports/{id}/answer",
  summary: "Answer a report received: a Note in reply to its Flag goes to the reporter (admin)",
  middleware: [requireAdmin] as const,
  request: {
    params: z.object({ id: z.string() }),
    body: jsonBody(z.object({ text: z.string().min(1).max(REPORT_LIMITS.answer) })),
  },
  responses: {
    200: { description: "Answered", ...one },
    ...refusals({
      report_not_found: "No such report",
      invalid_report: "An answer empty, too long or with control characters",
      wrong_report_direction: "A report we sent: its publisher answers it",
      reporter_unknown: "A reporter we cannot reach",
    }),
  },
});

const resolve = createRoute({
  method: "post",
  path: "/reports/{id}/resolve",
  summary: "Close a report, and act on it (admin)",
  description:
    "dismiss: close it as it is; withdraw-course (received): withdraw our course, followers get a Delete; block-reporter (received): block the reporting server through the federation policy; block-publisher (sent): block the publisher, that actor alone (nothing it sends is handled, none of its courses enters the catalog, even announced by another); block-publisher-server (sent): block its whole server through the federation policy. Each on the audit log.",
  middleware: [requireAdmin] as const,
  request: {
    params: z.object({ id: z.string() }),
    body: jsonBody(z.object({ action: z.enum(REPORT_RESOLUTIONS) })),
  },
  responses: {
    200: { description: "Closed", ...one },
    ...refusals({
      report_not_found: "No such report",
      invalid_report:
        "Not a way to close a report, or blocking the only server an allowlist lets in",
      wrong_report_direction: "The action does not apply to a report in this direction",
    }),
  },
});

export function reportRoutes(
  app: OpenAPIHono<ApiEnv>,
  { services, context, audit }: ApiDependencies,
): void {
  const admin = (principal: Parameters<typeof auditActorOf>[0]) => ({
    auditActor: auditActorOf(principal),
    auditLog: audit,
  });
  app.openapi(send, async (c) => {
    const report = await reportCourse(
      domainServices(context(c.req.raw)),
      admin(c.get("principal")),
      c.req.valid("json"),
    );
    return c.json(reportJson(report), 201);
  });
  app.openapi(list, async (c) => {
    const items = await services.reports.list(c.req.valid("query").direction);
    return c.json({ items: items.map(reportJson) }, 200);
  });
  app.openapi(show, async (c) => {
    const report = await services.reports.report(c.req.valid("param").id);
    if (!report) {
      return problem(c, 404, "report_not_found", "There is no such report.");
    }
    return c.json(reportJson(report), 200);
  });
  app.openapi(answer, async (c) => {
    const report = await answerReport(
      domainServices(context(c.req.raw)),
      admin(c.get("principal")),
      c.req.valid("param").id,
      c.req.valid("json").text,
    );
    return c.json(reportJson(report), 200);
  });
  app.openapi(resolve, async (c) => {
    const report = await resolveReport(
      domainServices(context(c.req.raw)),
      admin(c.get("principal")),
      c.req.valid("param").id,
      c.req.valid("json").action,
    );
    return c.json(reportJson(report), 200);
  });
}
