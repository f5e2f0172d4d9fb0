import type { Readable } from "node:stream";
import { formatBytes, MbzError } from "@coursefed/mbz";
import { MoodleError } from "@coursefed/moodle";
import type { Hono } from "hono";
import { html } from "hono/html";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { LocalActor } from "../../actors/local-actors.ts";
import type { Course } from "../../courses/course-repository.ts";
import { type CourseMetadata, PublishError } from "../../courses/publish-service.ts";
import { domainServices } from "../../federation/domain-services.ts";
import { refusalStatus } from "../../http/error-problems.ts";
import { publishFromMoodle } from "../../restores/publish-from-moodle.ts";
import { publishUpload } from "../../uploads/publish-upload.ts";
import { ReceiveBackupError, receiveBackup } from "../../uploads/receive-backup.ts";
import type { PendingUpload } from "../../uploads/web-upload-repository.ts";
import { hasRole } from "../../vocabulary/account-roles.ts";
import { VISIBILITIES, type Visibility } from "../../vocabulary/visibility.ts";
import { CSRF_FIELD, csrfAccepted } from "../csrf-token.ts";
import { csrfField, type Markup, page } from "../layout.ts";
import { accountOf, requireRole } from "../roles.ts";
import type { WebContext, WebDependencies, WebEnv } from "../web-env.ts";
import { errorPage } from "./error-page.ts";
import { readUploadForm, UploadFormError } from "./publish-multipart.ts";
import { scanReport } from "./publish-scan.ts";

/** The metadata fields the review form, the Moodle form and the edit form share, as sent. */
type MetadataForm = Record<string, string | File>;

function text(form: MetadataForm, name: string): string {
  const value = form[name];
  return typeof value === "string" ? value.trim() : "";
}

/** Metadata as the publish service takes it; tags are written separated by commas. */
export function metadataOf(form: MetadataForm): CourseMetadata {
  const visibility = VISIBILITIES.find((v) => v === text(form, "visibility")) ?? "public";
  return {
    title: text(form, "title"),
    summary: text(form, "summary") || null,
    tags: [
      ...new Set(
        text(form, "tags")
          .split(",")
          .map((tag) => tag.trim().replace(/^#/, ""))
          .filter(Boolean),
      ),
    ],
    license: text(form, "license") || null,
    visibility,
  };
}

/** The catalog course a new course adapts, as the review form names it ("" when none). */
function derivedFromOf(form: MetadataForm): string {
  return text(form, "derivedFrom");
}

/**
 * Where a new course names the catalog course it adapts: every ancestor's licence is
 * checked and credited when it is published (courses/licence-lineage.ts).
 */
function derivedFromField(c: WebContext, value: string): Markup {
  const t = c.get("t");
  return html`<label for="publish-derived-from">${t.courseDerivedFrom}</label>
<input id="publish-derived-from" name="derivedFrom" type="url" value="${value}" aria-describedby="publish-derived-from-help">
<small id="publish-derived-from-help">${t.courseDerivedFromHelp}</small>`;
}

/** Title, summary, tags, licence and visibility, filled with what is known already. */
export function metadataFields(c: WebContext, values: CourseMetadata, prefix: string): Markup {
  const t = c.get("t");
  const visibility: Visibility = values.visibility ?? "public";
  return html`<label for="${prefix}-title">${t.courseTitle}</label>
<input id="${prefix}-title" name="title" required maxlength="255" value="${values.title}">
<label for="${prefix}-summary">${t.courseSummary}</label>
<textarea id="${prefix}-summary" name="summary" rows="4">${values.summary ?? ""}</textarea>
<div class="grid">
<div><label for="${prefix}-tags">${t.courseTags}</label>
<input id="${prefix}-tags" name="tags" value="${(values.tags ?? []).join(", ")}" aria-describedby="${prefix}-tags-help">
<small id="${prefix}-tags-help">${t.courseTagsHelp}</small></div>
<div><label for="${prefix}-license">${t.courseLicense}</label>
<input id="${prefix}-license" name="license" value="${values.license ?? ""}" placeholder="CC-BY-4.0" aria-describedby="${prefix}-license-help">
<small id="${prefix}-license-help">${t.courseLicenseHelp}</small></div>
</div>
<fieldset>
<legend>${t.visibility}</legend>
${VISIBILITIES.map(
  (v) =>
    html`<label><input type="radio" name="visibility" value="${v}"${v === visibility ? html` checked` : ""} aria-describedby="${prefix}-visibility-${v}"> ${t.visibilities[v]}</label>
<small id="${prefix}-visibility-${v}" class="option-help">${t.visibilityHelp[v]}</small>`,
)}
</fieldset>`;
}

export function publishRoutes(
  app: Hono<WebEnv>,
  { services, context, maxUploadBytes, uploads, webUploads }: WebDependencies,
): void {
  const actorOf = async (c: WebContext) =>
    (await services.actors.byId(accountOf(c).actorId)) as LocalActor;
  /** The course a new revision is for: the signed-in actor's own, still published. */
  const ownCourse = async (c: WebContext, id: string | undefined): Promise<Course | undefined> => {
    const course = id ? await services.courses.course(id) : undefined;
    return course && course.deletedAt === null && course.actorId === (await actorOf(c)).id
      ? course
      : undefined;
  };

  const uploadPage = async (
    c: WebContext,
    options: {
      moodleError?: string;
      moodleValues?: MetadataForm;
      status?: ContentfulStatusCode;
    } = {},
  ) => {
    const t = c.get("t");
    const requested = c.req.query("course");
    const course = await ownCourse(c, requested);
    if (requested && !course) return errorPage(c, 404, t.courseNotFoundTitle, t.notYourCourse);
    const admin = hasRole(accountOf(c).role, "admin");
    const targets = admin ? await services.moodleTargets.all() : [];
    const intro = course
      ? t.newRevisionIntro(course.title)
      : t.publishIntro((await actorOf(c)).name);
    const action = `/publish/upload${course ? `?course=${encodeURIComponent(course.id)}` : ""}`;
    return page(c, {
      title: course ? t.newRevisionTitle : t.publishTitle,
      status: options.status ?? 200,
      scripts: ["/assets/upload.js"],
      main: html`<hgroup><h1>${course ? t.newRevisionTitle : t.publishTitle}</h1>
<p>${intro}</p></hgroup>
<section aria-labelledby="upload-heading">
<h2 id="upload-heading">${t.uploadBackup}</h2>
<form method="post" action="${action}" enctype="multipart/form-data" id="upload-form" data-max-bytes="${maxUploadBytes}" data-scanning="${t.uploadScanning}" data-failed="${t.uploadNetworkError}" data-too-large="${t.tooLarge(formatBytes(maxUploadBytes, c.get("language")))}">
${csrfField(c)}
<label for="upload-file">${t.backupFile}</label>
<input id="upload-file" name="backup" type="file" accept=".mbz" required aria-describedby="upload-help">
<small id="upload-help">${t.uploadHelp(formatBytes(maxUploadBytes, c.get("language")))}</small>
<div class="upload-progress" id="upload-progress" hidden>
<label for="upload-bar">${t.uploading}</label>
<progress id="upload-bar" max="100" value="0"></progress>
<p id="upload-status" role="status" aria-live="polite"></p>
</div>
<button type="submit">${t.uploadAndScan}</button>
</form>
</section>
${
  admin && !course
    ? html`<section aria-labelledby="moodle-heading">
<h2 id="moodle-heading">${t.publishFromMoodle}</h2>
<p>${t.publishFromMoodleIntro}</p>
${
  targets.length
    ? html`<form method="post" action="/publish/moodle">
${csrfField(c)}
${options.moodleError ? html`<p class="notice notice-error" role="alert" id="moodle-error">${options.moodleError}</p>` : ""}
<div class="grid">
<div><label for="moodle-target">${t.target}</label>
<select id="moodle-target" name="target" required>${targets.map((target) => html`<option value="${target.name}"${options.moodleValues?.target === target.name ? html` selected` : ""}>${target.name}</option>`)}</select></div>
<div><label for="moodle-course">${t.moodleCourseId}</label>
<input id="moodle-course" name="moodleCourseId" type="number" min="1" inputmode="numeric" required value="${text(options.moodleValues ?? {}, "moodleCourseId")}"></div>
</div>
${metadataFields(c, metadataOf(options.moodleValues ?? {}), "moodle")}
<button type="submit">${t.backupAndPublish}</button>
</form>`
    : html`<p class="empty">${t.noTargets}</p>`
}
</section>`
    : ""
}`,
    });
  };

  const reviewPage = async (
    c: WebContext,
    upload: PendingUpload,
    options: {
      error?: string;
      values?: CourseMetadata;
      /** The source the form named, shown again with a refusal. */
      derivedFrom?: string;
      status?: 200 | 422;
    } = {},
  ) => {
    const t = c.get("t");
    const report = upload.report;
    const course = await ownCourse(c, upload.courseId ?? undefined);
    const personal = report.personalData.verdict !== "clean";
    const unsanitizable = report.personalData.unrecognisedPlugins;
    const values: CourseMetadata =
      options.values ??
      (course
        ? {
            title: course.title,
            summary: course.summary,
            tags: course.tags,
            license: course.license,
            visibility: course.visibility,
          }
        : { title: report.course.fullname, summary: null, tags: [], visibility: "public" });
    return page(c, {
      title: t.reviewTitle,
      status: options.status ?? 200,
      main: html`<hgroup><h1>${t.reviewTitle}</h1><p>${t.reviewIntro(report.name, formatBytes(upload.size, c.get("language")))}</p></hgroup>
${options.error ? html`<p class="notice notice-error" role="alert">${options.error}</p>` : ""}
${scanReport(c, report)}
<section aria-labelledby="publish-heading">
<h2 id="publish-heading">${course ? t.publishRevisionOf(course.title) : t.describeCourse}</h2>
${
  personal && unsanitizable.length > 0
    ? html`<p class="notice notice-error">${t.cannotSanitize(unsanitizable.join(", "))}</p>`
    : html`<form method="post" action="/publish/review/${upload.id}">
${csrfField(c)}
${metadataFields(c, values, "publish")}
${course ? "" : derivedFromField(c, options.derivedFrom ?? "")}
${
  personal
    ? html`<p class="warning" id="sanitize-note">${t.sanitizeExplanation}</p>
<button type="submit" name="sanitize" value="true" aria-describedby="sanitize-note">${t.sanitizeAndPublish}</button>`
    : html`<button type="submit">${course ? t.publishRevision : t.publishButton}</button>`
}
</form>`
}
</section>`,
    });
  };

  app.get("/publish", requireRole("teacher"), (c) => uploadPage(c));

  app.post("/publish/upload", requireRole("teacher"), async (c) => {
    const t = c.get("t");
    const course = await ownCourse(c, c.req.query("course"));
    if (c.req.query("course") && !course)
      return errorPage(c, 404, t.courseNotFoundTitle, t.notYourCourse);
    let body: ReadableStream<Uint8Array> | Readable | null = c.req.raw.body;
    const type = c.req.header("content-type") ?? "";
    // A refused file is followed by another: the way back is the form it came from.
    const uploadAgain = {
      href: course ? `/publish?course=${encodeURIComponent(course.id)}` : "/publish",
      label: t.uploadAnother,
    };
    try {
      if (type.startsWith("multipart/form-data")) {
        // Without script the browser sends the form: its token comes first, then the file.
        const form = await readUploadForm(c.req.raw.body, type);
        if (!csrfAccepted(c, form.fields[CSRF_FIELD]))
          return errorPage(c, 403, t.csrfTitle, t.csrfExplanation, { connection: "close" });
        body = form.file ?? null;
      }
      const received = await receiveBackup(services.blobs, body, maxUploadBytes);
      const upload = await webUploads.add({
        accountId: accountOf(c).id,
        sha256: received.sha256,
        size: received.size,
        report: received.report,
        courseId: course?.id ?? null,
      });
      return c.redirect(`/publish/review/${upload.id}`, 303);
    } catch (error) {
      if (
        error instanceof UploadFormError ||
        (error instanceof ReceiveBackupError && error.code === "INCOMPLETE")
      )
        return errorPage(c, 400, t.uploadFailedTitle, t.uploadIncomplete, undefined, uploadAgain);
      if (!(error instanceof ReceiveBackupError)) throw error;
      if (error.code === "TOO_LARGE") {
        // The rest of the body is never read: the connection cannot carry another request.
        return errorPage(
          c,
          refusalStatus(error),
          t.tooLargeTitle,
          t.tooLarge(formatBytes(maxUploadBytes, c.get("language"))),
          { connection: "close" },
          uploadAgain,
        );
      }
      return errorPage(
        c,
        refusalStatus(error),
        t.uploadFailedTitle,
        error.code === "EMPTY" ? t.uploadEmpty : t.notABackup(error.message),
        undefined,
        uploadAgain,
      );
    }
  });

  app.get("/publish/review/:id", requireRole("teacher"), async (c) => {
    const upload = await webUploads.find(c.req.param("id"), accountOf(c).id);
    const t = c.get("t");
    if (!upload) return errorPage(c, 404, t.uploadGoneTitle, t.uploadGone);
    return reviewPage(c, upload);
  });

  app.post("/publish/review/:id", requireRole("teacher"), async (c) => {
    const t = c.get("t");
    const upload = await webUploads.find(c.req.param("id"), accountOf(c).id);
    if (!upload) return errorPage(c, 404, t.uploadGoneTitle, t.uploadGone);
    const form = await c.req.parseBody();
    const metadata = metadataOf(form);
    if (!metadata.title)
      return reviewPage(c, upload, { error: t.titleRequired, values: metadata, status: 422 });
    try {
      const published = await publishUpload(
        domainServices(context(c.req.raw)),
        { uploads, webUploads },
        await actorOf(c),
        { sha256: upload.sha256, forget: () => webUploads.remove(upload.id) },
        metadata,
        {
          ...(upload.courseId ? { courseId: upload.courseId } : {}),
          sanitize: text(form, "sanitize") === "true",
          ...(derivedFromOf(form) ? { derivedFrom: { object: derivedFromOf(form) } } : {}),
        },
      );
      return c.redirect(
        `/my-courses?notice=published&course=${encodeURIComponent(published.course.id)}`,
        303,
      );
    } catch (error) {
      const message =
        error instanceof PublishError
          ? error.code === "PERSONAL_DATA"
            ? t.personalDataRefused
            : error.message
          : error instanceof MbzError
            ? error.message
            : undefined;
      if (message === undefined) throw error;
      return reviewPage(c, upload, {
        error: message,
        values: metadata,
        derivedFrom: derivedFromOf(form),
        status: 422,
      });
    }
  });

  app.post("/publish/moodle", requireRole("admin"), async (c) => {
    const t = c.get("t");
    const form = await c.req.parseBody();
    const metadata = metadataOf(form);
    const moodleCourseId = Number(text(form, "moodleCourseId"));
    const refuse = (message: string, status: ContentfulStatusCode = 422) =>
      uploadPage(c, { moodleError: message, moodleValues: form, status });
    if (!metadata.title) return refuse(t.titleRequired);
    if (!Number.isInteger(moodleCourseId) || moodleCourseId < 1)
      return refuse(t.moodleCourseIdInvalid);
    try {
      const published = await publishFromMoodle(
        domainServices(context(c.req.raw)),
        await actorOf(c),
        { targetName: text(form, "target"), moodleCourseId },
        metadata,
      );
      return c.redirect(
        `/my-courses?notice=published&course=${encodeURIComponent(published.course.id)}`,
        303,
      );
    } catch (error) {
      if (error instanceof PublishError) {
        return refuse(
          error.code === "PERSONAL_DATA" ? t.moodlePersonalData : error.message,
          refusalStatus(error),
        );
      }
      if (error instanceof MoodleError) return refuse(error.message, refusalStatus(error));
      if (error instanceof MbzError) return refuse(error.message);
      throw error;
    }
  });
}
