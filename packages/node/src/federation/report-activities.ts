import type { Context } from "@fedify/fedify";
import { Create, Flag, Note } from "@fedify/vocab";
import type { CourseReported, ReportAnswered } from "../actors/outbound.ts";
import type { FederationServices } from "./context.ts";
import { paragraphs } from "./course-object.ts";
import { recipientOf } from "./remote-actor.ts";

/** Reports and their answers travel as our institution actor: see reports/report-service.ts. */
const SENDER = { identifier: "institution" } as const;

/**
 * A report as ActivityPub says it, the way Mastodon and Misskey send theirs: a Flag whose
 * objects are the course and its publisher, whose content is the comment; the reason, a
 * word of our list, is its summary (other software reads the comment and ignores it). An
 * answer is a Note in reply to the Flag, addressed to the Flag's actor alone, so that
 * other software shows it as a direct message.
 */
export async function sendReportActivity(
  ctx: Context<FederationServices>,
  event: CourseReported | ReportAnswered,
): Promise<URL> {
  const actor = ctx.getActorUri(SENDER.identifier);
  if (event.type === "course-reported") {
    const id = new URL(event.flagId);
    const publisher = new URL(event.publisher.uri);
    await ctx.sendActivity(
      SENDER,
      recipientOf(event.publisher),
      new Flag({
        id,
        actor,
        objects: [new URL(event.objectUri), publisher],
        content: event.comment,
        summary: event.reason,
        to: publisher,
      }),
    );
    return id;
  }
  const id = new URL(`/reports/${event.reportId}/answers/${crypto.randomUUID()}`, ctx.origin);
  const reporter = new URL(event.reporter.uri);
  await ctx.sendActivity(
    SENDER,
    recipientOf(event.reporter),
    new Create({
      id: new URL(`${id.href}/activity`),
      actor,
      to: reporter,
      object: new Note({
        id,
        attribution: actor,
        to: reporter,
        replyTarget: new URL(event.flagId),
        content: paragraphs(event.text),
      }),
    }),
  );
  return id;
}
