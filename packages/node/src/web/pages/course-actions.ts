import type { RestoreDestination } from "@coursefed/moodle";
import type { Hono } from "hono";
import { BlobDigestError } from "../../blobs/blob-store.ts";
import { DownloadError } from "../../blobs/resumable-download.ts";
import { FetchError, fetchCatalogArchive } from "../../courses/fetch-service.ts";
import { serveBlob } from "../../http/serve-blob.ts";
import { RestoreError, requestRestore } from "../../restores/restore-service.ts";
import type { Messages } from "../i18n/en.ts";
import { accountOf, requireRole } from "../roles.ts";
import type { WebDependencies, WebEnv } from "../web-env.ts";
import { errorPage } from "./error-page.ts";

type Form = Record<string, string | File | (string | File)[]>;

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
  if (text(form, "destination") === "existing-course") {
    const courseId = positiveInteger(text(form, "intoCourse"));
    const mode = text(form, "mode");
    if (!courseId) return { error: t.restoreNeedsCourse };
    if (mode !== "merge" && mode !== "replace") return { error: t.restoreNeedsMode };
    return { kind: "existing-course", courseId, mode };
  }
  const category = text(form, "categoryId");
  if (category === "") return undefined;
  const categoryId = positiveInteger(category);
  return categoryId ? { kind: "new-course", categoryId } : { error: t.restoreBadCategory };
}

export function courseActionRoutes(
  app: Hono<WebEnv>,
  { services, context }: WebDependencies,
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
        requestedBy: `web ${account.username}`,
        override: text(form, "override") === "true",
      });
      return c.redirect(`/restores#job-${job.id}`, 303);
    } catch (error) {
      if (!(error instanceof RestoreError)) throw error;
      return errorPage(
        c,
        error.code === "WITHDRAWN" ? 409 : 404,
        t.restoreRefusedTitle,
        error.message,
      );
    }
  });

  app.post("/catalog/download", requireRole("teacher"), async (c) => {
    const t = c.get("t");
    const form = await c.req.parseBody();
    try {
      const stored = await fetchCatalogArchive(
        context(c.req.raw),
        text(form, "object"),
        positiveInteger(text(form, "revision")),
      );
      return (await serveBlob(c, services.blobs, stored.sha256, "private")) as Response;
    } catch (error) {
      if (error instanceof FetchError) {
        const missing = ["NOT_IN_CATALOG", "NO_SUCH_REVISION", "WITHDRAWN"].includes(error.code);
        return errorPage(c, missing ? 404 : 409, t.downloadFailedTitle, error.message);
      }
      if (error instanceof DownloadError || error instanceof BlobDigestError) {
        return errorPage(c, 502, t.downloadFailedTitle, error.message);
      }
      throw error;
    }
  });
}
