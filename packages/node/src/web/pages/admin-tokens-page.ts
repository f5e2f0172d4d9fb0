import type { Hono } from "hono";
import { html } from "hono/html";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { AdminOnRecord } from "../../audit/audit-log.ts";
import { refusalStatus } from "../../http/error-problems.ts";
import { createToken, revokeToken, TokenError } from "../../tokens/token-service.ts";
import { formatDateTime } from "../format.ts";
import { csrfField, type Markup } from "../layout.ts";
import { requireRole } from "../roles.ts";
import type { WebContext, WebDependencies, WebEnv } from "../web-env.ts";
import { adminPage, formText, notice, webAuditActor } from "./admin-shell.ts";

/** Longest token name, as the API's teacher tokens ("teacher " + a 64-character handle). */
const MAX_NAME_LENGTH = 100;

async function tokensPage(
  c: WebContext,
  { services, tokens }: WebDependencies,
  options: { status?: ContentfulStatusCode; outcome?: Markup } = {},
) {
  const t = c.get("t");
  const language = c.get("language");
  const actors = await services.actors.all();
  const all = await tokens.all();
  const actorName = new Map(actors.map((actor) => [actor.id, `@${actor.handle}`]));
  return adminPage(c, {
    section: "/admin/tokens",
    title: t.tokensTitle,
    intro: t.tokensIntro,
    status: options.status ?? 200,
    main: html`${c.req.query("notice") === "revoked" ? notice("ok", t.tokenRevoked) : ""}
${options.outcome ?? ""}
<div class="table-scroll"><table class="striped">
<thead><tr><th scope="col">${t.tokenName}</th><th scope="col">${t.role}</th><th scope="col">${t.actsAs}</th><th scope="col">${t.created}</th><th scope="col">${t.lastUsed}</th><th scope="col"><span class="visually-hidden">${t.actions}</span></th></tr></thead>
<tbody>${all.map(
      (token) =>
        html`<tr><th scope="row">${token.name}</th><td><span class="role role-${token.role}">${t.roles[token.role]}</span></td><td><code>${actorName.get(token.actorId) ?? "?"}</code></td><td>${formatDateTime(token.createdAt, language)}</td><td>${token.lastUsedAt === null ? html`<span class="empty">${t.never}</span>` : formatDateTime(token.lastUsedAt, language)}</td>
<td class="row-actions"><form method="post" action="/admin/tokens/revoke" class="inline">${csrfField(c)}<input type="hidden" name="id" value="${token.id}"><button type="submit" class="secondary outline compact" aria-label="${t.revokeNamed(token.name)}">${t.revoke}</button></form></td></tr>`,
    )}</tbody>
</table></div>
<section aria-labelledby="create-token">
<h2 id="create-token">${t.createToken}</h2>
<form method="post" action="/admin/tokens" class="admin-form">
${csrfField(c)}
<div class="grid">
<label>${t.tokenName}<input name="name" required maxlength="${MAX_NAME_LENGTH}" placeholder="${t.tokenNamePlaceholder}"></label>
<label>${t.actsAs}<select name="actor">${actors.map((actor) => html`<option value="${actor.identifier}">${actor.name} (@${actor.handle}) — ${t.roles[actor.type === "Organization" ? "admin" : "teacher"]}</option>`)}</select></label>
</div>
<p><small>${t.tokenRoleHelp}</small></p>
<button type="submit">${t.createToken}</button>
</form>
</section>`,
  });
}

export function adminTokensRoutes(app: Hono<WebEnv>, dependencies: WebDependencies): void {
  const { services, tokens, audit } = dependencies;
  const admin = (c: WebContext): AdminOnRecord => ({
    auditActor: webAuditActor(c),
    auditLog: audit,
  });

  app.get("/admin/tokens", requireRole("admin"), (c) => tokensPage(c, dependencies));

  app.post("/admin/tokens", requireRole("admin"), async (c) => {
    const t = c.get("t");
    const form = await c.req.parseBody();
    const name = formText(form, "name");
    const actor = await services.actors.byIdentifier(formText(form, "actor"));
    if (!name || name.length > MAX_NAME_LENGTH || !actor) {
      return tokensPage(c, dependencies, {
        status: 400,
        outcome: notice("error", t.tokenNeedsName(MAX_NAME_LENGTH)),
      });
    }
    const token = await createToken(tokens, admin(c), name, actor);
    return tokensPage(c, dependencies, {
      status: 201,
      outcome: html`<article class="secret" role="status" aria-labelledby="secret-heading">
<h2 id="secret-heading">${t.tokenFor(name)}</h2>
<p><code class="secret-value">${token}</code></p>
<p><small>${t.tokenShownOnce}</small></p>
</article>`,
    });
  });

  app.post("/admin/tokens/revoke", requireRole("admin"), async (c) => {
    try {
      await revokeToken(tokens, admin(c), Number(formText(await c.req.parseBody(), "id")));
    } catch (error) {
      if (!(error instanceof TokenError)) throw error;
      return tokensPage(c, dependencies, {
        status: refusalStatus(error),
        outcome: notice("error", c.get("t").noSuchToken),
      });
    }
    return c.redirect("/admin/tokens?notice=revoked", 303);
  });
}
