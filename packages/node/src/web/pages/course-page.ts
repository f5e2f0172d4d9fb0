import { formatBytes } from "@coursefed/mbz";
import {
  type BackupFacts,
  type CompatibilityProblem,
  type CoursePage,
  checkCompatibility,
  MoodleError,
  type MoodleSiteInfo,
} from "@coursefed/moodle";
import type { Hono } from "hono";
import { html } from "hono/html";
import type { RemoteActor } from "../../actors/remote-actors.ts";
import type { CatalogEntry, CatalogRevision } from "../../catalog/catalog-repository.ts";
import { lineageOf } from "../../courses/licence-lineage.ts";
import type { FederationServices } from "../../federation/context.ts";
import type { CourseManifest } from "../../manifests/course-manifest.ts";
import { TargetListingError, targetCourses } from "../../moodle-targets/target-listing.ts";
import type { MoodleTarget } from "../../moodle-targets/target-repository.ts";
import { hasRole } from "../../vocabulary/account-roles.ts";
import { formatDate, formatDateTime, hostOf } from "../format.ts";
import type { Messages } from "../i18n/en.ts";
import { inLanguage, type Language } from "../i18n/language.ts";
import { csrfField, type Markup, page } from "../layout.ts";
import { publisherByline } from "../publisher-byline.ts";
import { accountOf, requireRole } from "../roles.ts";
import type { WebContext, WebDependencies, WebEnv } from "../web-env.ts";
import { manifestFacts, sanitizedSummary } from "./catalog-page.ts";
import { compareRevisionsForm } from "./changes-markup.ts";
import { errorPage } from "./error-page.ts";
import { lineageList } from "./lineage-list.ts";
import {
  type CategoryChoices,
  categoryChoices,
  categoryOptions,
  pickedValue,
  unlistedNotes,
} from "./moodle-pickers.ts";
import { reportForm } from "./report-form.ts";

export function courseLink(objectUri: string): string {
  return `/catalog/course?object=${encodeURIComponent(objectUri)}`;
}

/** A compatibility problem in the page's language, with the plugins or versions it names. */
export function problemText(
  t: Messages,
  problem: CompatibilityProblem | { kind: string; message?: string },
  language: Language,
): string {
  switch (problem.kind) {
    case "newer-backup": {
      const p = problem as Extract<CompatibilityProblem, { kind: "newer-backup" }>;
      return t.problemNewerBackup(p.backupBranch, p.siteBranch);
    }
    case "missing-plugins": {
      const p = problem as Extract<CompatibilityProblem, { kind: "missing-plugins" }>;
      // Jobs saved before retired plugins were told apart have no `retired`.
      const retired = (p.retired ?? []).map((r) =>
        t.problemRetiredPlugin(r.component, r.successor),
      );
      return [t.problemMissingPlugins(p.plugins.join(", ")), ...retired].join(" ");
    }
    case "outdated-plugins":
      return t.problemOutdatedPlugins(
        (problem as Extract<CompatibilityProblem, { kind: "outdated-plugins" }>).plugins
          .map((p) => p.component)
          .join(", "),
      );
    case "too-large": {
      const p = problem as Extract<CompatibilityProblem, { kind: "too-large" }>;
      return t.problemTooLarge(formatBytes(p.size, language), formatBytes(p.limit, language));
    }
    default:
      return problem.message ?? problem.kind;
  }
}

function compatibilitySection(
  c: WebContext,
  entry: CatalogEntry,
  targets: readonly MoodleTarget[],
): Markup {
  const t = c.get("t");
  const facts = entry.manifest as unknown as CourseManifest satisfies BackupFacts;
  const rows = targets.map((target) => {
    if (!target.siteInfo || target.probedAt === null) {
      return html`<li class="compat compat-unknown"><strong>${target.name}</strong> <span class="badge badge-neutral">${t.notProbed}</span></li>`;
    }
    const report = checkCompatibility(facts, target.siteInfo as unknown as MoodleSiteInfo);
    return report.restorable
      ? html`<li class="compat compat-ok"><strong>${target.name}</strong> <span class="badge badge-ok">✓ ${t.restorable}</span></li>`
      : html`<li class="compat compat-problem"><strong>${target.name}</strong> <span class="badge badge-error">✗ ${t.notRestorable}</span>
<ul>${report.problems.map((problem) => html`<li>${problemText(t, problem, c.get("language"))}</li>`)}</ul></li>`;
  });
  return html`<section aria-labelledby="compatibility">
<h2 id="compatibility">${t.compatibility}</h2>
${targets.length ? html`<ul class="compat-list">${rows}</ul>` : html`<p>${t.noTargets}</p>`}
</section>`;
}

/** What the restore form offers to pick from: each site's categories, and a course search's finds. */
interface RestorePickers {
  readonly categories: readonly CategoryChoices[];
  readonly courseSearch?: CourseSearchOutcome | undefined;
}

/** An admin's search of a site's courses by name (GET courseTarget, courseSearch). */
type CourseSearchOutcome =
  | { readonly target: MoodleTarget; readonly words: string; readonly page: CoursePage }
  | { readonly target: MoodleTarget; readonly words: string; readonly failure: string };

async function searchedCourses(
  services: FederationServices,
  targetName: string,
  words: string,
): Promise<CourseSearchOutcome | undefined> {
  if (targetName === "" || words === "") return undefined;
  try {
    const { target, page } = await targetCourses(
      services.moodleTargets,
      targetName,
      { seesWholeSite: true },
      { search: words, limit: COURSES_OFFERED },
    );
    return { target, words, page };
  } catch (error) {
    if (error instanceof TargetListingError) return undefined;
    if (!(error instanceof MoodleError)) throw error;
    const target = (await services.moodleTargets.byName(targetName)) as MoodleTarget;
    return { target, words, failure: error.message };
  }
}

/** How many courses a search on the course page offers: more words narrow it. */
const COURSES_OFFERED = 50;

function restoreForm(
  c: WebContext,
  entry: CatalogEntry,
  targets: readonly MoodleTarget[],
  revisions: readonly CatalogRevision[],
  pickers: RestorePickers,
): Markup {
  const t = c.get("t");
  if (entry.deletedAt !== null) return html``;
  if (targets.length === 0)
    return html`<section aria-labelledby="restore"><h2 id="restore">${t.restoreTitle}</h2><p>${t.noTargets}</p></section>`;
  const admin = hasRole(accountOf(c).role, "admin");
  const search = pickers.courseSearch;
  const listedSomewhere = pickers.categories.some((choice) => "categories" in choice);
  const found = search && "page" in search ? search.page : undefined;
  return html`<section aria-labelledby="restore">
<h2 id="restore">${t.restoreTitle}</h2>
<form method="post" action="/catalog/restore" class="restore-form">
${csrfField(c)}
<input type="hidden" name="object" value="${entry.objectUri}">
<label for="restore-target">${t.target}</label>
<select id="restore-target" name="target" required>
${targets.map((target) => html`<option value="${target.name}"${search?.target.name === target.name ? html` selected` : ""}>${target.name} (${hostOf(target.url)})</option>`)}
</select>
${
  revisions.length > 1
    ? html`<label for="restore-revision">${t.revision}</label>
<select id="restore-revision" name="revision">${revisions.map((revision) => html`<option value="${revision.revision}"${revision.revision === entry.revision ? html` selected` : ""}>${t.revisionNumber(revision.revision)}</option>`)}</select>`
    : ""
}
<fieldset>
<legend>${t.destination}</legend>
<label><input type="radio" name="destination" value="new-course"${found?.courses.length ? "" : html` checked`}> ${t.asNewCourse}</label>
${
  listedSomewhere
    ? html`<label for="restore-category-picked">${t.pickerCategory}</label>
<select id="restore-category-picked" name="category" aria-describedby="category-help">
<option value="">${t.pickerDefaultCategory}</option>
${categoryOptions(t, pickers.categories)}
</select>`
    : ""
}
<label for="restore-category">${listedSomewhere ? t.pickerCategoryId : t.category}</label>
<input id="restore-category" name="categoryId" type="number" min="1" inputmode="numeric" placeholder="${t.defaultCategory}" aria-describedby="category-help">
<small id="category-help">${t.categoryHelp}${admin ? "" : html` ${t.teacherRestoreWhere(targets.map((target) => `${target.name}: ${target.teacherCategoryIds.join(", ") || t.teachersNowhere}`).join("; "))}`} ${unlistedNotes(t, pickers.categories, "category-unlisted")}</small>
<div class="grid">
<div><label for="restore-full-name">${t.newCourseFullName}</label>
<input id="restore-full-name" name="fullName" maxlength="254" aria-describedby="names-help"></div>
<div><label for="restore-short-name">${t.newCourseShortName}</label>
<input id="restore-short-name" name="shortName" maxlength="100" aria-describedby="names-help"></div>
</div>
<small id="names-help">${t.newCourseNamesHelp}</small>
<label><input type="radio" name="destination" value="existing-course"${found?.courses.length ? html` checked` : ""}> ${t.intoExistingCourse}</label>
${
  search && found && found.courses.length > 0
    ? html`<label for="restore-course-picked">${t.pickerCourse}</label>
<select id="restore-course-picked" name="course">
${found.courses.map((course) => html`<option value="${pickedValue(search.target, course.id)}">${t.pickerCourseOption(course.fullName, course.shortName, course.categoryPath, course.id, course.visible)}</option>`)}
</select>`
    : ""
}
<div class="grid">
<div><label for="restore-course">${t.moodleCourseId}</label>
<input id="restore-course" name="intoCourse" type="number" min="1" inputmode="numeric"></div>
<div><label for="restore-mode">${t.mode}</label>
<select id="restore-mode" name="mode"><option value="merge">${t.modeMerge}</option><option value="replace">${t.modeReplace}</option></select></div>
</div>
</fieldset>
${
  // Only an admin may take the risk of an override: teachers are not offered it.
  admin
    ? html`<label class="override"><input type="checkbox" name="override" value="true" aria-describedby="override-warning"> ${t.override}</label>
<p id="override-warning" class="warning"><small>${t.overrideWarning}</small></p>`
    : ""
}
<button type="submit">${t.restoreButton}</button>
</form>
${admin ? courseSearchForm(c, entry, targets, search) : ""}
</section>`;
}

/**
 * An admin finds an existing course by words of its name: the page comes back with the
 * courses found offered in the restore form above (no script needed).
 */
function courseSearchForm(
  c: WebContext,
  entry: CatalogEntry,
  targets: readonly MoodleTarget[],
  search: CourseSearchOutcome | undefined,
): Markup {
  const t = c.get("t");
  let outcome: Markup = html``;
  if (search && "failure" in search) {
    outcome = html`<p class="notice notice-error" role="status">${t.pickerCoursesUnlisted(search.target.name, search.failure)}</p>`;
  } else if (search) {
    outcome = html`<p role="status">${
      search.page.total === 0
        ? t.pickerCoursesNone(search.target.name)
        : t.pickerCoursesFound(search.page.courses.length, search.page.total, search.target.name)
    }</p>`;
  }
  return html`<form method="get" action="/catalog/course#restore" class="course-search" aria-labelledby="course-search-title">
<h3 id="course-search-title">${t.pickerCourseSearch}</h3>
<input type="hidden" name="object" value="${entry.objectUri}">
<div class="grid">
<div><label for="course-search-target">${t.target}</label>
<select id="course-search-target" name="courseTarget">${targets.map((target) => html`<option value="${target.name}"${search?.target.name === target.name ? html` selected` : ""}>${target.name}</option>`)}</select></div>
<div><label for="course-search-words">${t.pickerCourseSearchWords}</label>
<input id="course-search-words" name="courseSearch" type="search" maxlength="200" value="${search?.words ?? ""}"></div>
</div>
<button type="submit" class="secondary">${t.pickerCourseSearchButton}</button>
${outcome}
</form>`;
}

async function followButtons(
  c: WebContext,
  services: FederationServices,
  entry: CatalogEntry,
  author: RemoteActor | undefined,
): Promise<Markup> {
  const t = c.get("t");
  const session = c.get("session");
  if (!session || !hasRole(session.account.role, "teacher")) return html``;
  const following = await services.follows.following(session.account.actorId, entry.actorUri);
  const label = author?.type === "Organization" ? t.followInstitution : t.followAuthor;
  if (following) {
    return html`<p class="follow-state">${t.youFollow(author?.name ?? hostOf(entry.actorUri))} <span class="badge ${following.state === "accepted" ? "badge-ok" : "badge-neutral"}">${t.followStates[following.state]}</span></p>`;
  }
  return html`<form method="post" action="/feeds/follow" class="inline">
${csrfField(c)}
<input type="hidden" name="target" value="${entry.actorUri}">
<input type="hidden" name="back" value="${courseLink(entry.objectUri)}">
<button type="submit" class="secondary">${label}: ${author?.name ?? author?.handle ?? hostOf(entry.actorUri)}</button>
</form>`;
}

async function lineageSection(
  c: WebContext,
  services: FederationServices,
  entry: CatalogEntry,
  targets: readonly MoodleTarget[],
): Promise<Markup> {
  const t = c.get("t");
  const language = c.get("language");
  const derived = (entry.manifest as unknown as CourseManifest).derivedFrom;
  const copies = [];
  for (const target of targets) {
    for (const copy of await services.restores.restoredFrom(entry.objectUri, target.id)) {
      copies.push({ target, copy });
    }
  }
  if (!derived && copies.length === 0) return html``;
  const chain = await lineageOf(
    { ...services, origin: c.get("publicUrl").origin },
    derived,
    (entry.manifest as unknown as CourseManifest).credits,
  );
  return html`<section aria-labelledby="lineage">
<h2 id="lineage">${t.lineage}</h2>
${lineageList(c, chain, courseLink)}
${
  copies.length
    ? html`<p>${t.restoredCopies}</p><ul>${copies.map(
        ({ target, copy }) =>
          html`<li><a href="${new URL(`/course/view.php?id=${copy.moodleCourseId}`, target.url).href}">${target.name} · ${t.moodleCourse(copy.moodleCourseId)}</a> — ${t.revisionNumber(copy.revision)}, ${formatDate(copy.restoredAt, language)}</li>`,
      )}</ul>`
    : ""
}
</section>`;
}

/** Every revision received; a teacher may download any of them (the button above is the latest). */
function revisionsSection(
  c: WebContext,
  entry: CatalogEntry,
  revisions: readonly CatalogRevision[],
  mayDownload: boolean,
): Markup {
  const t = c.get("t");
  const language = c.get("language");
  const download = (revision: number) =>
    mayDownload
      ? html`<td><form method="post" action="/catalog/download" class="inline">${csrfField(c)}<input type="hidden" name="object" value="${entry.objectUri}"><input type="hidden" name="revision" value="${revision}"><button type="submit" class="secondary outline compact" aria-label="${t.downloadRevision(revision)}">${t.downloadShort}</button></form></td>`
      : "";
  return html`<section aria-labelledby="revisions">
<h2 id="revisions">${t.revisions}</h2>
<div class="table-scroll"><table class="striped">
<thead><tr><th scope="col">${t.revision}</th><th scope="col">${t.published}</th><th scope="col">${t.received}</th><th scope="col">${t.revisionChanges}</th><th scope="col">${t.size}</th><th scope="col">${t.digest}</th>${mayDownload ? html`<th scope="col">${t.downloadColumn}</th>` : ""}</tr></thead>
<tbody>${revisions.map(
    (revision) =>
      html`<tr><td>${revision.revision}</td><td>${formatDateTime(revision.publishedAt, language)}</td><td>${formatDateTime(revision.receivedAt, language)}</td><td class="revision-changes">${inLanguage(revision.changes, language) ?? ""}</td><td>${formatBytes(revision.size, language)}</td><td><code class="digest">${revision.sha256}</code></td>${download(revision.revision)}</tr>`,
  )}</tbody>
</table></div>
${
  mayDownload && revisions.length > 1
    ? compareRevisionsForm(
        t,
        "/catalog/changes",
        { object: entry.objectUri },
        revisions.map((revision) => revision.revision).sort((a, b) => a - b),
        { from: Math.max(1, entry.revision - 1), to: entry.revision },
      )
    : ""
}
</section>`;
}

export function coursePageRoutes(app: Hono<WebEnv>, { services }: WebDependencies): void {
  app.get("/catalog/course", requireRole("viewer"), async (c) => {
    const t = c.get("t");
    const language = c.get("language");
    const object = c.req.query("object") ?? "";
    const entry = await services.catalog.catalogEntry(object);
    if (!entry) return errorPage(c, 404, t.notInCatalogTitle, t.notInCatalog);
    const facts = manifestFacts(entry.manifest);
    const author = await services.follows.remoteActor(entry.actorUri);
    const publishers = await services.catalog.catalogPublishers([entry.actorUri]);
    const teacher = hasRole(accountOf(c).role, "teacher");
    const revisions = await services.catalog.catalogRevisions(entry.objectUri);
    const targets = await services.moodleTargets.all();
    const follow = teacher ? await followButtons(c, services, entry, author) : "";
    const admin = hasRole(accountOf(c).role, "admin");
    const pickers: RestorePickers | undefined =
      teacher && entry.deletedAt === null
        ? {
            categories: await categoryChoices(services, targets, admin),
            courseSearch: admin
              ? await searchedCourses(
                  services,
                  c.req.query("courseTarget") ?? "",
                  (c.req.query("courseSearch") ?? "").trim(),
                )
              : undefined,
          }
        : undefined;
    const lineage = await lineageSection(c, services, entry, targets);
    return page(c, {
      title: entry.title,
      main: html`<nav aria-label="${t.breadcrumb}"><ul><li><a href="/catalog">${t.catalogTitle}</a></li><li>${entry.title}</li></ul></nav>
<article class="course">
<header>
<h1>${entry.title}</h1>
<p class="byline">${t.by} ${publisherByline(entry.actorUri, publishers.get(entry.actorUri), { link: true, handles: true })}</p>
${entry.deletedAt !== null ? html`<p class="notice notice-error">${t.withdrawn}</p>` : ""}
${c.req.query("reported") ? html`<p class="notice notice-ok" role="status">${t.reportSent}</p>` : ""}
</header>
${sanitizedSummary(entry.summary)}
<dl class="facts">
<div><dt>${t.revision}</dt><dd>${entry.revision}</dd></div>
<div><dt>${t.size}</dt><dd>${formatBytes(entry.size, language)}</dd></div>
<div><dt>${t.moodleRelease}</dt><dd>${facts.release ?? t.unknown}</dd></div>
<div><dt>${t.requiredPlugins}</dt><dd>${entry.requiredPlugins.length ? entry.requiredPlugins.join(", ") : t.noneStandard}</dd></div>
<div><dt>${t.license}</dt><dd>${facts.license ?? t.unknown}</dd></div>
<div><dt>${t.languages}</dt><dd>${entry.languages.length ? entry.languages.join(", ") : t.unknown}</dd></div>
<div><dt>${t.updated}</dt><dd>${formatDate(entry.publishedAt, language)}</dd></div>
</dl>
${entry.tags.length ? html`<ul class="tags" aria-label="${t.tags}">${entry.tags.map((tag) => html`<li><a href="/catalog?tag=${encodeURIComponent(tag)}">#${tag}</a></li>`)}</ul>` : ""}
${
  teacher
    ? html`<div class="actions">
${entry.deletedAt === null ? html`<form method="post" action="/catalog/download" class="inline">${csrfField(c)}<input type="hidden" name="object" value="${entry.objectUri}"><button type="submit">${t.download}</button></form>` : ""}
${follow}
</div>
${entry.deletedAt === null ? reportForm(c, entry) : ""}`
    : ""
}
</article>
<div class="grid course-panels">
${compatibilitySection(c, entry, targets)}
${pickers ? restoreForm(c, entry, targets, revisions, pickers) : ""}
</div>
${lineage}
${revisionsSection(c, entry, revisions, teacher && entry.deletedAt === null)}`,
    });
  });
}
