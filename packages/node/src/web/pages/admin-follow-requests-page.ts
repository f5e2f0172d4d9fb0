import type { Hono } from "hono";
import { html } from "hono/html";
import { domainServices } from "../../federation/domain-services.ts";
import { answerFollowRequest, FollowError } from "../../follows/follow-service.ts";
import { formatDateTime } from "../format.ts";
import { csrfField } from "../layout.ts";
import { requireRole } from "../roles.ts";
import type { WebContext, WebDependencies, WebEnv } from "../web-env.ts";
import { adminPage, formText, notice, webAuditActor } from "./admin-shell.ts";

const DECISIONS = ["accept", "reject"] as const;

/** Follow requests waiting for approval, to the institution and to each teacher. */
async function requestsPage(
  c: WebContext,
  services: WebDependencies["services"],
  refusal?: string,
) {
  const t = c.get("t");
  const language = c.get("language");
  const done = DECISIONS.find((decision) => decision === c.req.query("notice"));
  const waiting = [];
  for (const local of await services.actors.all()) {
    for (const request of await services.follows.followers(local.id, "pending")) {
      waiting.push({ local, request });
    }
  }
  return adminPage(c, {
    section: "/admin/follow-requests",
    title: t.followRequestsTitle,
    intro: t.followRequestsIntro,
    status: refusal ? 404 : 200,
    main: html`${done ? notice("ok", t.followRequestAnswered[done]) : ""}
${refusal ? notice("error", refusal) : ""}
${
  waiting.length
    ? html`<ul class="people requests">${waiting.map(({ local, request }) => {
        const who = request.actor.name ?? request.actor.handle ?? request.actorUri;
        const handle = request.actor.handle ? `@${request.actor.handle}` : request.actorUri;
        return html`<li>
<div class="who"><strong>${who}</strong> <small class="handle">${handle}</small><br><small>${t.wantsToFollow(local.name, `@${local.handle}`)} · <time datetime="${new Date(request.requestedAt).toISOString()}">${formatDateTime(request.requestedAt, language)}</time></small></div>
<form method="post" action="/admin/follow-requests" class="inline decision">${csrfField(c)}<input type="hidden" name="local" value="${local.identifier}"><input type="hidden" name="actor" value="${request.actorUri}">
<button type="submit" name="decision" value="accept" class="compact" aria-label="${t.acceptNamed(who)}">${t.accept}</button>
<button type="submit" name="decision" value="reject" class="secondary outline compact" aria-label="${t.rejectNamed(who)}">${t.reject}</button>
</form></li>`;
      })}</ul>`
    : html`<article class="empty"><p>${t.noFollowRequests}</p></article>`
}`,
  });
}

export function adminFollowRequestsRoutes(
  app: Hono<WebEnv>,
  { services, context, audit }: WebDependencies,
): void {
  app.get("/admin/follow-requests", requireRole("admin"), (c) => requestsPage(c, services));

  app.post("/admin/follow-requests", requireRole("admin"), async (c) => {
    const form = await c.req.parseBody();
    const decision = DECISIONS.find((d) => d === formText(form, "decision"));
    const local = await services.actors.byIdentifier(formText(form, "local"));
    const actorUri = formText(form, "actor");
    if (!decision || !local) return requestsPage(c, services, c.get("t").followRequestGone);
    try {
      await answerFollowRequest(
        domainServices(context(c.req.raw)),
        { auditActor: webAuditActor(c), auditLog: audit },
        local,
        actorUri,
        decision,
      );
    } catch (error) {
      if (!(error instanceof FollowError)) throw error;
      return requestsPage(c, services, error.message);
    }
    return c.redirect(`/admin/follow-requests?notice=${decision}`, 303);
  });
}
