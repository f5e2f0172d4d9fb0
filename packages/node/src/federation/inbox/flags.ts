import type { InboxContext } from "@fedify/fedify";
import { type Create, type Flag, isActor, Note } from "@fedify/vocab";
import { ReportError, receiveAnswer, receiveReport } from "../../reports/report-service.ts";
import type { FederationServices } from "../context.ts";
import { domainServices } from "../domain-services.ts";
import { describeRemoteActor } from "../remote-actor.ts";

type Context = InboxContext<FederationServices>;

/** Past this, a Flag's content is not read at all: the report service's limit is far below. */
const MAX_FLAG_CONTENT = 64 * 1024;

/**
 * Another node reports one of our courses. A blocked server never gets here (the HTTP
 * guard answers 403, and the listener drops its actors' activities); a Flag about nothing
 * of ours, too long, or past its server's hourly allowance is refused with a log line:
 * its sender has had its 202 long ago, and retrying would not change the answer.
 */
export async function onFlag(ctx: Context, flag: Flag): Promise<void> {
  if (!flag.id || !flag.actorId) return;
  // A Flag's id is on its actor's server: another server's cannot be reported in its name.
  if (flag.id.origin !== flag.actorId.origin) {
    console.warn(`Flag ${flag.id.href} refused: its id is not on its actor's server.`);
    return;
  }
  const content = flag.content?.toString() ?? "";
  if (content.length > MAX_FLAG_CONTENT) {
    console.warn(
      `Flag ${flag.id.href} from ${flag.actorId.host} refused: ${content.length} characters of content.`,
    );
    return;
  }
  const services = domainServices(ctx);
  try {
    await receiveReport(services, {
      activityId: flag.id.href,
      reporterUri: flag.actorId.href,
      objects: flag.objectIds.map((object) => object.href),
      content: plainText(content),
      reason: flag.summary?.toString(),
    });
  } catch (error) {
    if (!(error instanceof ReportError)) throw error;
    console.warn(
      `Flag ${flag.id.href} from ${flag.actorId.host} refused: ${error.message.replace(/\.$/, "")}.`,
    );
    return;
  }
  // Where to send an answer: the reporter as its own server describes it.
  const reporter = await flag.getActor(ctx).catch(() => null);
  if (isActor(reporter) && reporter.id?.href === flag.actorId.href) {
    await ctx.data.follows.rememberActor(await describeRemoteActor(reporter));
  }
}

/**
 * Creates are the courses' (inbox/courses.ts), except a Note in reply to a Flag we sent:
 * the publisher's answer to one of our reports, kept with the report.
 */
export function answersToReportsOr(
  handler: (ctx: Context, create: Create) => Promise<void>,
): (ctx: Context, create: Create) => Promise<void> {
  return async (ctx, create) => {
    const sender = create.actorId;
    // Only an answer embedded in its Create, by its sender, is read: nothing is fetched.
    if (sender && create.objectId?.origin === sender.origin) {
      const object = await create.getObject(ctx);
      const inReplyTo = object instanceof Note ? object.replyTargetId : null;
      if (
        object instanceof Note &&
        inReplyTo &&
        (await ctx.data.reports.byActivity(inReplyTo.href))
      ) {
        await onReportAnswer(ctx, sender, object, inReplyTo);
        return;
      }
    }
    await handler(ctx, create);
  };
}

async function onReportAnswer(
  ctx: Context,
  sender: URL,
  note: Note,
  inReplyTo: URL,
): Promise<void> {
  if (note.attributionId && note.attributionId.href !== sender.href) return;
  try {
    await receiveAnswer(domainServices(ctx), {
      inReplyTo: inReplyTo.href,
      actorUri: sender.href,
      text: plainText(note.content?.toString() ?? ""),
    });
  } catch (error) {
    if (!(error instanceof ReportError)) throw error;
    console.warn(
      `Answer ${note.id?.href} to a report refused: ${error.message.replace(/\.$/, "")}.`,
    );
  }
}

/** Remote HTML as the plain text our pages show escaped: paragraphs and breaks as lines. */
function plainText(html: string): string {
  return html
    .replace(/<br\s*\/?>/gi, "\n")
    .replace(/<\/p>\s*<p[^>]*>/gi, "\n\n")
    .replace(/<[^>]*>/g, "")
    .replace(/&(#\d+|#x[0-9a-f]+|amp|lt|gt|quot|apos);/gi, (entity, name: string) => {
      const named: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };
      if (name.startsWith("#x") || name.startsWith("#X"))
        return String.fromCodePoint(Number.parseInt(name.slice(2), 16));
      if (name.startsWith("#")) return String.fromCodePoint(Number(name.slice(1)));
      return named[name.toLowerCase()] ?? entity;
    })
    .trim();
}
