import type { LocalActorRepository } from "../actors/local-actors.ts";
import type { Outbound } from "../actors/outbound.ts";
import type { AdminOnRecord } from "../audit/audit-log.ts";
import type { CatalogRepository } from "../catalog/catalog-repository.ts";
import { CodedError } from "../coded-error.ts";
import { CONTROL_CHARACTER } from "../control-characters.ts";
import type { CourseRepository } from "../courses/course-repository.ts";
import { type PublishStores, withdrawCourse } from "../courses/publish-service.ts";
import type { FollowRepository } from "../follows/follow-repository.ts";
import type { NodeSettings } from "../settings/node-settings.ts";
import { changeSettings } from "../settings/settings-service.ts";
import { REPORT_REASONS, type ReportReason } from "../vocabulary/report-kinds.ts";
import type { BlockedActors } from "./blocked-actors.ts";
import type { Report, ReportRepository } from "./report-repository.ts";

/**
 * How much one report may say, and how many one reporter may make in an hour: an account
 * of ours sending, a server's actor delivering Flags. A flood is refused, never queued.
 */
export const REPORT_LIMITS = {
  comment: 2000,
  answer: 5000,
  perAccountPerHour: 10,
  perServerPerHour: 30,
} as const;

const HOUR = 60 * 60 * 1000;

export class ReportError extends CodedError<
  /** The reported course is not in our catalog (nor, for a Flag, one of ours). */
  | "NOT_IN_CATALOG"
  | "NOT_OURS"
  | "INVALID"
  | "RATE_LIMITED"
  | "NOT_FOUND"
  /** The action does not apply to this report (answering one we sent, ...). */
  | "WRONG_DIRECTION"
  | "PUBLISHER_UNKNOWN"
  | "REPORTER_UNKNOWN"
> {
  override readonly name = "ReportError";
}

export interface ReportStores {
  readonly reports: ReportRepository;
  readonly catalog: CatalogRepository;
  readonly courses: CourseRepository;
  readonly actors: LocalActorRepository;
  readonly follows: FollowRepository;
  readonly settings: NodeSettings;
  readonly blockedActors: BlockedActors;
  readonly outbound: Outbound;
  /** Our public origin: our courses' IRIs start with it, and so do our Flags' ids. */
  readonly origin: string;
}

/** A report's reason and comment, as a person or a Flag gave them, checked. */
function checkedWords(
  reason: string,
  comment: string,
  limit: number,
): {
  reason: ReportReason;
  comment: string;
} {
  if (!(REPORT_REASONS as readonly string[]).includes(reason)) {
    throw new ReportError(
      "INVALID",
      `"${reason}" is not a reason for a report; give one of ${REPORT_REASONS.join(", ")}.`,
    );
  }
  const trimmed = comment.trim();
  if (trimmed.length > limit) {
    throw new ReportError(
      "INVALID",
      `The comment is ${trimmed.length} characters long; say it in at most ${limit}.`,
    );
  }
  // Lines are a comment's own; other control characters are nobody's.
  if (CONTROL_CHARACTER.test(trimmed.replace(/\r?\n|\t/g, " "))) {
    throw new ReportError("INVALID", "The comment holds control characters; write it as text.");
  }
  return { reason: reason as ReportReason, comment: trimmed };
}

/** Whoever asks for a report: an account or a token of ours, as the audit log names it. */
export type Reporter = AdminOnRecord;

/**
 * A teacher or an admin reports a course of our catalog: the report is kept for our
 * admins, and sent as a Flag to the publisher's node. The Flag comes from our institution
 * actor, never from the person, as Mastodon's do: the publisher learns which server
 * reported, not who, so that a teacher may report a colleague elsewhere without being
 * named to them; our own admins see who it was.
 */
export async function reportCourse(
  services: ReportStores,
  reporter: Reporter,
  request: { readonly object: string; readonly reason: string; readonly comment: string },
): Promise<Report> {
  const { reason, comment } = checkedWords(request.reason, request.comment, REPORT_LIMITS.comment);
  const entry = await services.catalog.catalogEntry(request.object);
  if (!entry) {
    throw new ReportError(
      "NOT_IN_CATALOG",
      `${request.object} is not a course of our catalog: report a course as the catalog lists it.`,
    );
  }
  const who = `${reporter.auditActor.kind}:${reporter.auditActor.name}`;
  const now = Date.now();
  const recent = await services.reports.countByReporter("sent", { reporter: who }, now - HOUR);
  if (recent >= REPORT_LIMITS.perAccountPerHour) {
    throw new ReportError(
      "RATE_LIMITED",
      `You sent ${recent} reports in the last hour, the most one person may; send this one later, or ask an admin.`,
    );
  }
  const publisher = await services.follows.remoteActor(entry.actorUri);
  if (!publisher) {
    throw new ReportError(
      "PUBLISHER_UNKNOWN",
      `This node does not know where ${entry.actorUri} receives activities; follow it again, then report.`,
    );
  }
  const id = crypto.randomUUID();
  const report = {
    id,
    direction: "sent" as const,
    objectUri: entry.objectUri,
    publisherUri: entry.actorUri,
    title: entry.title,
    reason,
    comment,
    reporter: who,
    reporterServer: new URL(services.origin).host,
    activityId: new URL(`/reports/${id}`, services.origin).href,
    createdAt: now,
  };
  await services.reports.add(report);
  await reporter.auditLog.record(reporter.auditActor, "report.send", entry.objectUri, {
    reason,
    publisher: entry.actorUri,
  });
  await services.outbound.deliver({
    type: "course-reported",
    flagId: report.activityId,
    objectUri: entry.objectUri,
    publisher,
    reason,
    comment,
  });
  return (await services.reports.report(id)) as Report;
}

/** A Flag as the inbox read it. */
export interface ReceivedFlag {
  readonly activityId: string;
  /** The Flag's actor: the reporting node's institution (or a person, from other software). */
  readonly reporterUri: string;
  /** What it flags: our course's IRI, its publisher's, maybe more. */
  readonly objects: readonly string[];
  readonly content: string;
  /** The reason as the Flag's summary carries it; other software sends none ("other"). */
  readonly reason: string | undefined;
}

/**
 * A Flag from another node about one of our courses: kept for our admins unless it is
 * about nothing of ours, says too much, or its server has flagged too often this hour.
 * Refused with a ReportError, which the inbox logs (the sender has long had its 202).
 */
export async function receiveReport(services: ReportStores, flag: ReceivedFlag): Promise<Report> {
  const ours = new URL("/courses/", services.origin).href;
  let course: Awaited<ReturnType<CourseRepository["course"]>>;
  for (const object of flag.objects) {
    if (!object.startsWith(ours)) continue;
    course = await services.courses.course(object.slice(ours.length));
    if (course) break;
  }
  if (!course) {
    throw new ReportError(
      "NOT_OURS",
      `it flags ${flag.objects.join(", ") || "nothing"}, no course of ours`,
    );
  }
  const reason = (REPORT_REASONS as readonly string[]).includes(flag.reason ?? "")
    ? (flag.reason as string)
    : "other";
  const { comment } = checkedWords(reason, flag.content, REPORT_LIMITS.comment);
  const server = new URL(flag.reporterUri).host;
  const now = Date.now();
  const recent = await services.reports.countByReporter("received", { server }, now - HOUR);
  if (recent >= REPORT_LIMITS.perServerPerHour) {
    throw new ReportError(
      "RATE_LIMITED",
      `${server} sent ${recent} reports in the last hour, the most one server may`,
    );
  }
  const id = crypto.randomUUID();
  const author = await services.actors.byId(course.actorId);
  await services.reports.add({
    id,
    direction: "received",
    objectUri: new URL(`/courses/${course.id}`, services.origin).href,
    publisherUri: author ? new URL(`/actors/${author.identifier}`, services.origin).href : "",
    title: course.title,
    reason: reason as ReportReason,
    comment,
    reporter: flag.reporterUri,
    reporterServer: server,
    activityId: flag.activityId,
    createdAt: now,
  });
  return (await services.reports.byActivity(flag.activityId)) as Report;
}

/**
 * An answer from the publisher's node to a report we sent (a Note in reply to our Flag):
 * kept only when it comes from the server of the course's publisher.
 */
export async function receiveAnswer(
  services: ReportStores,
  answer: { readonly inReplyTo: string; readonly actorUri: string; readonly text: string },
): Promise<Report | undefined> {
  const report = await services.reports.byActivity(answer.inReplyTo);
  if (report?.direction !== "sent") return undefined;
  if (new URL(answer.actorUri).origin !== new URL(report.publisherUri).origin) {
    throw new ReportError(
      "WRONG_DIRECTION",
      `${answer.actorUri} answers a report about a course of ${new URL(report.publisherUri).host}`,
    );
  }
  const text = answer.text.trim().slice(0, REPORT_LIMITS.answer);
  return await services.reports.answer(report.id, text, Date.now());
}

async function existing(services: ReportStores, id: string): Promise<Report> {
  const report = await services.reports.report(id);
  if (!report) throw new ReportError("NOT_FOUND", `There is no report ${id}.`);
  return report;
}

/** Our admin answers a report received: the answer goes back to the reporter's node. */
export async function answerReport(
  services: ReportStores,
  admin: AdminOnRecord,
  id: string,
  text: string,
): Promise<Report> {
  const report = await existing(services, id);
  if (report.direction !== "received") {
    throw new ReportError(
      "WRONG_DIRECTION",
      "This report is one we sent: the publisher's node answers it, not us.",
    );
  }
  const answer = text.trim();
  if (!answer || answer.length > REPORT_LIMITS.answer) {
    throw new ReportError("INVALID", `Write an answer of 1 to ${REPORT_LIMITS.answer} characters.`);
  }
  if (CONTROL_CHARACTER.test(answer.replace(/\r?\n|\t/g, " "))) {
    throw new ReportError("INVALID", "The answer holds control characters; write it as text.");
  }
  const reporter = await services.follows.remoteActor(report.reporter);
  if (!reporter) {
    throw new ReportError(
      "REPORTER_UNKNOWN",
      `This node could not read ${report.reporter}, so it cannot answer it; close the report instead.`,
    );
  }
  await services.outbound.deliver({
    type: "report-answered",
    reportId: report.id,
    flagId: report.activityId,
    objectUri: report.objectUri,
    reporter,
    text: answer,
  });
  await admin.auditLog.record(admin.auditActor, "report.answer", report.objectUri, {
    report: report.id,
    reporterServer: report.reporterServer,
  });
  return (await services.reports.answer(report.id, answer, Date.now())) as Report;
}

/** What closing a report does besides closing it. */
export const REPORT_RESOLUTIONS = [
  "dismiss",
  "withdraw-course",
  "block-reporter",
  "block-publisher",
  "block-publisher-server",
] as const;
export type ReportResolution = (typeof REPORT_RESOLUTIONS)[number];

/**
 * Our admin closes a report: as it is (dismiss), withdrawing our reported course (the
 * followers get a Delete), blocking the reporting server (a report received); for a report
 * we sent, blocking the publisher (that actor alone: nothing it sends is handled, none of
 * its courses enters the catalog) or its whole server. Servers are blocked through the
 * federation policy.
 */
export async function resolveReport(
  services: ReportStores & PublishStores,
  admin: AdminOnRecord,
  id: string,
  action: string,
): Promise<Report> {
  const report = await existing(services, id);
  if (!(REPORT_RESOLUTIONS as readonly string[]).includes(action)) {
    throw new ReportError(
      "INVALID",
      `"${action}" is not a way to close a report; use one of ${REPORT_RESOLUTIONS.join(", ")}.`,
    );
  }
  const wrong = (what: string) =>
    new ReportError(
      "WRONG_DIRECTION",
      `${what} applies to a report ${report.direction === "sent" ? "received" : "we sent"}, not to this one.`,
    );
  let resolution: string;
  switch (action as ReportResolution) {
    case "dismiss":
      resolution = "dismissed";
      break;
    case "withdraw-course": {
      if (report.direction !== "received") throw wrong("Withdrawing the course");
      const ours = new URL("/courses/", services.origin).href;
      const course = await services.courses.course(report.objectUri.slice(ours.length));
      const author = course && (await services.actors.byId(course.actorId));
      if (course && author && course.deletedAt === null) {
        await withdrawCourse(services, author, course.id);
      }
      resolution = "course-withdrawn";
      break;
    }
    case "block-reporter":
      if (report.direction !== "received") throw wrong("Blocking the reporter");
      await blockServer(services, admin, report.reporterServer);
      resolution = "reporter-blocked";
      break;
    case "block-publisher":
      if (report.direction !== "sent") throw wrong("Blocking the publisher");
      await services.blockedActors.block(report.publisherUri, admin.auditActor.name);
      resolution = "publisher-blocked";
      break;
    case "block-publisher-server":
      if (report.direction !== "sent") throw wrong("Blocking the publisher's server");
      await blockServer(services, admin, new URL(report.publisherUri).host);
      resolution = "publisher-server-blocked";
      break;
  }
  await admin.auditLog.record(admin.auditActor, "report.resolve", report.objectUri, {
    report: report.id,
    resolution,
  });
  return (await services.reports.resolve(
    report.id,
    resolution,
    admin.auditActor.name,
    Date.now(),
  )) as Report;
}

/**
 * Stops federating with a server (its host name, which covers its ports): added to a
 * blocklist (an open policy becomes one), or taken off an allowlist.
 */
async function blockServer(services: ReportStores, admin: AdminOnRecord, host: string) {
  const name = host
    .replace(/:\d+$/, "")
    .replace(/^\[|\]$/g, "")
    .toLowerCase();
  const policy = await services.settings.federationPolicy();
  const domains =
    policy.mode === "allowlist"
      ? policy.domains.filter((domain) => domain !== name)
      : [...new Set([...policy.domains, name])];
  if (policy.mode === "allowlist" && domains.length === 0) {
    throw new ReportError(
      "INVALID",
      `${name} is the only server this node's allowlist lets in: change the federation policy in the console's settings instead.`,
    );
  }
  await changeSettings(services.settings, admin, {
    policy: {
      mode: policy.mode === "open" ? "blocklist" : policy.mode,
      domains: domains.join(","),
    },
  });
}
