import type { Hono } from "hono";
import { html } from "hono/html";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { refusalStatus } from "../../http/error-problems.ts";
import {
  addRule,
  MAX_RULE_TAG_LENGTH,
  RuleError,
  type RuleRequest,
  removeRule,
} from "../../restores/rule-service.ts";
import { RULE_EVENTS, RULE_MODES } from "../../vocabulary/rule-kinds.ts";
import { formatDate } from "../format.ts";
import { csrfField, type Markup, page } from "../layout.ts";
import { requireRole } from "../roles.ts";
import type { WebContext, WebDependencies, WebEnv } from "../web-env.ts";
import { type Form, formText, notice, webAuditActor } from "./admin-shell.ts";
import {
  type CategoryChoices,
  categoryChoices,
  categoryOptions,
  pickedId,
  unlistedNotes,
} from "./moodle-pickers.ts";

const NOTICES = ["added", "removed"] as const;

type Services = WebDependencies["services"];

async function rulesPage(
  c: WebContext,
  services: Services,
  options: { status?: ContentfulStatusCode; outcome?: Markup; error?: string; form?: Form } = {},
) {
  const t = c.get("t");
  const language = c.get("language");
  const done = NOTICES.find((n) => n === c.req.query("notice"));
  const names = await services.moodleTargets.namesById();
  const targets = await services.moodleTargets.all();
  const rules = await services.restores.rules();
  const choices = await categoryChoices(services, targets, true);
  const listed = choices.some((choice) => "categories" in choice);
  const unlisted = choices.some((choice) => "failure" in choice);
  const value = (name: string) => (options.form ? formText(options.form, name) : "");
  const selected = (name: string, option: string, fallback: string) =>
    (value(name) || fallback) === option ? " selected" : "";
  return page(c, {
    title: t.rulesTitle,
    status: options.status ?? 200,
    main: html`<hgroup><h1>${t.rulesTitle}</h1><p>${t.rulesIntro}</p></hgroup>
${done ? notice("ok", t.ruleNotices[done]) : ""}
${options.outcome ?? ""}
${
  rules.length
    ? html`<div class="table-scroll"><table class="striped">
<thead><tr><th scope="col">${t.ruleMatches}</th><th scope="col">${t.ruleOn}</th><th scope="col">${t.target}</th><th scope="col">${t.category}</th><th scope="col">${t.mode}</th><th scope="col">${t.ruleCreated}</th><th scope="col"><span class="visually-hidden">${t.actions}</span></th></tr></thead>
<tbody>${rules.map(
        (rule) =>
          html`<tr><th scope="row">${rule.actorUri ? html`<span>${t.ruleFrom} <code>${rule.actorUri}</code></span>` : ""}${rule.actorUri && rule.tag ? html`<br>` : ""}${rule.tag ? html`<span>${t.ruleTagged} <code>#${rule.tag}</code></span>` : ""}</th><td>${t.ruleEvents[rule.on]}</td><td>${names.get(rule.targetId) ?? "?"}</td><td>${categoryLabel(t, choices, rule.targetId, rule.categoryId)}</td><td>${t.ruleModes[rule.mode]}</td><td>${formatDate(rule.createdAt, language)}<br><small>${rule.createdBy}</small></td>
<td class="row-actions"><form method="post" action="/rules/remove" class="inline">${csrfField(c)}<input type="hidden" name="id" value="${rule.id}"><button type="submit" class="secondary outline compact" aria-label="${t.removeRuleNamed(rule.id)}">${t.remove}</button></form></td></tr>`,
      )}</tbody>
</table></div>`
    : html`<article class="empty"><p>${t.noRules}</p></article>`
}
<section aria-labelledby="add-rule">
<h2 id="add-rule">${t.addRule}</h2>
${
  targets.length
    ? html`<form method="post" action="/rules" class="admin-form">
${csrfField(c)}
${options.error ? html`<p class="notice notice-error" role="alert">${options.error}</p>` : ""}
<div class="grid">
<label>${t.ruleActor}<input name="actor" type="url" value="${value("actor")}" placeholder="https://courses.univ.example/actors/institution"></label>
<label>${t.ruleTag}<input name="tag" maxlength="${MAX_RULE_TAG_LENGTH}" value="${value("tag")}" placeholder="chimie"></label>
</div>
<p><small>${t.ruleMatchHelp}</small></p>
<div class="grid">
<label>${t.ruleOn}<select name="on">${RULE_EVENTS.map((event) => html`<option value="${event}"${selected("on", event, "both")}>${t.ruleEvents[event]}</option>`)}</select></label>
<label>${t.target}<select name="target" required>${targets.map((target) => html`<option value="${target.name}"${selected("target", target.name, "")}>${target.name}</option>`)}</select></label>
${
  listed
    ? html`<label>${t.pickerCategory}<select name="category"><option value="">—</option>${categoryOptions(t, choices, value("category"))}</select></label>`
    : ""
}
${
  unlisted || !listed
    ? html`<label>${listed ? t.pickerCategoryId : t.category}<input name="categoryId"${listed ? "" : html` required`} inputmode="numeric" value="${value("categoryId")}" placeholder="1" aria-describedby="rule-category-unlisted"></label>`
    : ""
}
<label>${t.mode}<select name="mode">${RULE_MODES.map((mode) => html`<option value="${mode}"${selected("mode", mode, "new-course")}>${t.ruleModes[mode]}</option>`)}</select></label>
</div>
${unlistedNotes(t, choices, "rule-category-unlisted")}
<button type="submit">${t.addRule}</button>
</form>`
    : html`<p class="empty">${t.rulesNeedTarget} <a href="/admin/targets">${t.targetsTitle}</a></p>`
}
</section>`,
  });
}

/** A rule's category by its path when its site lists it, by its id otherwise. */
function categoryLabel(
  t: WebContext["var"]["t"],
  choices: readonly CategoryChoices[],
  targetId: number,
  categoryId: number,
): string {
  const choice = choices.find((each) => each.target.id === targetId);
  const category =
    choice && "categories" in choice
      ? choice.categories.find((each) => each.id === categoryId)
      : undefined;
  return category
    ? t.pickerCategoryOption(category.path, category.id, category.visible)
    : String(categoryId);
}

/** The form as the API's body; addRule checks it as it checks the API's. */
function ruleRequest(
  form: Form,
  createdBy: string,
  t: WebContext["var"]["t"],
): RuleRequest | { error: string } {
  const on = RULE_EVENTS.find((event) => event === formText(form, "on"));
  const mode = RULE_MODES.find((m) => m === formText(form, "mode"));
  if (!on || !mode) return { error: t.ruleBadChoice };
  const picked = pickedId(formText(form, "category"), formText(form, "target"), t);
  if (typeof picked === "object") return picked;
  const category = picked === undefined ? formText(form, "categoryId") : String(picked);
  return {
    actorUri: formText(form, "actor") || undefined,
    tag: formText(form, "tag") || undefined,
    on,
    mode,
    // Not a whole number (or empty): NaN, which addRule refuses in words.
    categoryId: /^\d+$/.test(category) ? Number(category) : Number.NaN,
    targetName: formText(form, "target"),
    createdBy,
  };
}

export function rulesRoutes(app: Hono<WebEnv>, { services, audit }: WebDependencies): void {
  app.get("/rules", requireRole("admin"), (c) => rulesPage(c, services));

  app.post("/rules", requireRole("admin"), async (c) => {
    const form = await c.req.parseBody();
    const by = webAuditActor(c);
    const request = ruleRequest(form, `web ${by.name}`, c.get("t"));
    if ("error" in request)
      return rulesPage(c, services, { status: 400, error: request.error, form });
    try {
      await addRule(services, { auditActor: by, auditLog: audit }, request);
    } catch (error) {
      if (!(error instanceof RuleError)) throw error;
      return rulesPage(c, services, { status: refusalStatus(error), error: error.message, form });
    }
    return c.redirect("/rules?notice=added", 303);
  });

  app.post("/rules/remove", requireRole("admin"), async (c) => {
    const id = Number(formText(await c.req.parseBody(), "id"));
    try {
      await removeRule(services, { auditActor: webAuditActor(c), auditLog: audit }, id);
    } catch (error) {
      if (!(error instanceof RuleError)) throw error;
      return rulesPage(c, services, {
        status: refusalStatus(error),
        outcome: notice("error", c.get("t").noSuchRule(String(id))),
      });
    }
    return c.redirect("/rules?notice=removed", 303);
  });
}
