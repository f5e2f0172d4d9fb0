import { formatBytes } from "@coursefed/mbz";
import type { Hono } from "hono";
import { html } from "hono/html";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { AdminOnRecord } from "../../audit/audit-log.ts";
import { refusalStatus } from "../../http/error-problems.ts";
import { setNetworkSearchOneHop } from "../../network-search/network-search-service.ts";
import { FEDERATION_MODES } from "../../settings/federation-policy.ts";
import { institutionLogoUrl, LogoError } from "../../settings/institution-logo.ts";
import {
  type EffectiveSetting,
  SETTING_NAMES,
  type SettingName,
  SettingsError,
} from "../../settings/node-settings.ts";
import {
  changeInstitutionLogo,
  changeSettings,
  resetSetting,
  type SettingsChange,
} from "../../settings/settings-service.ts";
import { formatDateTime } from "../format.ts";
import { csrfField, type Markup } from "../layout.ts";
import { requireRole } from "../roles.ts";
import type { WebContext, WebDependencies, WebEnv } from "../web-env.ts";
import { adminPage, type Form, formText, notice, webAuditActor } from "./admin-shell.ts";

const NOTICES = ["saved", "reset"] as const;

interface SettingsPageOptions {
  readonly status?: ContentfulStatusCode;
  /** The refused form's values, to fix rather than retype, and the domain's refusal. */
  readonly form?: Form;
  readonly error?: SettingsError;
  readonly logoError?: LogoError;
}

/** Host names one a line, as the forms show and take them. */
function lines(domains: readonly string[]): string {
  return domains.join("\n");
}

/**
 * The node's settings: what the configuration fixes (address, institution, upload
 * limit), and the federation policy and auto-accepted servers, which admins may change
 * here; a change is in force in every process of the node within seconds.
 */
async function settingsPage(
  c: WebContext,
  { services, publicUrl, maxUploadBytes }: WebDependencies,
  options: SettingsPageOptions = {},
) {
  const t = c.get("t");
  const language = c.get("language");
  const done = NOTICES.find((n) => n === c.req.query("notice"));
  const institution = await services.actors.byIdentifier("institution");
  const { policy, autoAccept } = await services.settings.federation();
  const { becomeTeachers } = await services.settings.moodleUsers();
  const { oneHop } = await services.settings.networkSearch();
  const logo = await services.settings.institutionLogo();
  const list = (items: readonly string[]) =>
    items.length
      ? html`<ul class="domains">${items.map((item) => html`<li><code>${item}</code></li>`)}</ul>`
      : html`<span class="empty">${t.noneListed}</span>`;
  const describePolicy = ({ mode, domains }: typeof policy.value) =>
    html`${t.federationModes[mode]}${mode === "open" ? "" : list(domains)}`;
  /** Who changed a setting last, and when. */
  const changedBy = ({
    updatedBy,
    updatedAt,
  }: NonNullable<EffectiveSetting<unknown>["override"]>) =>
    html`<p class="setting-origin"><small>${t.settingChangedBy(updatedBy, formatDateTime(updatedAt, language))}</small></p>`;
  /** Where a setting's value comes from, and the way back to the configuration's. */
  const origin = <T>(
    name: SettingName,
    setting: EffectiveSetting<T>,
    describe: (value: T) => Markup,
  ) =>
    setting.override
      ? html`${changedBy(setting.override)}
<form method="post" action="/admin/settings/reset" class="inline">${csrfField(c)}<input type="hidden" name="setting" value="${name}">
<button type="submit" class="secondary outline compact" aria-describedby="${name}-configured">${t.resetToConfiguration}</button></form>
<div id="${name}-configured"><small>${t.configurationValue}${t.colon}</small>${describe(setting.configured)}</div>`
      : html`<p class="setting-origin"><small>${t.settingFromConfiguration}</small></p>`;
  /** A setting that is on or off, which no configuration sets: a form of its own. */
  const switchSection = (form: {
    readonly id: string;
    readonly heading: string;
    readonly intro: string;
    readonly name: string;
    readonly setting: EffectiveSetting<boolean>;
    readonly label: string;
    readonly help: string;
    readonly save: string;
  }) => html`<section aria-labelledby="${form.id}-heading">
<h2 id="${form.id}-heading">${form.heading}</h2>
<p>${form.intro}</p>
<form method="post" action="/admin/settings/${form.id}" class="admin-form">
${csrfField(c)}
<label><input type="checkbox" role="switch" name="${form.name}" value="on" aria-describedby="${form.id}-help"${form.setting.value ? html` checked` : ""}> ${form.label}</label>
<small id="${form.id}-help">${form.help}</small>
${form.setting.override ? changedBy(form.setting.override) : ""}
<button type="submit">${form.save}</button>
</form>
</section>`;
  const refused = (field: SettingsError["field"]) =>
    options.error?.field === field
      ? html`<p class="notice notice-error" role="alert" id="${field}-error">${options.error.message}</p>`
      : "";
  const value = (name: string, current: string) =>
    options.form && name in options.form ? formText(options.form, name) : current;
  const mode = value("mode", policy.value.mode);
  return adminPage(c, {
    section: "/admin",
    title: t.adminSettingsTitle,
    intro: t.adminSettingsIntro,
    status: options.status ?? 200,
    main: html`${done ? notice("ok", t.settingsNotices[done]) : ""}
<article>
<dl class="settings">
<dt>${t.publicUrl}</dt><dd><code>${publicUrl.href}</code></dd>
<dt>${t.institutionHandle}</dt><dd><code>@${institution?.handle ?? "?"}@${publicUrl.host}</code></dd>
<dt>${t.institutionName}</dt><dd>${institution?.name ?? "?"}</dd>
<dt>${t.maxUpload}</dt><dd>${formatBytes(maxUploadBytes, language)}</dd>
</dl>
<p><small>${t.settingsFromConfiguration} <code>coursefed serve --help</code></small></p>
</article>
<section aria-labelledby="federation-heading">
<h2 id="federation-heading">${t.federationPolicy}</h2>
<div>${t.federationPolicyNow}${t.colon}${describePolicy(policy.value)}</div>
${origin("policy", policy, describePolicy)}
<form method="post" action="/admin/settings/federation" class="admin-form">
${csrfField(c)}
${refused("mode")}${refused("domains")}
<fieldset><legend>${t.federationMode}</legend>
${FEDERATION_MODES.map(
  (m) =>
    html`<label><input type="radio" name="mode" value="${m}"${m === mode ? html` checked` : ""}> ${t.federationModes[m]}</label>`,
)}
</fieldset>
<label for="domains">${t.federationDomains}</label>
<textarea id="domains" name="domains" rows="4" aria-describedby="domains-help${options.error?.field === "domains" ? " domains-error" : ""}"${options.error?.field === "domains" ? html` aria-invalid="true"` : ""}>${value("domains", lines(policy.value.domains))}</textarea>
<small id="domains-help">${t.domainsHelp}</small>
<button type="submit">${t.saveFederationPolicy}</button>
</form>
</section>
<section aria-labelledby="auto-accept-heading">
<h2 id="auto-accept-heading">${t.autoAcceptDomains}</h2>
<div>${list(autoAccept.value)}</div>
${origin("autoAccept", autoAccept, list)}
<form method="post" action="/admin/settings/auto-accept" class="admin-form">
${csrfField(c)}
${refused("autoAccept")}
<label for="auto-accept">${t.autoAcceptLabel}</label>
<textarea id="auto-accept" name="autoAccept" rows="4" aria-describedby="auto-accept-help${options.error?.field === "autoAccept" ? " autoAccept-error" : ""}"${options.error?.field === "autoAccept" ? html` aria-invalid="true"` : ""}>${value("autoAccept", lines(autoAccept.value))}</textarea>
<small id="auto-accept-help">${t.autoAcceptHelp}</small>
<button type="submit">${t.saveAutoAccept}</button>
</form>
</section>
${switchSection({
  id: "moodle-users",
  heading: t.moodleUsersHeading,
  intro: t.moodleUsersIntro,
  name: "becomeTeachers",
  setting: becomeTeachers,
  label: t.moodleUsersBecomeTeachers,
  help: t.moodleUsersBecomeTeachersHelp,
  save: t.saveMoodleUsers,
})}
${switchSection({
  id: "network-search",
  heading: t.networkSearchHeading,
  intro: t.networkSearchSettingIntro,
  name: "oneHop",
  setting: oneHop,
  label: t.networkSearchOneHop,
  help: t.networkSearchOneHopHelp,
  save: t.saveNetworkSearch,
})}
<section aria-labelledby="logo-heading">
<h2 id="logo-heading">${t.logoHeading}</h2>
<p id="logo-help">${t.logoIntro}</p>
${logo ? html`<p><img src="${institutionLogoUrl(publicUrl, logo).pathname}" alt="${t.logoCurrent}" class="institution-logo" width="96" height="96"></p>` : html`<p class="empty">${t.logoNone}</p>`}
${options.logoError ? html`<p class="notice notice-error" role="alert" id="logo-error">${t.logoRefused[options.logoError.code]}</p>` : ""}
<form method="post" action="/admin/settings/logo" enctype="multipart/form-data" class="admin-form">
${csrfField(c)}
<label for="logo-file">${t.logoFile}</label>
<input id="logo-file" type="file" name="logo" accept="image/png,image/jpeg,image/webp" required aria-describedby="logo-help${options.logoError ? " logo-error" : ""}"${options.logoError ? html` aria-invalid="true"` : ""}>
<button type="submit">${t.saveLogo}</button>
</form>
${logo ? html`<form method="post" action="/admin/settings/logo/remove" class="inline">${csrfField(c)}<button type="submit" class="secondary outline">${t.removeLogo}</button></form>` : ""}
</section>`,
  });
}

export function adminSettingsRoutes(app: Hono<WebEnv>, dependencies: WebDependencies): void {
  const { services, audit } = dependencies;
  const admin = (c: WebContext): AdminOnRecord => ({
    auditActor: webAuditActor(c),
    auditLog: audit,
  });

  app.get("/admin", requireRole("admin"), (c) => settingsPage(c, dependencies));

  /** Saves what a settings form asks for; a refused value shows the page again, kept. */
  const saveSettings = async (c: WebContext, changes: (form: Form) => SettingsChange) => {
    const form = await c.req.parseBody();
    try {
      await changeSettings(services.settings, admin(c), changes(form));
    } catch (error) {
      if (!(error instanceof SettingsError)) throw error;
      return settingsPage(c, dependencies, { status: refusalStatus(error), form, error });
    }
    return c.redirect("/admin?notice=saved", 303);
  };

  app.post("/admin/settings/federation", requireRole("admin"), (c) =>
    saveSettings(c, (form) => ({
      policy: { mode: formText(form, "mode"), domains: formText(form, "domains") },
    })),
  );

  app.post("/admin/settings/auto-accept", requireRole("admin"), (c) =>
    saveSettings(c, (form) => ({ autoAccept: formText(form, "autoAccept") })),
  );

  app.post("/admin/settings/network-search", requireRole("admin"), async (c) => {
    const form = await c.req.parseBody();
    await setNetworkSearchOneHop(services.settings, admin(c), formText(form, "oneHop") === "on");
    return c.redirect("/admin?notice=saved", 303);
  });

  app.post("/admin/settings/moodle-users", requireRole("admin"), async (c) => {
    const form = await c.req.parseBody();
    const by = webAuditActor(c);
    const becomeTeachers = formText(form, "becomeTeachers") === "on";
    await services.settings.setMoodleUsersBecomeTeachers(becomeTeachers, by.name);
    await audit.record(by, "settings.moodle-users", null, { becomeTeachers });
    return c.redirect("/admin?notice=saved", 303);
  });

  app.post("/admin/settings/logo", requireRole("admin"), async (c) => {
    const file = (await c.req.parseBody()).logo;
    const bytes =
      file instanceof File ? new Uint8Array(await file.arrayBuffer()) : new Uint8Array();
    try {
      await changeInstitutionLogo(services.settings, admin(c), bytes);
    } catch (error) {
      if (!(error instanceof LogoError)) throw error;
      return settingsPage(c, dependencies, { status: refusalStatus(error), logoError: error });
    }
    return c.redirect("/admin?notice=saved#logo-heading", 303);
  });

  app.post("/admin/settings/logo/remove", requireRole("admin"), async (c) => {
    await changeInstitutionLogo(services.settings, admin(c), null);
    return c.redirect("/admin?notice=saved#logo-heading", 303);
  });

  app.post("/admin/settings/reset", requireRole("admin"), async (c) => {
    const name = formText(await c.req.parseBody(), "setting");
    const setting = SETTING_NAMES.find((each) => each === name);
    if (!setting) return c.redirect("/admin", 303);
    await resetSetting(services.settings, admin(c), setting);
    return c.redirect("/admin?notice=reset", 303);
  });
}
