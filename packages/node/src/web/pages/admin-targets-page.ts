import { formatBytes } from "@coursefed/mbz";
import { MoodleError, type MoodleSiteInfo } from "@coursefed/moodle";
import type { Hono } from "hono";
import { html } from "hono/html";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { AdminOnRecord } from "../../audit/audit-log.ts";
import { refusalStatus } from "../../http/error-problems.ts";
import {
  type MoodleTarget,
  type MoodleTargetChanges,
  type NewMoodleTarget,
  TargetError,
} from "../../moodle-targets/target-repository.ts";
import {
  addTarget,
  editTarget,
  probeTargetNamed,
  removeTarget,
  targetNamed,
} from "../../moodle-targets/target-service.ts";
import {
  categoryIdsFrom,
  courseGrants,
  grantCourse,
  revokeCourse,
  setTeacherCategories,
  TeacherPermissionError,
} from "../../moodle-targets/teacher-permissions.ts";
import { MOODLE_DRIVERS, type MoodleDriverName } from "../../vocabulary/moodle-drivers.ts";
import { formatDateTime } from "../format.ts";
import { csrfField, type Markup } from "../layout.ts";
import { requireRole } from "../roles.ts";
import type { WebContext, WebDependencies, WebEnv } from "../web-env.ts";
import {
  adminPage,
  confirmPage,
  type Form,
  formText,
  notice,
  webAuditActor,
} from "./admin-shell.ts";
import { type CategoryChoices, categoryChoices } from "./moodle-pickers.ts";

const NOTICES = ["added", "removed", "teachers", "granted", "revoked", "edited"] as const;
/** The end of what Moodle printed is where its error is; the start is noise. */
const LOG_TAIL_LINES = 40;

type Services = WebDependencies["services"];

interface TargetsPageOptions {
  readonly status?: ContentfulStatusCode;
  /** Shown above the list: a probe's answer or failure, or why the form was refused. */
  readonly outcome?: Markup;
  /** The refused form's values (never its token), to fix rather than retype. */
  readonly form?: Form;
  readonly formError?: string;
  /** A refused edit: its target's form is shown open, with its values and why. */
  readonly editing?: { readonly name: string; readonly form: Form; readonly error: string };
}

async function targetsPage(c: WebContext, services: Services, options: TargetsPageOptions = {}) {
  const t = c.get("t");
  const language = c.get("language");
  const done = NOTICES.find((n) => n === c.req.query("notice"));
  const targets = await services.moodleTargets.all();
  const value = (name: string) => (options.form ? formText(options.form, name) : "");
  const driver = (value("driver") || "cli") as MoodleDriverName;
  return adminPage(c, {
    section: "/admin/targets",
    title: t.targetsTitle,
    intro: t.targetsIntro,
    status: options.status ?? 200,
    main: html`${done ? notice("ok", t.targetNotices[done]) : ""}
${options.outcome ?? ""}
${
  targets.length
    ? html`<div class="table-scroll"><table class="striped">
<thead><tr><th scope="col">${t.targetName}</th><th scope="col">${t.driver}</th><th scope="col">${t.targetUrl}</th><th scope="col">${t.defaultCategoryColumn}</th><th scope="col">${t.teacherCategoriesColumn}</th><th scope="col">${t.lastProbe}</th><th scope="col">${t.largestBackup}</th><th scope="col"><span class="visually-hidden">${t.actions}</span></th></tr></thead>
<tbody>${targets.map((target) => {
        const site = target.siteInfo as MoodleSiteInfo | null;
        return html`<tr><th scope="row">${target.name}</th><td><code>${target.driver}</code></td><td><a href="${target.url}" rel="external">${target.url}</a>${target.nodeUrl ? html`<br><small>${t.reachesNodeAt(target.nodeUrl)}</small>` : ""}</td><td>${target.defaultCategoryId}</td><td>${target.teacherCategoryIds.length ? target.teacherCategoryIds.join(", ") : html`<span class="badge badge-neutral">${t.teachersNowhere}</span>`}</td>
<td>${site && target.probedAt !== null ? html`${site.release}<br><small>${t.pluginCount(Object.keys(site.plugins).length)} · ${formatDateTime(target.probedAt, language)}</small>` : html`<span class="badge badge-neutral">${t.notProbed}</span>`}</td>
<td>${site && target.probedAt !== null ? (site.maxRestoreBytes === null ? t.noSizeLimit : formatBytes(site.maxRestoreBytes, language)) : "–"}</td>
<td class="row-actions"><form method="post" action="/admin/targets/probe" class="inline">${csrfField(c)}<input type="hidden" name="name" value="${target.name}"><button type="submit" class="compact" aria-label="${t.probeNamed(target.name)}">${t.probe}</button></form>
<form method="post" action="/admin/targets/register" class="inline">${csrfField(c)}<input type="hidden" name="name" value="${target.name}"><button type="submit" class="secondary compact" aria-label="${t.registrationCodeNamed(target.name)}">${t.registrationCode}</button></form>
<a href="/admin/targets/remove?name=${encodeURIComponent(target.name)}" role="button" class="secondary outline compact" aria-label="${t.removeNamed(target.name)}">${t.remove}</a></td></tr>`;
      })}</tbody>
</table></div>`
    : html`<article class="empty"><p>${t.noTargetsYet}</p></article>`
}
${targets.map((target) => editForm(c, target, options.editing))}
${await teachersSections(c, services, targets)}
<section aria-labelledby="add-target">
<h2 id="add-target">${t.addTarget}</h2>
<form method="post" action="/admin/targets" class="admin-form">
${csrfField(c)}
${options.formError ? html`<p class="notice notice-error" role="alert" id="target-error">${options.formError}</p>` : ""}
<div class="grid">
<label>${t.targetName}<input name="name" required pattern="[A-Za-z0-9][A-Za-z0-9_\\-]{0,63}" value="${value("name")}" placeholder="lyon-sciences" aria-describedby="name-help"><small id="name-help">${t.targetNameHelp}</small></label>
<label>${t.targetUrl}<input name="url" type="url" required value="${value("url")}" placeholder="https://moodle.univ.example"></label>
</div>
<label>${t.targetNodeUrl}<input name="nodeUrl" type="url" value="${value("nodeUrl")}" placeholder="http://coursefed.internal:8080" aria-describedby="node-url-help"><small id="node-url-help">${t.targetNodeUrlHelp}</small></label>
<div class="grid">
<label>${t.driver}<select name="driver">${MOODLE_DRIVERS.map((d) => html`<option value="${d}"${d === driver ? " selected" : ""}>${t.drivers[d]}</option>`)}</select></label>
<label>${t.defaultCategoryColumn}<input name="defaultCategoryId" inputmode="numeric" value="${value("defaultCategoryId")}" placeholder="1"></label>
</div>
<fieldset><legend>${t.cliSettings}</legend>
<div class="grid">
<label>${t.moodleDir}<input name="moodleDir" value="${value("moodleDir")}" placeholder="/var/www/moodle"></label>
<label>${t.phpBinary}<input name="php" value="${value("php")}" placeholder="php"></label>
<label>${t.runAsUser}<input name="runAsUser" value="${value("runAsUser")}" placeholder="www-data"></label>
</div>
</fieldset>
<fieldset><legend>${t.wsSettings}</legend>
<label>${t.wsToken}<input name="token" type="password" autocomplete="off" aria-describedby="token-help"><small id="token-help">${t.wsTokenHelp}</small></label>
</fieldset>
<button type="submit">${t.addTarget}</button>
</form>
</section>`,
  });
}

/**
 * A target's settings to change in place, folded away: its current values filled in (never
 * its token, which stays unless a new one is typed); open, with why, when it was refused.
 */
function editForm(c: WebContext, target: MoodleTarget, editing: TargetsPageOptions["editing"]) {
  const t = c.get("t");
  const refused = editing?.name === target.name ? editing : undefined;
  const id = `edit-${target.id}`;
  const value = (name: string, current: unknown) =>
    refused
      ? formText(refused.form, name)
      : current === null || current === undefined
        ? ""
        : String(current);
  return html`<details class="target-edit"${refused ? html` open` : ""}><summary>${t.editTargetNamed(target.name)}</summary>
<form method="post" action="/admin/targets/edit" class="admin-form" aria-describedby="${id}-help">
${csrfField(c)}<input type="hidden" name="name" value="${target.name}">
<p><small id="${id}-help">${t.editTargetHelp}</small></p>
${refused ? html`<p class="notice notice-error" role="alert">${refused.error}</p>` : ""}
<div class="grid">
<label>${t.targetUrl}<input name="url" type="url" required value="${value("url", target.url)}"></label>
<label>${t.defaultCategoryColumn}<input name="defaultCategoryId" inputmode="numeric" required value="${value("defaultCategoryId", target.defaultCategoryId)}"></label>
</div>
<label>${t.targetNodeUrl}<input name="nodeUrl" type="url" value="${value("nodeUrl", target.nodeUrl)}" placeholder="http://coursefed.internal:8080"></label>
${
  target.driver === "cli"
    ? html`<div class="grid">
<label>${t.moodleDir}<input name="moodleDir" required value="${value("moodleDir", target.settings.moodleDir)}"></label>
<label>${t.phpBinary}<input name="php" value="${value("php", target.settings.php)}" placeholder="php"></label>
<label>${t.runAsUser}<input name="runAsUser" value="${value("runAsUser", target.settings.runAsUser)}" placeholder="www-data"></label>
</div>`
    : html`<label>${t.wsTokenKeep}<input name="token" type="password" autocomplete="off"></label>`
}
<button type="submit" class="compact">${t.saveTargetEdit(target.name)}</button>
</form></details>`;
}

/**
 * The edit form as changes: empty optional fields go back to their default, an empty
 * token keeps the one the node has.
 */
function targetChanges(
  target: MoodleTarget,
  form: Form,
): MoodleTargetChanges | { error: "category" } {
  const category = Number(formText(form, "defaultCategoryId"));
  if (!(Number.isSafeInteger(category) && category > 0)) return { error: "category" };
  const cleared = (name: string) => formText(form, name) || null;
  return {
    url: formText(form, "url"),
    defaultCategoryId: category,
    nodeUrl: cleared("nodeUrl"),
    ...(target.driver === "cli"
      ? {
          moodleDir: formText(form, "moodleDir"),
          php: cleared("php"),
          runAsUser: cleared("runAsUser"),
        }
      : formText(form, "token")
        ? { token: formText(form, "token") }
        : {}),
  };
}

/**
 * The categories open to teachers on a target, picked by path among those the site lists
 * (several at once), the ones open now chosen; as ids typed when the site cannot be
 * listed, saying why.
 */
function teacherCategoriesField(
  t: WebContext["var"]["t"],
  target: MoodleTarget,
  choice: CategoryChoices,
  id: string,
): Markup {
  if ("failure" in choice) {
    return html`<label>${t.teacherCategories}<input name="categoryIds" value="${target.teacherCategoryIds.join(", ")}" placeholder="3, 5" inputmode="numeric" aria-describedby="${id}-categories-help"><small id="${id}-categories-help">${t.teacherCategoriesHelp} ${t.pickerCategoriesUnlisted(target.name, choice.failure)}</small></label>`;
  }
  const open = new Set(target.teacherCategoryIds);
  const listed = new Set(choice.categories.map((category) => category.id));
  // Open categories the site no longer lists stay chosen, by id, rather than dropped unseen.
  const gone = target.teacherCategoryIds.filter((categoryId) => !listed.has(categoryId));
  return html`<label>${t.teacherCategories}<select name="categoryIds" multiple size="${Math.min(8, Math.max(3, choice.categories.length + gone.length))}" aria-describedby="${id}-categories-help">
${choice.categories.map((category) => html`<option value="${category.id}"${open.has(category.id) ? html` selected` : ""}>${t.pickerCategoryOption(category.path, category.id, category.visible)}</option>`)}
${gone.map((categoryId) => html`<option value="${categoryId}" selected>${categoryId}</option>`)}
</select><small id="${id}-categories-help">${t.teacherCategoriesPickHelp}</small></label>`;
}

/**
 * Per target, what teachers may do there: the categories where they may restore new
 * courses, and the existing courses granted to one of them (besides those their own
 * restores created, which they may always restore into again).
 */
async function teachersSections(
  c: WebContext,
  services: Services,
  targets: readonly MoodleTarget[],
): Promise<Markup> {
  const t = c.get("t");
  const language = c.get("language");
  const sections = [];
  const choices = await categoryChoices(services, targets, true);
  for (const [index, target] of targets.entries()) {
    const grants = await courseGrants(services, target.name);
    const id = `teachers-${target.id}`;
    sections.push(html`<section aria-labelledby="${id}" class="target-teachers">
<h2 id="${id}">${t.teachersOn(target.name)}</h2>
<p><small>${t.teachersIntro}</small></p>
<form method="post" action="/admin/targets/teachers" class="admin-form">
${csrfField(c)}<input type="hidden" name="name" value="${target.name}">
${teacherCategoriesField(t, target, choices[index] as CategoryChoices, id)}
<button type="submit" class="compact">${t.saveTeacherCategories(target.name)}</button>
</form>
<h3>${t.grantedCourses}</h3>
${
  grants.length
    ? html`<div class="table-scroll"><table class="striped">
<thead><tr><th scope="col">${t.moodleCourseId}</th><th scope="col">${t.teacherHandle}</th><th scope="col">${t.grantedBy}</th><th scope="col"><span class="visually-hidden">${t.actions}</span></th></tr></thead>
<tbody>${grants.map(
        (grant) =>
          html`<tr><td>${grant.moodleCourseId}</td><td>${grant.teacher}</td><td>${grant.grantedBy}, ${formatDateTime(grant.grantedAt, language)}</td>
<td><form method="post" action="/admin/targets/revoke" class="inline">${csrfField(c)}<input type="hidden" name="name" value="${target.name}"><input type="hidden" name="courseId" value="${grant.moodleCourseId}"><input type="hidden" name="teacher" value="${grant.teacher}"><button type="submit" class="secondary outline compact" aria-label="${t.revokeGrant(grant.moodleCourseId, grant.teacher)}">${t.revoke}</button></form></td></tr>`,
      )}</tbody></table></div>`
    : html`<p>${t.noGrants}</p>`
}
<form method="post" action="/admin/targets/grant" class="admin-form">
${csrfField(c)}<input type="hidden" name="name" value="${target.name}">
<div class="grid">
<label>${t.moodleCourseId}<input name="courseId" inputmode="numeric" required></label>
<label>${t.teacherHandle}<input name="teacher" required placeholder="ada"></label>
</div>
<button type="submit" class="compact">${t.grantCourse(target.name)}</button>
</form>
</section>`);
  }
  return html`${sections}`;
}

/** What a probe found: the site's Moodle and every plugin with its version. */
function probeAnswer(c: WebContext, name: string, info: MoodleSiteInfo): Markup {
  const t = c.get("t");
  const plugins = Object.entries(info.plugins).sort(([a], [b]) => a.localeCompare(b));
  return html`<article class="probe-result" role="status" aria-labelledby="probe-heading">
<h2 id="probe-heading"><span class="badge badge-ok">${t.probeOk}</span> ${t.probeOf(name)}</h2>
<dl class="facts">
<div><dt>${t.moodleVersion}</dt><dd>${info.version}</dd></div>
<div><dt>${t.moodleReleaseLabel}</dt><dd>${info.release}</dd></div>
<div><dt>${t.moodleBranch}</dt><dd>${info.branch}</dd></div>
<div><dt>${t.plugins}</dt><dd>${plugins.length}</dd></div>
</dl>
<details><summary>${t.pluginList(plugins.length)}</summary><ul class="plugin-list">${plugins.map(([plugin, version]) => html`<li><code>${plugin}</code> <small>${version}</small></li>`)}</ul></details>
</article>`;
}

function probeFailure(c: WebContext, name: string, error: MoodleError): Markup {
  const t = c.get("t");
  const log = error.log?.trimEnd().split("\n").slice(-LOG_TAIL_LINES).join("\n");
  return html`<article class="notice notice-error probe-result" role="alert" aria-labelledby="probe-heading">
<h2 id="probe-heading">${t.probeFailed(name)}</h2>
<p>${error.message} <code>${error.code}</code></p>
${log ? html`<p>${t.endOfMoodleLog}</p><pre class="log">${log}</pre>` : ""}
</article>`;
}

/** The form as the API's body: empty fields are not given. */
function newTarget(form: Form): NewMoodleTarget | { error: "category" } {
  const optional = (name: string) => formText(form, name) || undefined;
  const category = formText(form, "defaultCategoryId");
  const defaultCategoryId = category === "" ? undefined : Number(category);
  if (
    defaultCategoryId !== undefined &&
    !(Number.isSafeInteger(defaultCategoryId) && defaultCategoryId > 0)
  ) {
    return { error: "category" };
  }
  return {
    name: formText(form, "name"),
    driver: MOODLE_DRIVERS.find((d) => d === formText(form, "driver")) ?? "cli",
    url: formText(form, "url"),
    moodleDir: optional("moodleDir"),
    php: optional("php"),
    runAsUser: optional("runAsUser"),
    token: optional("token"),
    defaultCategoryId,
    nodeUrl: optional("nodeUrl"),
  };
}

export function adminTargetsRoutes(
  app: Hono<WebEnv>,
  { services, audit, moodleSites }: WebDependencies,
): void {
  const admin = (c: WebContext): AdminOnRecord => ({
    auditActor: webAuditActor(c),
    auditLog: audit,
  });
  /** A refusal said on the page, with the table's status; anything else is not ours to catch. */
  const refused = (c: WebContext, error: unknown) => {
    if (!(error instanceof TeacherPermissionError || error instanceof TargetError)) throw error;
    return targetsPage(c, services, {
      status: refusalStatus(error),
      outcome: notice("error", error.message),
    });
  };

  app.get("/admin/targets", requireRole("admin"), (c) => targetsPage(c, services));

  app.post("/admin/targets/register", requireRole("admin"), async (c) => {
    const t = c.get("t");
    const name = formText(await c.req.parseBody(), "name");
    let target: MoodleTarget;
    try {
      target = await targetNamed(services.moodleTargets, name);
    } catch (error) {
      return refused(c, error);
    }
    const { code, replaced } = await moodleSites.register(target, webAuditActor(c));
    return targetsPage(c, services, {
      status: 201,
      outcome: html`<article class="secret" role="status" aria-labelledby="registration-heading">
<h2 id="registration-heading">${t.registrationCodeFor(name)}</h2>
<p><code class="secret-value">${code}</code></p>
<p><small>${t.registrationCodeHelp}</small></p>
${replaced ? html`<p><small>${t.registrationCodeReplaced}</small></p>` : ""}
</article>`,
    });
  });

  app.post("/admin/targets", requireRole("admin"), async (c) => {
    const t = c.get("t");
    const form = await c.req.parseBody();
    const request = newTarget(form);
    if ("error" in request) {
      return targetsPage(c, services, { status: 400, form, formError: t.restoreBadCategory });
    }
    try {
      await addTarget(services.moodleTargets, admin(c), request);
    } catch (error) {
      if (!(error instanceof TargetError)) throw error;
      return targetsPage(c, services, {
        status: refusalStatus(error),
        form,
        formError: error.message,
      });
    }
    return c.redirect("/admin/targets?notice=added", 303);
  });

  app.post("/admin/targets/edit", requireRole("admin"), async (c) => {
    const t = c.get("t");
    const form = await c.req.parseBody();
    const name = formText(form, "name");
    let target: MoodleTarget;
    try {
      target = await targetNamed(services.moodleTargets, name);
    } catch (error) {
      return refused(c, error);
    }
    const changes = targetChanges(target, form);
    const editRefused = (status: ContentfulStatusCode, error: string) =>
      targetsPage(c, services, { status, editing: { name, form, error } });
    if ("error" in changes) return editRefused(400, t.restoreBadCategory);
    try {
      await editTarget(services.moodleTargets, admin(c), name, changes);
    } catch (error) {
      if (!(error instanceof TargetError || error instanceof MoodleError)) throw error;
      return editRefused(refusalStatus(error), error.message);
    }
    return c.redirect("/admin/targets?notice=edited", 303);
  });

  app.post("/admin/targets/probe", requireRole("admin"), async (c) => {
    const form = await c.req.parseBody();
    const name = formText(form, "name");
    try {
      const { info } = await probeTargetNamed(services.moodleTargets, admin(c), name);
      return targetsPage(c, services, { outcome: probeAnswer(c, name, info) });
    } catch (error) {
      if (!(error instanceof MoodleError)) return refused(c, error);
      return targetsPage(c, services, {
        status: refusalStatus(error),
        outcome: probeFailure(c, name, error),
      });
    }
  });

  app.post("/admin/targets/teachers", requireRole("admin"), async (c) => {
    const t = c.get("t");
    // Several categories picked at once come as several values.
    const form = await c.req.parseBody({ all: true });
    const picked = form.categoryIds;
    let categoryIds: number[];
    try {
      categoryIds = categoryIdsFrom(
        Array.isArray(picked) ? picked.join(",") : formText(form, "categoryIds"),
      );
    } catch (error) {
      if (!(error instanceof TeacherPermissionError)) throw error;
      return targetsPage(c, services, {
        status: refusalStatus(error),
        outcome: notice("error", t.teacherCategoriesInvalid),
      });
    }
    try {
      await setTeacherCategories(services, admin(c), formText(form, "name"), categoryIds);
    } catch (error) {
      return refused(c, error);
    }
    return c.redirect("/admin/targets?notice=teachers", 303);
  });

  // Granting and revoking take the same form: a target, a Moodle course, a teacher.
  for (const [path, change, done] of [
    ["/admin/targets/grant", grantCourse, "granted"],
    ["/admin/targets/revoke", revokeCourse, "revoked"],
  ] as const) {
    app.post(path, requireRole("admin"), async (c) => {
      const form = await c.req.parseBody();
      try {
        await change(
          services,
          admin(c),
          formText(form, "name"),
          Number(formText(form, "courseId")),
          formText(form, "teacher"),
        );
      } catch (error) {
        return refused(c, error);
      }
      return c.redirect(`/admin/targets?notice=${done}`, 303);
    });
  }

  app.get("/admin/targets/remove", requireRole("admin"), async (c) => {
    const t = c.get("t");
    const name = c.req.query("name") ?? "";
    try {
      await targetNamed(services.moodleTargets, name);
    } catch (error) {
      return refused(c, error);
    }
    return confirmPage(c, {
      section: "/admin/targets",
      title: t.removeTargetTitle(name),
      question: t.removeTargetQuestion(name),
      action: "/admin/targets/remove",
      fields: { name },
      button: t.removeNamed(name),
    });
  });

  app.post("/admin/targets/remove", requireRole("admin"), async (c) => {
    try {
      await removeTarget(
        services.moodleTargets,
        admin(c),
        formText(await c.req.parseBody(), "name"),
      );
    } catch (error) {
      return refused(c, error);
    }
    return c.redirect("/admin/targets?notice=removed", 303);
  });
}
