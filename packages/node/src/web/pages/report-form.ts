import { html } from "hono/html";
import type { CatalogEntry } from "../../catalog/catalog-repository.ts";
import { REPORT_LIMITS } from "../../reports/report-service.ts";
import { REPORT_REASONS } from "../../vocabulary/report-kinds.ts";
import { csrfField, type Markup } from "../layout.ts";
import type { WebContext } from "../web-env.ts";

/** The course page's Report button: a form folded away until opened. */
export function reportForm(c: WebContext, entry: CatalogEntry): Markup {
  const t = c.get("t");
  return html`<details class="report">
<summary role="button" class="secondary outline">${t.reportCourse}</summary>
<form method="post" action="/catalog/report">
${csrfField(c)}
<input type="hidden" name="object" value="${entry.objectUri}">
<p><small>${t.reportIntro}</small></p>
<label>${t.reportReason}
<select name="reason" required>${REPORT_REASONS.map((reason) => html`<option value="${reason}">${t.reportReasons[reason]}</option>`)}</select>
</label>
<label>${t.reportComment}
<textarea name="comment" rows="4" maxlength="${REPORT_LIMITS.comment}"></textarea>
</label>
<button type="submit">${t.reportSend}</button>
</form>
</details>`;
}
