import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { Hono } from "hono";
import type { WebEnv } from "./web-env.ts";

const require = createRequire(import.meta.url);

const CSS = "text/css; charset=utf-8";
const JAVASCRIPT = "text/javascript; charset=utf-8";

/**
 * The stylesheets and the one script (the upload's progress bar), served by the node
 * itself (no CDN: pages work on a closed network and leak nothing to third parties). Read
 * once; they change only with the package.
 */
const ASSETS: Readonly<Record<string, { type: string; text: string }>> = {
  "pico.min.css": {
    type: CSS,
    text: readFileSync(require.resolve("@picocss/pico/css/pico.min.css"), "utf8"),
  },
  "coursefed.css": {
    type: CSS,
    text: readFileSync(new URL("./assets/coursefed.css", import.meta.url), "utf8"),
  },
  "upload.js": {
    type: JAVASCRIPT,
    text: readFileSync(new URL("./assets/upload.js", import.meta.url), "utf8"),
  },
};

export function assetRoutes(app: Hono<WebEnv>): void {
  app.get("/assets/:name", (c) => {
    const asset = ASSETS[c.req.param("name")];
    if (asset === undefined) return c.notFound();
    return c.body(asset.text, 200, {
      "content-type": asset.type,
      "cache-control": "public, max-age=3600",
    });
  });
}
