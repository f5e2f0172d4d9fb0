import type { Hono } from "hono";
import { html } from "hono/html";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { LocalActor } from "../../actors/local-actors.ts";
import { domainServices } from "../../federation/domain-services.ts";
import {
  answerFollowRequest,
  FollowError,
  follow,
  unfollow,
} from "../../follows/follow-service.ts";
import { refusalStatus } from "../../http/error-problems.ts";
import { formatDate } from "../format.ts";
import { csrfField, type Markup, page } from "../layout.ts";
import { redirectTarget } from "../redirect-target.ts";
import { accountOf, requireRole } from "../roles.ts";
import type { WebContext, WebDependencies, WebEnv } from "../web-env.ts";
import { webAuditActor } from "./admin-shell.ts";

const NOTICES = ["followed", "unfollowed"] as const;
const DECISIONS = ["accept", "reject"] as const;

function actorLabel(actor: { name: string | null; handle: string | null; uri: string }): Markup {
  // Only a whole user@host is worth showing; a URL says where the actor is otherwise.
  const handle =
    actor.handle && /^[^@\s]+@[^@\s]+$/.test(actor.handle) ? `@${actor.handle}` : actor.uri;
  return html`<strong>${actor.name ?? handle}</strong> <small class="handle">${handle}</small>`;
}

async function feedsPage(
  c: WebContext,
  services: WebDependencies["services"],
  actor: LocalActor,
  options: {
    error?: string;
    target?: string;
    status?: ContentfulStatusCode;
    /** Why a follow request could not be answered. */
    requestError?: string;
  } = {},
) {
  const t = c.get("t");
  const language = c.get("language");
  const notice = NOTICES.find((n) => n === c.req.query("notice"));
  const answered = DECISIONS.find((d) => d === c.req.query("answered"));
  const followings = await services.follows.followings(actor.id);
  const followers = await services.follows.followers(actor.id, "accepted");
  const waiting = await services.follows.followers(actor.id, "pending");
  return page(c, {
    title: t.feedsTitle,
    status: options.status ?? 200,
    main: html`<hgroup><h1>${t.feedsTitle}</h1><p>${t.feedsIntro(actor.name)}</p></hgroup>
${notice ? html`<p class="notice notice-ok" role="status">${t.feedNotices[notice]}</p>` : ""}
${answered ? html`<p class="notice notice-ok" role="status">${t.followRequestAnswered[answered]}</p>` : ""}
<section aria-labelledby="follow-heading">
<h2 id="follow-heading">${t.followSomeone}</h2>
<form method="post" action="/feeds/follow">
${csrfField(c)}
<label for="follow-target">${t.followTarget}</label>
<fieldset role="group">
<input id="follow-target" name="target" required placeholder="@institution@courses.univ.example" value="${options.target ?? ""}" aria-describedby="follow-help${options.error ? " follow-error" : ""}"${options.error ? html` aria-invalid="true"` : ""}>
<button type="submit">${t.follow}</button>
</fieldset>
<small id="follow-help">${t.followHelp}</small>
${options.error ? html`<p class="notice notice-error" id="follow-error" role="alert">${options.error}</p>` : ""}
</form>
</section>
<section aria-labelledby="following-heading">
<h2 id="following-heading">${t.following} <small>(${followings.length})</small></h2>
${
  followings.length
    ? html`<ul class="people">${followings.map(
        (
          f,
        ) => html`<li>${actorLabel(f.actor)} <span class="badge ${f.state === "accepted" ? "badge-ok" : f.state === "rejected" ? "badge-error" : "badge-neutral"}">${t.followStates[f.state]}</span> <small>${t.since(formatDate(f.decidedAt ?? f.requestedAt, language))}</small>${f.caughtUpAt !== null && f.catchUpResult !== null ? html` <small class="catch-up">${t.caughtUp(formatDate(f.caughtUpAt, language), f.catchUpResult)}</small>` : ""}
<form method="post" action="/feeds/unfollow" class="inline">${csrfField(c)}<input type="hidden" name="actor" value="${f.actorUri}"><button type="submit" class="secondary outline compact" aria-label="${t.unfollowNamed(f.actor.name ?? f.actor.handle ?? f.actorUri)}">${t.unfollow}</button></form></li>`,
      )}</ul>`
    : html`<p class="empty">${t.followingNone}</p>`
}
</section>
<section aria-labelledby="followers-heading">
<h2 id="followers-heading">${t.followers} <small>(${followers.length})</small></h2>
${followers.length ? html`<ul class="people">${followers.map((f) => html`<li>${actorLabel(f.actor)} <small>${t.since(formatDate(f.decidedAt ?? f.requestedAt, language))}</small></li>`)}</ul>` : html`<p class="empty">${t.followersNone}</p>`}
${options.requestError ? html`<p class="notice notice-error" role="alert">${options.requestError}</p>` : ""}
${
  waiting.length
    ? html`<p>${t.waitingApproval(waiting.length)}</p>
<ul class="people requests">${waiting.map((request) => {
        const who = request.actor.name ?? request.actor.handle ?? request.actorUri;
        return html`<li>${actorLabel(request.actor)} <small>${formatDate(request.requestedAt, language)}</small>
<form method="post" action="/feeds/follow-requests" class="inline decision">${csrfField(c)}<input type="hidden" name="actor" value="${request.actorUri}">
<button type="submit" name="decision" value="accept" class="compact" aria-label="${t.acceptNamed(who)}">${t.accept}</button>
<button type="submit" name="decision" value="reject" class="secondary outline compact" aria-label="${t.rejectNamed(who)}">${t.reject}</button>
</form></li>`;
      })}</ul>`
    : ""
}
</section>`,
  });
}

export function feedsRoutes(
  app: Hono<WebEnv>,
  { services, context, audit }: WebDependencies,
): void {
  const actorOf = async (c: WebContext) =>
    (await services.actors.byId(accountOf(c).actorId)) as LocalActor;

  app.get("/feeds", requireRole("teacher"), async (c) => feedsPage(c, services, await actorOf(c)));

  app.post("/feeds/follow", requireRole("teacher"), async (c) => {
    const form = await c.req.parseBody();
    const target = typeof form.target === "string" ? form.target.trim() : "";
    const actor = await actorOf(c);
    try {
      await follow(domainServices(context(c.req.raw)), actor, target);
    } catch (error) {
      if (!(error instanceof FollowError)) throw error;
      return feedsPage(c, services, actor, {
        error: error.message,
        target,
        status: refusalStatus(error),
      });
    }
    const back =
      typeof form.back === "string" ? redirectTarget(form.back, c.get("publicUrl"), "") : "";
    return c.redirect(back || "/feeds?notice=followed", 303);
  });

  // A teacher answers the requests to follow their own actor, and no other's (an admin
  // answers any on /admin/follow-requests).
  app.post("/feeds/follow-requests", requireRole("teacher"), async (c) => {
    const form = await c.req.parseBody();
    const decision = DECISIONS.find((d) => d === form.decision);
    const actorUri = typeof form.actor === "string" ? form.actor : "";
    const actor = await actorOf(c);
    const gone = c.get("t").followRequestGone;
    if (!decision) return feedsPage(c, services, actor, { requestError: gone, status: 404 });
    try {
      await answerFollowRequest(
        domainServices(context(c.req.raw)),
        { auditActor: webAuditActor(c), auditLog: audit },
        actor,
        actorUri,
        decision,
      );
    } catch (error) {
      if (!(error instanceof FollowError)) throw error;
      return feedsPage(c, services, actor, {
        requestError: error.message,
        status: refusalStatus(error),
      });
    }
    return c.redirect(`/feeds?answered=${decision}`, 303);
  });

  app.post("/feeds/unfollow", requireRole("teacher"), async (c) => {
    const form = await c.req.parseBody();
    const actorUri = typeof form.actor === "string" ? form.actor : "";
    const actor = await actorOf(c);
    try {
      await unfollow(domainServices(context(c.req.raw)), actor, actorUri);
    } catch (error) {
      if (!(error instanceof FollowError)) throw error;
      return feedsPage(c, services, actor, { error: error.message, status: refusalStatus(error) });
    }
    return c.redirect("/feeds?notice=unfollowed", 303);
  });
}
