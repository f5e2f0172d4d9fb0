import type { Hono } from "hono";
import { html } from "hono/html";
import { domainServices } from "../../federation/domain-services.ts";
import { refusalStatus } from "../../http/error-problems.ts";
import type { Report } from "../../reports/report-repository.ts";
import {
  answerReport,
  REPORT_LIMITS,
  ReportError,
  reportCourse,
  resolveReport,
} from "../../reports/report-service.ts";
import { formatDateTime } from "../format.ts";
import { csrfField, type Markup } from "../layout.ts";
import { requireRole } from "../roles.ts";
import type { WebContext, WebDependencies, WebEnv } from "../web-env.ts";
import { adminPage, formText, notice, webAuditActor } from "./admin-shell.ts";
import { courseLink } from "./course-page.ts";
import { errorPage } from "./error-page.ts";

/**
 * Reporting a course from its page (teachers and admins), and the console's queue of
 * reports: those received about our courses, with their answers and actions, and those
 * sent about others', which our admin may close by blocking the publisher's server.
 */
export function reportRoutes(app: Hono<WebEnv>, { services, context, audit }: WebDependencies) {
  app.post("/catalog/report", requireRole("teacher"), async (c) => {
    const t = c.get("t");
    const form = await c.req.parseBody();
    const object = formText(form, "object");
    try {
      await reportCourse(
        domainServices(context(c.req.raw)),
        { auditActor: webAuditActor(c), auditLog: audit },
        { object, reason: formText(form, "reason"), comment: formText(form, "comment") },
      );
    } catch (error) {
      if (!(error instanceof ReportError)) throw error;
      return errorPage(c, refusalStatus(error), t.reportCourse, error.message);
    }
    return c.redirect(`${courseLink(object)}&reported=1`, 303);
  });

  app.get("/admin/reports", requireRole("admin"), (c) => queuePage(c, services.reports));

  app.post("/admin/reports", requireRole("admin"), async (c) => {
    const form = await c.req.parseBody();
    const id = formText(form, "report");
    const admin = { auditActor: webAuditActor(c), auditLog: audit };
    const services = domainServices(context(c.req.raw));
    try {
      const action = formText(form, "action");
      if (action === "answer") {
        await answerReport(services, admin, id, formText(form, "answer"));
      } else {
        await resolveReport(services, admin, id, action);
      }
    } catch (error) {
      if (!(error instanceof ReportError)) throw error;
      return queuePage(c, services.reports, error.message, refusalStatus(error));
    }
    return c.redirect("/admin/reports?done=1", 303);
  });
}

async function queuePage(
  c: WebContext,
  reports: WebDependencies["services"]["reports"],
  refusal?: string,
  status?: Parameters<typeof adminPage>[1]["status"],
) {
  const t = c.get("t");
  const received = await reports.list("received");
  const sent = await reports.list("sent");
  return adminPage(c, {
    section: "/admin/reports",
    title: t.reportsTitle,
    intro: t.reportsIntro,
    ...(status ? { status } : {}),
    main: html`${c.req.query("done") ? notice("ok", t.reportDone) : ""}
${refusal ? notice("error", refusal) : ""}
<section aria-labelledby="reports-received"><h2 id="reports-received">${t.reportsReceived}</h2>
${received.length ? html`<ul class="reports">${received.map((report) => reportItem(c, report))}</ul>` : html`<article class="empty"><p>${t.noReports}</p></article>`}
</section>
<section aria-labelledby="reports-sent"><h2 id="reports-sent">${t.reportsSent}</h2>
${sent.length ? html`<ul class="reports">${sent.map((report) => reportItem(c, report))}</ul>` : html`<article class="empty"><p>${t.noReports}</p></article>`}
</section>`,
  });
}

function reportItem(c: WebContext, report: Report): Markup {
  const t = c.get("t");
  const language = c.get("language");
  const link = report.direction === "sent" ? courseLink(report.objectUri) : report.objectUri;
  const action = (name: string, label: string, kind = "secondary outline") =>
    html`<button type="submit" name="action" value="${name}" class="${kind} compact">${label}</button>`;
  const open = report.state !== "resolved";
  return html`<li class="report-item">
<p><a href="${link}"><strong>${report.title}</strong></a> — ${t.reportReasons[report.reason]} · <span class="badge ${open ? "badge-running" : "badge-neutral"}">${t.reportStates[report.state]}</span>${report.resolution ? html` <small>(${t.reportResolutions[report.resolution] ?? report.resolution})</small>` : ""}<br>
<small>${report.direction === "received" ? t.reportFrom(report.reporterServer) : t.reportBy(report.reporter)} · <time datetime="${new Date(report.createdAt).toISOString()}">${formatDateTime(report.createdAt, language)}</time></small></p>
${report.comment ? html`<blockquote>${report.comment}</blockquote>` : ""}
${report.answer ? html`<p><strong>${t.reportAnswer}</strong>${t.colon}${report.answer}</p>` : ""}
${
  open
    ? html`<form method="post" action="/admin/reports" class="report-actions">${csrfField(c)}<input type="hidden" name="report" value="${report.id}">
${
  report.direction === "received"
    ? html`<label>${t.reportAnswerLabel}<textarea name="answer" rows="2" maxlength="${REPORT_LIMITS.answer}"></textarea></label>
${action("answer", t.reportAnswerSend, "")} ${action("withdraw-course", t.reportWithdraw, "danger compact")} ${action("block-reporter", t.reportBlockReporter, "danger compact")} `
    : html`${action("block-publisher", t.reportBlockPublisherActor, "danger compact")} ${action("block-publisher-server", t.reportBlockPublisher, "danger compact")} `
}${action("dismiss", t.reportDismiss)}
</form>`
    : ""
}
</li>`;
}
