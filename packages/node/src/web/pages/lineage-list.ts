import { html } from "hono/html";
import { creditedNames, type LineageAncestor } from "../../courses/licence-lineage.ts";
import type { Markup } from "../layout.ts";
import type { WebContext } from "../web-env.ts";

/**
 * A course's ancestors, its source first, each with its authors, institution and licence,
 * and where the node read them; one it could not read says so rather than guess.
 */
export function lineageList(
  c: WebContext,
  chain: readonly LineageAncestor[],
  /** Where the catalog's page of a course is (course-page.ts's courseLink). */
  catalogLink: (objectUri: string) => string,
): Markup {
  const t = c.get("t");
  if (chain.length === 0) return html``;
  return html`<p>${t.lineageIntro}</p><ol class="lineage">${chain.map((ancestor) => {
    if (ancestor.known === "unknown") {
      return html`<li><code>${ancestor.object}</code> (${t.revisionNumber(ancestor.revision)}) — <em>${t.lineageUnknown}</em></li>`;
    }
    const link = ancestor.known === "catalog" ? catalogLink(ancestor.object) : ancestor.url;
    const by = creditedNames(ancestor);
    return html`<li><a href="${link}">${ancestor.title ?? ancestor.object}</a> (${t.revisionNumber(ancestor.revision)})${by ? html` ${t.lineageBy(by)}` : ""} — ${t.lineageLicence(ancestor.license ?? t.unknown)} <small>(${t.lineageKnown[ancestor.known]})</small></li>`;
  })}</ol>`;
}
