import type { BackupDiff, FileChange, SectionRef } from "@coursefed/mbz";
import { html } from "hono/html";
import type { ArchiveFetchStores } from "../../catalog/fetch-service.ts";
import type { RestorePermissionStores } from "../../restores/restore-permissions.ts";
import { changesBeforeUpdate, isChangesRefusal } from "../../restores/update-changes.ts";
import type { Messages } from "../i18n/en.ts";
import type { Markup } from "../layout.ts";

/** Longest setting value shown whole (a course summary is a page of HTML). */
const SHOWN_VALUE_CHARS = 80;

/**
 * Two revision pickers and a button: a GET to `action` (the catalog's changes page, with
 * the course's object as a hidden field, or one of our own courses' changes page).
 */
export function compareRevisionsForm(
  t: Messages,
  action: string,
  hidden: Readonly<Record<string, string>>,
  revisions: readonly number[],
  picked: { from: number; to: number },
): Markup {
  const choices = (selected: number) =>
    revisions.map(
      (revision) =>
        html`<option value="${revision}"${revision === selected ? html` selected` : ""}>${revision}</option>`,
    );
  return html`<form method="get" action="${action}" class="compare-revisions">
${Object.entries(hidden).map(([name, value]) => html`<input type="hidden" name="${name}" value="${value}">`)}
<fieldset role="group" aria-label="${t.changes.compare}">
<label>${t.changes.from} <select name="from">${choices(picked.from)}</select></label>
<label>${t.changes.to} <select name="to">${choices(picked.to)}</select></label>
<button type="submit" class="secondary">${t.changes.show}</button>
</fieldset>
</form>`;
}

/** A diff as lists, in the page's language; titles and file names are escaped by html``. */
export function changesMarkup(t: Messages, diff: BackupDiff): Markup {
  const m = t.changes;
  if (diff.unchanged) return html`<p>${m.none}</p>`;
  const section = (ref: SectionRef | null) =>
    ref ? m.section(ref.number, ref.title) : m.noSection;
  const shown = (value: string | null) => {
    if (value === null) return m.noValue;
    const flat = value.replace(/\s+/g, " ").trim();
    return flat.length > SHOWN_VALUE_CHARS
      ? `“${flat.slice(0, SHOWN_VALUE_CHARS - 1)}…”`
      : `“${flat}”`;
  };
  const file = (change: FileChange) =>
    html`${change.activity ? html`${change.activity.module} “${change.activity.title}”: ` : ""}<code>${change.component}/${change.filearea}${change.filepath}${change.filename}</code>`;
  const list = <T>(title: string, items: readonly T[], line: (item: T) => unknown): Markup =>
    items.length === 0
      ? html``
      : html`<h3>${title}</h3><ul>${items.map((item) => html`<li>${line(item)}</li>`)}</ul>`;
  return html`${diff.matchedBy === "names" ? html`<p class="notice">${m.matchedByNames}</p>` : ""}
${list(m.sectionsAdded, diff.sections.added, section)}
${list(m.sectionsRemoved, diff.sections.removed, section)}
${list(m.sectionsRenamed, diff.sections.renamed, (item) => `“${item.oldTitle}” → “${item.title}”`)}
${list(m.sectionsMoved, diff.sections.moved, (item) => `“${item.title}”: ${m.position(item.oldNumber, item.number)}`)}
${list(m.activitiesAdded, diff.activities.added, (item) => `${item.module} “${item.title}” ${m.inSection(section(item.section))}`)}
${list(m.activitiesRemoved, diff.activities.removed, (item) => `${item.module} “${item.title}” (${section(item.section)})`)}
${list(m.activitiesRenamed, diff.activities.renamed, (item) => `${item.module} “${item.oldTitle}” → “${item.title}”`)}
${list(m.activitiesMoved, diff.activities.moved, (item) => `${item.module} “${item.title}”: ${section(item.fromSection)} → ${section(item.toSection)}`)}
${diff.questions.byQtype.length === 0 ? "" : html`<h3>${m.questions}</h3><p>${m.questionTotal(diff.questions.old, diff.questions.new)}</p><ul>${diff.questions.byQtype.map((item) => html`<li><code>${item.qtype}</code>: ${item.old} → ${item.new}</li>`)}</ul>`}
${list(m.filesAdded, diff.files.added, file)}
${list(m.filesRemoved, diff.files.removed, file)}
${list(m.filesChanged, diff.files.changed, file)}
${list(m.courseSettings, diff.settings.course, (item) => html`<code>${item.key}</code>: ${shown(item.old)} → ${shown(item.new)}`)}
${list(m.backupSettings, diff.settings.backup, (item) => html`<code>${item.key}</code>: ${shown(item.old)} → ${shown(item.new)}`)}`;
}

/**
 * Before an update is applied to a Moodle course restored from the same catalog course:
 * what it changes, from the revision the course holds. Nothing when there is nothing to
 * compare; a notice, not a refusal, when the changes cannot be worked out.
 */
export async function updateChangesSection(
  t: Messages,
  stores: ArchiveFetchStores & RestorePermissionStores,
  objectUri: string,
  destination: { readonly targetName: string; readonly moodleCourseId: number },
  revision: number | undefined,
): Promise<Markup> {
  let changes: Awaited<ReturnType<typeof changesBeforeUpdate>>;
  try {
    changes = await changesBeforeUpdate(stores, destination, objectUri, revision);
  } catch (error) {
    if (!isChangesRefusal(error)) throw error;
    return html`<p class="notice notice-error">${t.changes.unavailable(error.message)}</p>`;
  }
  if (!changes) return html``;
  return html`<section class="update-changes" aria-labelledby="update-changes">
<h2 id="update-changes">${t.changes.beforeUpdate(changes.from, changes.to)}</h2>
${changesMarkup(t, changes.diff)}
</section>`;
}
