import { Hono } from "hono";
import type { NodeSettings } from "../settings/node-settings.ts";

/**
 * The institution's logo, the image in force only: an earlier logo's URL answers 404
 * once replaced. nosniff and a sandboxing CSP keep the bytes an image whatever a browser
 * would guess (the content was checked when set, institution-logo.ts).
 */
export function logoRoutes(settings: NodeSettings): Hono {
  const app = new Hono();
  app.get("/logo/:sha256", async (c) => {
    const logo = await settings.institutionLogo();
    if (!logo || logo.sha256 !== c.req.param("sha256")) {
      return c.text("No such logo: the institution's logo has changed or was removed.\n", 404);
    }
    if (c.req.header("if-none-match") === `"${logo.sha256}"`) return c.body(null, 304);
    return c.body(new Uint8Array(logo.bytes), 200, {
      "content-type": logo.mediaType,
      "cache-control": "public, max-age=31536000, immutable",
      etag: `"${logo.sha256}"`,
      "x-content-type-options": "nosniff",
      "content-security-policy": "default-src 'none'; sandbox",
    });
  });
  return app;
}
