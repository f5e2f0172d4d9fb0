import { Hono } from "hono";
import type { BlobStore } from "../blobs/blob-store.ts";
import { ARCHIVE_LINK_TIMES, type ArchiveLinks } from "../restores/archive-links.ts";
import { serveBlob } from "./serve-blob.ts";

/**
 * /archive-links/<token>: the archive a restore's link gives, to whoever holds the link
 * (the Moodle site pulling its backup), with HEAD and single ranges so that a cut
 * download resumes. No other authentication: the token is the capability.
 */
export function archiveLinkRoutes(links: ArchiveLinks, blobs: BlobStore): Hono {
  const routes = new Hono();
  routes.on(["GET", "HEAD"], "/archive-links/:token", async (c) => {
    const token = c.req.param("token");
    const blob = await links.resolve(token);
    // One answer for unknown, expired and revoked links: it says nothing of which.
    if (!blob || !(await blobs.has(blob.sha256))) {
      return c.json(
        {
          error: {
            code: "not_found",
            message:
              "This archive link is unknown or no longer valid; the node makes a new one when it restores again.",
          },
        },
        404,
        { "cache-control": "no-store" },
      );
    }
    if (c.req.method === "HEAD") return await serveBlob(c, blobs, blob.sha256, "no-store");
    // Bytes are about to go out: the resume window opens now, and moves on as they do.
    await links.served(token);
    return await serveBlob(c, blobs, blob.sha256, "no-store", {
      toSocket: true,
      progress: {
        progressEveryMs: ARCHIVE_LINK_TIMES.PROGRESS_EVERY_MS,
        onProgress: () => {
          links.served(token).catch((error: unknown) => {
            console.error(
              `coursefed: noting an archive link's download failed: ${(error as Error).message}`,
            );
          });
        },
      },
    });
  });
  return routes;
}
