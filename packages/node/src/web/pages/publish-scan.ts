import type { BackupReport } from "@coursefed/mbz";
import { html } from "hono/html";
import type { Markup } from "../layout.ts";
import type { WebContext } from "../web-env.ts";

/**
 * What an uploaded backup holds, as the inspection found it: where it comes from, its
 * contents, the plugins a receiving Moodle needs, and the personal-data verdict with each
 * kind of record found. Shown before anything is published.
 */
export function scanReport(c: WebContext, report: BackupReport): Markup {
  const t = c.get("t");
  const clean = report.personalData.verdict === "clean";
  const qtypes = Object.entries(report.questionBank.byQtype);
  const modules = new Map<string, number>();
  for (const activity of report.activities)
    modules.set(activity.module, (modules.get(activity.module) ?? 0) + 1);
  return html`<section aria-labelledby="scan-heading" class="scan">
<h2 id="scan-heading">${t.scanTitle}</h2>
<article class="verdict ${clean ? "verdict-ok" : "verdict-error"}" aria-labelledby="verdict-heading">
<h3 id="verdict-heading">${clean ? html`✓ ${t.verdictClean}` : html`✗ ${t.verdictPersonal}`}</h3>
${
  clean
    ? html`<p>${t.verdictCleanExplanation}</p>`
    : html`<p>${t.verdictPersonalExplanation}</p>
<table class="findings">
<thead><tr><th scope="col">${t.findingCategory}</th><th scope="col">${t.findingCount}</th><th scope="col">${t.findingWhere}</th></tr></thead>
<tbody>${report.personalData.findings.map(
        (finding) =>
          html`<tr><th scope="row">${t.personalDataCategories[finding.category]}</th><td>${finding.count}</td><td><small>${finding.sources.map((s) => s.source).join(", ")}</small></td></tr>`,
      )}</tbody>
</table>`
}
</article>
<dl class="facts scan-facts">
<dt>${t.scanCourse}</dt><dd>${report.course.fullname} <small>(${report.course.shortname})</small></dd>
<dt>${t.scanMoodle}</dt><dd>${report.moodleRelease}</dd>
<dt>${t.scanType}</dt><dd>${t.backupTypes[report.type] ?? report.type}${report.course.format ? html` · ${t.courseFormat(report.course.format)}` : ""}</dd>
<dt>${t.scanSections}</dt><dd>${report.sections.length}</dd>
<dt>${t.scanActivities}</dt><dd>${report.activities.length ? html`${report.activities.length} <small>(${[...modules].map(([module, n]) => `${module} × ${n}`).join(", ")})</small>` : "0"}</dd>
<dt>${t.scanQuestions}</dt><dd>${qtypes.length ? html`${report.questionBank.questions} <small>(${qtypes.map(([qtype, n]) => `${qtype} × ${n}`).join(", ")})</small>` : "0"}</dd>
<dt>${t.scanPlugins}</dt><dd>${report.requiredPlugins.length ? report.requiredPlugins.join(", ") : t.scanNoPlugins}</dd>
</dl>
</section>`;
}
