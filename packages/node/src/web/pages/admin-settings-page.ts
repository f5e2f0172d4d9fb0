import type { Hono } from "hono";
import { html } from "hono/html";
import { formatSize } from "../format.ts";
import { requireRole } from "../roles.ts";
import type { WebDependencies, WebEnv } from "../web-env.ts";
import { adminPage } from "./admin-shell.ts";

/** The node's settings, read-only: they come from its configuration, not from this page. */
export function adminSettingsRoutes(
  app: Hono<WebEnv>,
  { services, publicUrl, maxUploadBytes }: WebDependencies,
): void {
  app.get("/admin", requireRole("admin"), async (c) => {
    const t = c.get("t");
    const institution = await services.actors.byIdentifier("institution");
    const policy = services.federationPolicy;
    const autoAccept = services.followPolicy.autoAcceptDomains;
    const list = (items: readonly string[]) =>
      items.length
        ? html`<ul class="domains">${items.map((item) => html`<li><code>${item}</code></li>`)}</ul>`
        : html`<span class="empty">${t.noneListed}</span>`;
    return adminPage(c, {
      section: "/admin",
      title: t.adminSettingsTitle,
      intro: t.adminSettingsIntro,
      main: html`<article>
<dl class="settings">
<dt>${t.publicUrl}</dt><dd><code>${publicUrl.href}</code></dd>
<dt>${t.institutionHandle}</dt><dd><code>@${institution?.handle ?? "?"}@${publicUrl.host}</code></dd>
<dt>${t.institutionName}</dt><dd>${institution?.name ?? "?"}</dd>
<dt>${t.federationPolicy}</dt><dd>${t.federationModes[policy.mode]}${policy.mode === "open" ? "" : list(policy.domains)}</dd>
<dt>${t.autoAcceptDomains}</dt><dd>${list(autoAccept)}</dd>
<dt>${t.maxUpload}</dt><dd>${formatSize(maxUploadBytes, c.get("language"))}</dd>
</dl>
</article>
<p class="notice">${t.settingsFromConfiguration} <code>coursefed serve --help</code></p>`,
    });
  });
}
