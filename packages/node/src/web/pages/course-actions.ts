import type { RestoreDestination } from "@coursefed/moodle";
import type { Hono } from "hono";
import { html } from "hono/html";
import { BlobDigestError } from "../../blobs/blob-store.ts";
import { DownloadError } from "../../blobs/resumable-download.ts";
import { FetchError, fetchCatalogArchive } from "../../catalog/fetch-service.ts";
import { withInstitutionSigner } from "../../federation/signed-fetch.ts";
import { refusalStatus } from "../../http/error-problems.ts";
import { serveBlob } from "../../http/serve-blob.ts";
import type { MoodleTarget } from "../../moodle-targets/target-repository.ts";
import { moodleCourseLabel } from "../../restores/restore-permissions.ts";
import { RestoreError, requestRestore } from "../../restores/restore-service.ts";
import type { Messages } from "../i18n/en.ts";
import { csrfField, type Markup, page } from "../layout.ts";
import { accountOf, requireRole } from "../roles.ts";
import type { WebContext, WebDependencies, WebEnv } from "../web-env.ts";
import { type Form, webAuditActor } from "./admin-shell.ts";
import { updateChangesSection } from "./changes-markup.ts";
import { courseLink } from "./course-page.ts";
import { errorPage } from "./error-page.ts";
import { pickedId } from "./moodle-pickers.ts";

function text(form: Form, name: string): string {
  const value = form[name];
  return typeof value === "string" ? value.trim() : "";
}

function positiveInteger(value: string): number | undefined {
  return /^\d{1,9}$/.test(value) && Number(value) > 0 ? Number(value) : undefined;
}

/** Where the form asks the course to go, or what is wrong with it (as the API's checks). */
function destinationOf(
  form: Form,
  t: Messages,
): RestoreDestination | undefined | { error: string } {
  const target = text(form, "target");
  if (text(form, "destination") === "existing-course") {
    // A course found by name and picked wins over an id typed beside it.
    const picked = pickedId(text(form, "course"), target, t);
    if (typeof picked === "object") return picked;
    const courseId = picked ?? positiveInteger(text(form, "intoCourse"));
    const mode = text(form, "mode");
    if (!courseId) return { error: t.restoreNeedsCourse };
    if (mode !== "merge" && mode !== "replace") return { error: t.restoreNeedsMode };
    return { kind: "existing-course", courseId, mode };
  }
  const picked = pickedId(text(form, "category"), target, t);
  if (typeof picked === "object") return picked;
  if (picked !== undefined) return { kind: "new-course", categoryId: picked };
  const category = text(form, "categoryId");
  if (category === "") return undefined;
  const categoryId = positiveInteger(category);
  return categoryId ? { kind: "new-course", categoryId } : { error: t.restoreBadCategory };
}

/** The names asked for a new course; an empty field asks for none (the catalog title). */
function namesOf(form: Form): { fullName?: string; shortName?: string } | undefined {
  if (text(form, "destination") === "existing-course") return undefined;
  const fullName = text(form, "fullName");
  const shortName = text(form, "shortName");
  return {
    ...(fullName === "" ? {} : { fullName }),
    ...(shortName === "" ? {} : { shortName }),
  };
}

/**
 * Merging into or replacing an existing Moodle course is asked again, naming the course
 * (by the catalog title a restore gave it, when this node made it), before anything is
 * queued: the same form, sent again with confirm=true.
 */
async function confirmRestorePage(
  c: WebContext,
  services: WebDependencies["services"],
  form: Form,
  destination: Extract<RestoreDestination, { kind: "existing-course" }>,
  /** What the update changes, when the course holds an earlier revision of the same one. */
  changes: Markup,
) {
  const t = c.get("t");
  const targetName = text(form, "target");
  // requestRestore asks for a confirmation only once the target is known.
  const target = (await services.moodleTargets.byName(targetName)) as MoodleTarget;
  const label = await moodleCourseLabel(services, target, destination.courseId);
  const course = t.moodleCourseNamed(label.id, label.name);
  const fields: Record<string, string> = {
    object: text(form, "object"),
    revision: text(form, "revision"),
    target: targetName,
    destination: "existing-course",
    intoCourse: String(destination.courseId),
    mode: destination.mode,
    override: text(form, "override"),
    confirm: "true",
  };
  return page(c, {
    title: t.restoreConfirmTitle,
    main: html`<article class="confirm-restore">
<h1>${t.restoreConfirmTitle}</h1>
<p>${destination.mode === "replace" ? t.restoreConfirmReplace(course, target.name) : t.restoreConfirmMerge(course, target.name)}</p>
<p>${t.restoreConfirmCheck}</p>
${changes}
<form method="post" action="/catalog/restore">
${csrfField(c)}
${Object.entries(fields)
  .filter(([, value]) => value !== "")
  .map(([name, value]) => html`<input type="hidden" name="${name}" value="${value}">`)}
<button type="submit"${destination.mode === "replace" ? html` class="danger"` : ""}>${t.restoreConfirmButton(destination.mode)}</button>
<a href="${courseLink(fields.object as string)}" role="button" class="secondary outline">${t.cancel}</a>
</form>
</article>`,
  });
}

export function courseActionRoutes(
  app: Hono<WebEnv>,
  { services, context, audit }: WebDependencies,
): void {
  app.post("/catalog/restore", requireRole("teacher"), async (c) => {
    const t = c.get("t");
    const form = await c.req.parseBody();
    const destination = destinationOf(form, t);
    if (destination && "error" in destination)
      return errorPage(c, 400, t.restoreRefusedTitle, destination.error);
    const account = accountOf(c);
    try {
      const job = await requestRestore(services, {
        objectUri: text(form, "object"),
        revision: positiveInteger(text(form, "revision")),
        targetName: text(form, "target"),
        destination,
        names: namesOf(form),
        requestedBy: `web ${account.username}`,
        override: text(form, "override") === "true",
        confirmed: text(form, "confirm") === "true",
        person: {
          actorId: account.actorId,
          admin: account.role === "admin",
          auditActor: webAuditActor(c),
          auditLog: audit,
        },
      });
      // The same restore asked for again is the same job: the page says so, and how it stands.
      const again = job.repeat
        ? `?${new URLSearchParams({ again: job.id, repeat: job.repeat })}`
        : "";
      return c.redirect(`/restores${again}#job-${job.id}`, 303);
    } catch (error) {
      if (!(error instanceof RestoreError)) throw error;
      if (error.code === "NEEDS_CONFIRMATION" && destination?.kind === "existing-course")
        return await confirmRestorePage(
          c,
          services,
          form,
          destination,
          await updateChangesSection(
            t,
            withInstitutionSigner(context(c.req.raw)),
            text(form, "object"),
            { targetName: text(form, "target"), moodleCourseId: destination.courseId },
            positiveInteger(text(form, "revision")),
          ),
        );
      return errorPage(c, refusalStatus(error), t.restoreRefusedTitle, error.message);
    }
  });

  app.post("/catalog/download", requireRole("teacher"), async (c) => {
    const t = c.get("t");
    const form = await c.req.parseBody();
    try {
      const stored = await fetchCatalogArchive(
        withInstitutionSigner(context(c.req.raw)),
        text(form, "object"),
        positiveInteger(text(form, "revision")),
      );
      return (await serveBlob(c, services.blobs, stored.sha256, "private")) as Response;
    } catch (error) {
      if (
        error instanceof FetchError ||
        error instanceof DownloadError ||
        error instanceof BlobDigestError
      ) {
        return errorPage(c, refusalStatus(error), t.downloadFailedTitle, error.message);
      }
      throw error;
    }
  });
}
